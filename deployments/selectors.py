"""Reads of deployments: the gate's facts, the ledger, and the questions the
command center asks (what serves where, what the gate decided)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from deployments import hot
from deployments.gates import GateFacts, Rollout, ServingPeriod
from deployments.models import Deployment, DeploymentStep, GateDecision
from governance.hot import EvidenceQuery
from mlgov.db import fetch_together
from mlgov.exceptions import NotFoundError
from registry.models import Environment, ModelVersion


@dataclass(frozen=True)
class GateInputs:
    """The gate's facts, and the evidence its decision record counts."""

    facts: GateFacts
    approval_ids: list[int]
    waiver_ids: list[int]


def gate_inputs(
    *, version: ModelVersion, environment: Environment, now: datetime
) -> GateInputs:
    """What the gate needs for `version` (model loaded) into `environment`
    (requires and frozen_by loaded), in one round trip: its deployments
    query, and governance's evaluation evidence (the same facts the
    evaluation endpoint and the simulation read)."""
    served: list[ServingPeriod] = []
    rollouts: list[Rollout] = []
    required = environment.requires
    if required is None:
        deployments = hot.rollout_query.bound(
            model_id=version.model_id, environment_id=environment.pk
        )
    else:
        deployments = hot.rollout_and_service_query.bound(
            model_id=version.model_id,
            environment_id=environment.pk,
            required_id=required.pk,
            version_id=version.pk,
        )
    evidence_query = EvidenceQuery(version)
    deployment_rows, *evidence_rows = fetch_together(
        deployments, *evidence_query.queries
    )
    evidence = evidence_query.decode(evidence_rows, now=now)
    for row in deployments.query.results(deployment_rows):
        if (
            row.status == Deployment.Status.IN_PROGRESS
            and row.environment_id == environment.pk
        ):
            rollouts.append(Rollout(deployment_id=row.id, version=row.version_number))
        elif row.activated_at is not None:
            served.append(
                ServingPeriod(
                    started_at=row.activated_at,
                    ended_at=(
                        None if row.status == Deployment.Status.ACTIVE else row.ended_at
                    ),
                )
            )
    facts = GateFacts(
        model=version.model.name,
        version=version.version,
        version_status=version.status,
        environment=environment.name,
        required_environment=required.name if required else None,
        min_soak_hours=environment.min_soak_hours,
        served_in_required=tuple(served),
        frozen=environment.frozen,
        freeze_reason=environment.freeze_reason,
        frozen_by=environment.frozen_by.username if environment.frozen_by else None,
        frozen_at=environment.frozen_at,
        rollouts_in_progress=tuple(rollouts),
        version_facts=evidence.facts,
        policies=evidence.policies,
        waivers=evidence.waivers,
    )
    return GateInputs(
        facts=facts,
        approval_ids=evidence.approval_ids,
        waiver_ids=evidence.waiver_ids,
    )


def deployments_with_rows() -> QuerySet[Deployment]:
    """Deployments with everything a ledger row shows."""
    return Deployment.objects.select_related(
        "model", "version", "environment", "requested_by", "gate_decision"
    ).prefetch_related(
        Prefetch("steps", queryset=DeploymentStep.objects.select_related("actor"))
    )


def deployment_ledger(
    *,
    model: str | None = None,
    environment: str | None = None,
    status: str | None = None,
    decision: str | None = None,
    version: int | None = None,
) -> QuerySet[Deployment]:
    """The ledger: every request (blocked ones included) and its rollout."""
    deployments = deployments_with_rows()
    if model:
        deployments = deployments.filter(model__name=model)
    if environment:
        deployments = deployments.filter(environment__name=environment)
    if status:
        deployments = deployments.filter(status=status)
    if decision:
        deployments = deployments.filter(decision=decision)
    if version:
        deployments = deployments.filter(version__version=version)
    return deployments


def deployment_by_id(*, pk: int) -> Deployment:
    """One deployment with its ledger row, or NotFoundError."""
    deployment = deployments_with_rows().filter(pk=pk).first()
    if deployment is None:
        raise NotFoundError(f"No deployment {pk}.")
    return deployment


def active_deployments(
    *, model: str | None = None, environment: str | None = None
) -> QuerySet[Deployment]:
    """What serves now, primaries and canaries, by model and environment."""
    deployments = Deployment.objects.active().select_related(
        "model", "version", "environment"
    )
    if model:
        deployments = deployments.filter(model__name=model)
    if environment:
        deployments = deployments.filter(environment__name=environment)
    return deployments.order_by("model__name", "environment__rank", "-traffic_percent")


def active_deployments_by_model_environment(
    *, environment: str | None = None
) -> dict[tuple[str, str], dict[str, Deployment | None]]:
    """{(model name, environment name): {"primary": …, "canary": …}}, one query."""
    found: dict[tuple[str, str], dict[str, Deployment | None]] = defaultdict(
        lambda: {"primary": None, "canary": None}
    )
    for deployment in active_deployments(environment=environment):
        role = "primary" if deployment.is_primary else "canary"
        found[(deployment.model.name, deployment.environment.name)][role] = deployment
    return dict(found)


def active_deployment_pairs() -> set[tuple[int, str]]:
    """(version id, environment name) of every active deployment, one query."""
    return set(
        Deployment.objects.active().values_list("version_id", "environment__name")
    )


def gate_decisions_since(
    *, since: datetime, environment: str | None = None
) -> QuerySet[GateDecision]:
    """Recorded gate decisions from `since`, newest first; each row's
    `blocking_checks` names the checks that failed."""
    decisions = GateDecision.objects.filter(requested_at__gte=since).select_related(
        "version__model", "environment", "requested_by"
    )
    if environment:
        decisions = decisions.filter(environment__name=environment)
    return decisions
