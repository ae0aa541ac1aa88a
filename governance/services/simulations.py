"""The what-if service: reads the portfolio, runs the simulation, writes nothing."""

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from governance.documents import parse_policy_document
from governance.selectors import (
    current_policy_specs,
    policies_with_rules,
    policy_document,
    version_facts,
    waiver_specs,
)
from governance.simulation import (
    SimulationBudgetExceeded,
    proposed_policies,
    simulate,
)
from mlgov.actors import Actor
from mlgov.exceptions import DomainError, FieldError, PermissionDeniedError
from mlgov.permissions import can_run_simulations
from registry.models import ModelVersion
from registry.selectors import environment_names

# Where active deployments come from: governance cannot import the deployments
# app (it sits above), so that app registers its reader here when it loads.
ActiveDeployments = Callable[[], Collection[tuple[int, str]]]
_active_deployment_sources: list[ActiveDeployments] = []


def register_active_deployments(source: ActiveDeployments) -> None:
    """Let simulations count active deployments: `source` answers the set of
    (version id, environment name) pairs serving now."""
    if source not in _active_deployment_sources:
        _active_deployment_sources.append(source)


def active_deployments_now() -> set[tuple[int, str]]:
    """Every (version id, environment name) pair the registered sources report."""
    return {pair for source in _active_deployment_sources for pair in source()}


@dataclass(frozen=True)
class SavedRun:
    """A simulation run kept for later, as its store reports it."""

    id: int
    name: str
    result: dict[str, Any]


# Where runs are saved: the command center keeps them and sits above
# governance, so it registers its store here when it loads.
SimulationStore = Callable[..., SavedRun]
_simulation_stores: list[SimulationStore] = []


def register_simulation_store(store: SimulationStore) -> None:
    """Let `save_simulation_run` keep runs: `store(actor=, name=, upsert=,
    remove=)` runs the simulation, keeps it and answers the SavedRun."""
    if store not in _simulation_stores:
        _simulation_stores.append(store)


class SimulationNotSavedError(DomainError):
    """No store to keep simulation runs is installed."""

    code = "simulation_not_saved"


def save_simulation_run(
    *, actor: Actor, name: str, upsert: Sequence[object], remove: Sequence[str]
) -> SavedRun:
    """Run a simulation and keep it under `name` in the registered store."""
    if not _simulation_stores:
        raise SimulationNotSavedError("Saving simulation runs is not installed.")
    return _simulation_stores[0](
        actor=actor, name=name, upsert=list(upsert), remove=list(remove)
    )


class SimulationTooLargeError(DomainError):
    """A proposal beyond what one request may compute: 413 naming the cap."""

    code = "simulation_too_large"
    status_code = 413


def check_simulation_caps(upsert: Sequence[object], remove: Sequence[str]) -> None:
    """Refuse proposals over SIMULATION_MAX_POLICIES or SIMULATION_MAX_RULES
    before any parsing or reading work is done."""
    max_policies = settings.SIMULATION_MAX_POLICIES
    if len(upsert) + len(remove) > max_policies:
        raise SimulationTooLargeError(
            f"A simulation may upsert and remove at most {max_policies} policies "
            f"in all; this one names {len(upsert) + len(remove)}.",
            details={"max_policies": max_policies},
        )
    max_rules = settings.SIMULATION_MAX_RULES
    rules = sum(
        len(item["rules"])
        for item in upsert
        if isinstance(item, dict) and isinstance(item.get("rules"), (list, dict))
    )
    if rules > max_rules:
        raise SimulationTooLargeError(
            f"The upserted policies may hold at most {max_rules} rules in all; "
            f"these hold {rules}.",
            details={"max_rules": max_rules},
        )


def simulated_versions():
    """The versions a simulation covers: every version not retired or rejected
    of every model still in the inventory."""
    return ModelVersion.objects.filter(model__archived_at__isnull=True).exclude(
        status__in=[ModelVersion.Status.RETIRED, ModelVersion.Status.REJECTED]
    )


def run_simulation(
    *,
    actor: Actor,
    upsert: Sequence[object],
    remove: Sequence[str],
    active_deployments: Collection[tuple[int, str]] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Compare today's verdicts with those under the proposed policy set.

    `upsert` holds policy documents matched by name: a known name may give only
    the fields it changes; a new name needs a whole document. Active
    deployments default to what the registered sources report."""
    if not can_run_simulations(actor):
        raise PermissionDeniedError(
            "Simulations are for governance admins and executives."
        )
    check_simulation_caps(upsert, remove)
    budget = settings.SIMULATION_TIME_BUDGET_SECONDS
    deadline = time.monotonic() + budget
    now = now or timezone.now()
    environments = environment_names()
    stored = {policy.name: policy for policy in policies_with_rules()}
    revisions = {name: policy.revision for name, policy in stored.items()}

    unknown = sorted(set(remove) - set(stored))
    if unknown:
        raise FieldError("remove", f"No policy named {unknown[0]!r}.")
    upserts = []
    for index, item in enumerate(upsert, start=1):
        name = item.get("name") if isinstance(item, dict) else None
        known = stored.get(name) if isinstance(name, str) else None
        base = policy_document(known) if known else None
        try:
            document = parse_policy_document(item, environments=environments, base=base)
        except FieldError as error:
            raise FieldError(
                f"upsert[{index}].{error.field}", error.details[error.field][0]
            ) from error
        upserts.append(document.to_spec(revision=revisions.get(document.name, 0) + 1))

    current = current_policy_specs()
    versions = simulated_versions()
    try:
        result = simulate(
            facts=version_facts(versions),
            waivers=waiver_specs(versions=versions, now=now),
            current=current,
            proposed=proposed_policies(current, upserts, set(remove)),
            environments=environments,
            active_deployments=(
                active_deployments_now()
                if active_deployments is None
                else active_deployments
            ),
            now=now,
            deadline=deadline,
        )
    except SimulationBudgetExceeded as error:
        raise SimulationTooLargeError(
            f"The simulation did not finish within its budget of {budget:g} "
            "seconds; propose fewer policies or narrower scopes.",
            details={"time_budget_seconds": budget},
        ) from error
    return result.as_dict(max_changes=settings.SIMULATION_MAX_CHANGES)
