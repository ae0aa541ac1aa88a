"""The lists' reads: models filtered and sorted, teams and saved simulations.
Drift alerts and the audit trail are their owners' selectors."""

from collections.abc import Sequence
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from command_center.models import SavedSimulation
from command_center.portfolio import RISK_TIERS, ModelRow
from compliance.engine import CoverageCounts
from mlgov.exceptions import NotFoundError
from registry.constants import PRODUCTION
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
    "exposure": lambda row: (
        -row.exposure_score,
        row.readiness is None,
        row.readiness or 0,
        row.name,
    ),
    "risk_tier": lambda row: (RISK_TIERS.index(row.risk_tier), row.name),
    "review_due": lambda row: (row.review_due, row.name),
    "team": lambda row: (row.team, row.name),
    "obligations": lambda row: _obligations_key(row.coverage_counts(), row.name),
}

# The obligations filter of the models list: rows with an applicable
# obligation not met (unmet or only partly met), or with every applicable one
# met.
OBLIGATIONS_NOT_MET = "not_met"
OBLIGATIONS_ALL_MET = "all_met"
OBLIGATIONS_FILTERS = (OBLIGATIONS_NOT_MET, OBLIGATIONS_ALL_MET)


def _obligations_key(counts: CoverageCounts | None, name: str) -> tuple:
    """Lowest share of obligations met first (compliance's share: partly met
    counts half), then most unmet; models no enabled framework applies to
    last."""
    share = None if counts is None else counts.share
    if counts is None or share is None:
        return (True, 0.0, 0, name)
    return (False, share, -counts.unmet, name)


def _obligations_match(counts: CoverageCounts | None, wanted: str) -> bool:
    """Fewer met than apply (not_met), or every applicable one met (all_met);
    never a model no framework applies to."""
    if counts is None:
        return False
    if wanted == OBLIGATIONS_NOT_MET:
        return counts.met < counts.applicable
    return counts.met == counts.applicable


def filter_model_rows(
    rows: Sequence[ModelRow],
    *,
    team: str | None = None,
    risk_tier: str | None = None,
    kind: str | None = None,
    compliance: str | None = None,
    environment: str = PRODUCTION,
    readiness: str | None = None,
    overdue: bool | None = None,
    obligations: str | None = None,
    framework: str | None = None,
    q: str | None = None,
    sort: str = "name",
    today: date | None = None,
) -> list[ModelRow]:
    """The rows of the models list that match its filters, sorted. `framework`
    (an enabled framework's id) narrows the obligations filter and sort to
    that framework, and alone keeps the models it applies to."""
    today = today or timezone.now().date()
    selected = list(rows)
    if team:
        selected = [row for row in selected if row.team == team]
    if risk_tier:
        selected = [row for row in selected if row.risk_tier == risk_tier]
    if kind:
        selected = [row for row in selected if row.kind == kind]
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
    if obligations or framework or sort == "obligations":
        # Each row's counts once (under `framework`, else summed): the list
        # filters and sorts thousands of rows by them on a warm page.
        counts_of = {row.model_id: row.coverage_counts(framework) for row in selected}
        if obligations:
            selected = [
                row
                for row in selected
                if _obligations_match(counts_of[row.model_id], obligations)
            ]
        elif framework:
            selected = [row for row in selected if counts_of[row.model_id] is not None]
        if sort == "obligations":
            selected.sort(
                key=lambda row: _obligations_key(counts_of[row.model_id], row.name)
            )
            return selected
    selected.sort(key=MODEL_SORTS[sort])
    return selected


def team_names() -> list[tuple[str, str]]:
    """(name, display name) of every team."""
    return list(Team.objects.order_by("name").values_list("name", "display_name"))


def saved_simulations() -> QuerySet[SavedSimulation]:
    """Saved simulation runs, newest first, with their authors."""
    return SavedSimulation.objects.select_related("created_by").defer("result")


def saved_simulation(*, pk: int) -> SavedSimulation:
    """One saved run, or NotFoundError."""
    run = SavedSimulation.objects.select_related("created_by").filter(pk=pk).first()
    if run is None:
        raise NotFoundError(f"No saved simulation {pk}.")
    return run
