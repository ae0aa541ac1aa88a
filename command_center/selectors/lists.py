"""The lists' reads: models filtered and sorted, drift alerts, the audit
trail and saved simulations."""

from collections.abc import Sequence
from datetime import date

from auditlog.models import LogEntry
from django.db.models import (
    QuerySet,
)
from django.utils import timezone

from command_center.models import SavedSimulation
from command_center.portfolio import (
    ModelRow,
)
from command_center.selectors.rows import (
    PRODUCTION,
)
from drift.models import DriftAlert
from mlgov.exceptions import NotFoundError
from registry.models import Team

# --- lists ------------------------------------------------------------------

MODEL_SORTS = {
    "name": lambda row: (row.name,),
    "readiness": lambda row: (row.readiness is None, row.readiness or 0, row.name),
    "-readiness": lambda row: (
        row.readiness is None,
        -(row.readiness or 0),
        row.name,
    ),
    "risk_tier": lambda row: (
        ("critical", "high", "medium", "low").index(row.risk_tier),
        row.name,
    ),
    "review_due": lambda row: (row.review_due, row.name),
    "team": lambda row: (row.team, row.name),
}


def filter_model_rows(
    rows: Sequence[ModelRow],
    *,
    team: str | None = None,
    risk_tier: str | None = None,
    compliance: str | None = None,
    environment: str = PRODUCTION,
    readiness: str | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    sort: str = "name",
    today: date | None = None,
) -> list[ModelRow]:
    """The rows of the models list that match its filters, sorted."""
    today = today or timezone.now().date()
    selected = list(rows)
    if team:
        selected = [row for row in selected if row.team == team]
    if risk_tier:
        selected = [row for row in selected if row.risk_tier == risk_tier]
    if compliance:
        wanted = compliance == "compliant"
        selected = [
            row for row in selected if row.is_compliant_in(environment) == wanted
        ]
    if readiness:
        selected = [row for row in selected if row.readiness_band == readiness]
    if overdue is not None:
        selected = [row for row in selected if row.is_overdue(today) == overdue]
    if q:
        needle = q.casefold()
        selected = [
            row
            for row in selected
            if needle in row.name.casefold() or needle in row.display_name.casefold()
        ]
    selected.sort(key=MODEL_SORTS[sort])
    return selected


def team_names() -> list[tuple[str, str]]:
    """(name, display name) of every team."""
    return list(Team.objects.order_by("name").values_list("name", "display_name"))


def alert_list(
    *,
    severity: str | None = None,
    status: str | None = None,
    model: str | None = None,
    environment: str | None = None,
) -> QuerySet[DriftAlert]:
    """Drift alerts of inventory models for the list; status `unresolved`
    means open or acknowledged."""
    alerts = DriftAlert.objects.filter(
        version__model__archived_at__isnull=True
    ).select_related("version__model", "environment")
    if status == "unresolved":
        alerts = alerts.unresolved()
    elif status:
        alerts = alerts.filter(status=status)
    if severity:
        alerts = alerts.filter(severity=severity)
    if model:
        alerts = alerts.filter(version__model__name=model)
    if environment:
        alerts = alerts.filter(environment__name=environment)
    return alerts.order_by("-last_seen_at", "-id")


def audit_entries() -> QuerySet[LogEntry]:
    """The audit trail, newest first, with actor and type joined."""
    return LogEntry.objects.select_related("actor", "content_type").order_by(
        "-timestamp", "-id"
    )


def saved_simulations() -> QuerySet[SavedSimulation]:
    """Saved simulation runs, newest first, with their authors."""
    return SavedSimulation.objects.select_related("created_by").defer("result")


def saved_simulation(*, pk: int) -> SavedSimulation:
    """One saved run, or NotFoundError."""
    run = SavedSimulation.objects.select_related("created_by").filter(pk=pk).first()
    if run is None:
        raise NotFoundError(f"No saved simulation {pk}.")
    return run
