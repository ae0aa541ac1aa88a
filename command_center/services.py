"""State changes of the command center: daily snapshots and saved simulations.
Neither changes a policy or anything else the portfolio holds."""

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from command_center.models import PortfolioSnapshot, SavedSimulation
from command_center.selectors import compute_portfolio
from governance.models import Policy
from governance.services import SavedRun, run_simulation
from mlgov.actors import Actor
from mlgov.exceptions import FieldError


@transaction.atomic
def take_portfolio_snapshot(
    *, now: datetime | None = None
) -> tuple[PortfolioSnapshot, bool]:
    """Record today's headline numbers; a second run the same day updates the
    row. Returns the snapshot and whether it was created."""
    now = now or timezone.now()
    summary = compute_portfolio(now=now).summary
    return _store_snapshot(day=now.date(), taken_at=now, summary=summary)


def _store_snapshot(
    *, day: date, taken_at: datetime, summary: dict[str, Any]
) -> tuple[PortfolioSnapshot, bool]:
    production = summary["production"]
    drift = summary["drift_alerts_open"]
    return PortfolioSnapshot.objects.update_or_create(
        day=day,
        defaults={
            "taken_at": taken_at,
            "model_count": summary["models"],
            "version_count": summary["versions"],
            "models_compliant": summary["models_compliant"],
            "models_compliance_rate": summary["models_compliance_rate"],
            "production_active": production["active"],
            "production_compliant": production["compliant"],
            "production_compliance_rate": production["compliance_rate"],
            "drift_alerts_warning": drift["warning"],
            "drift_alerts_critical": drift["critical"],
            "overdue_reviews": summary["overdue_reviews"]["total"],
            "summary": summary,
        },
    )


def save_simulation(
    *,
    actor: Actor,
    name: str,
    upsert: list[Any],
    remove: list[str],
) -> SavedSimulation:
    """Run a simulation and keep its proposal, result, author and time.

    The result is computed here, never taken from the caller, so a saved run
    shows what the engine found. Policies are not touched."""
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "Give the run a name.")
    if len(name) > 200:
        raise FieldError("name", "At most 200 characters.")
    result = run_simulation(actor=actor, upsert=upsert, remove=remove)
    revisions = dict(Policy.objects.values_list("name", "revision"))
    return SavedSimulation.objects.create(
        name=name,
        proposal={"upsert": upsert, "remove": remove},
        policy_revisions=revisions,
        result=result,
        created_by=actor,
    )


def store_simulation_run(
    *, actor: Actor, name: str, upsert: list[Any], remove: list[str]
) -> SavedRun:
    """`save_simulation` as governance's simulation store (the API's
    `"save": true`), so saved API runs join the page's list."""
    run = save_simulation(actor=actor, name=name, upsert=upsert, remove=remove)
    return SavedRun(id=run.pk, name=run.name, result=run.result)
