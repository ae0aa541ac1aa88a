"""Per-model rows of the command center: the data fingerprint that keys its
cache, and one `ModelRow` per model in a constant number of queries (the
whole inventory for the overview, a batch at a time for the CSV)."""

import hashlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import cast

from auditlog.models import LogEntry
from django.db import connection
from django.db.models import F, Field, Max, Model, QuerySet
from django.utils import timezone

from command_center.models import PortfolioSnapshot
from command_center.portfolio import Compliance, ModelRow, review_due
from compliance.engine import FrameworkSpec
from compliance.models import CustomObligation, FrameworkPack
from compliance.selectors import coverage_counts_by_model, enabled_frameworks
from deployments.models import Deployment, GateDecision
from deployments.selectors import model_standings
from deployments.standing import ModelStanding
from drift.constants import ALERT_SEVERITIES
from drift.models import DriftAlert, DriftReport
from drift.selectors import open_alert_counts_by_model
from governance.models import Approval, Policy, Rule, Waiver
from governance.selectors import overdue_reviews_by_model
from mlgov.bulk import garbage_collection_paused
from registry.models import Environment, MLModel, ModelVersion, Team, UseCaseIntake
from registry.selectors import current_intakes, environment_names

TREND_DAYS = 183

# Tables the numbers read: the largest id of each moves when a row is added
# (bulk inserts included), the count of the small tables whose rows can be
# deleted moves on a deletion, and the audit log's largest id moves on every
# change made through save() or a service (every one of these models is
# registered with auditlog, and the bulk alert updates write audit entries
# too). Maxima of ids are index-only lookups: the fingerprint stays cheap at
# any size, where a MAX(updated_at) over the versions was a scan.
_TRACKED: tuple[tuple[type[Model], bool], ...] = (
    (MLModel, False),
    (ModelVersion, False),
    (MLModel.tags.through, False),
    (Team, True),
    (Environment, True),
    (Policy, True),
    (Rule, True),
    (Approval, False),
    (Waiver, False),
    (DriftAlert, False),
    # Coverage reads how fresh production drift reports are.
    (DriftReport, False),
    (FrameworkPack, False),
    (CustomObligation, True),
    (PortfolioSnapshot, False),
    (Deployment, False),
    (GateDecision, False),
    (LogEntry, False),
)


def data_fingerprint() -> str:
    """A short string that changes whenever a row the command center reads is
    written, in one query: the largest ids of the tracked tables, the counts of
    the deletable ones, and the day (review dates and waivers move with time).
    A change that bypasses both save() and the audit log (a raw UPDATE) is
    seen when the cache entry expires (CACHE_TIMEOUT_SECONDS)."""
    quote = connection.ops.quote_name
    columns = []
    for model, deletable in _TRACKED:
        table = quote(model._meta.db_table)
        column = quote(cast(Field, model._meta.get_field("id")).column or "id")
        columns.append(f"(SELECT MAX({column}) FROM {table})")
        if deletable:
            columns.append(f"(SELECT COUNT(*) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns))
        values = cursor.fetchone()
    return "|".join([timezone.now().date().isoformat(), *map(str, values)])


def fingerprint_key(kind: str, fingerprint: str) -> str:
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:24]
    return f"cc:{kind}:{digest}"


def inventory_models() -> QuerySet[MLModel]:
    """The models in the inventory: every model not archived."""
    return MLModel.objects.filter(archived_at__isnull=True)


def _last_approvals(models: QuerySet[MLModel]) -> dict[int, datetime]:
    """When each model last received an approving decision, in one query."""
    rows = (
        Approval.objects.filter(
            decision=Approval.Decision.APPROVE, version__model__in=models.values("pk")
        )
        .values("version__model_id")
        .annotate(last=Max("created_at"))
        .order_by()
    )
    return {row["version__model_id"]: row["last"] for row in rows}


def model_rows(
    models: QuerySet[MLModel],
    *,
    now: datetime | None = None,
    standings: Mapping[int, ModelStanding] | None = None,
    frameworks: tuple[FrameworkSpec, ...] | None = None,
) -> list[ModelRow]:
    """One ModelRow per model of `models`, ordered by name, in a constant
    number of queries: the verdicts are deployments' `model_standings`
    (passed in when the caller has already read them for these models), the
    obligation coverage compliance's under the enabled `frameworks`."""
    now = now or timezone.now()
    models = models.order_by()
    with garbage_collection_paused():
        if standings is None:
            standings = model_standings(
                models, environments=environment_names(), now=now
            )
        if frameworks is None:
            frameworks = enabled_frameworks()
        return _model_rows(models, standings=standings, frameworks=frameworks, now=now)


def _model_rows(
    models: QuerySet[MLModel],
    *,
    standings: Mapping[int, ModelStanding],
    frameworks: tuple[FrameworkSpec, ...],
    now: datetime,
) -> list[ModelRow]:
    coverage = coverage_counts_by_model(
        models, frameworks=frameworks, standings=standings, now=now
    )
    last_approvals = _last_approvals(models)
    overdue_reviews = overdue_reviews_by_model(models, now=now)
    open_alerts = open_alert_counts_by_model(models)
    no_alerts = dict.fromkeys(ALERT_SEVERITIES, 0)
    # Equal verdicts are one object: the rows are cached, and pickle writes a
    # shared object once.
    shown: dict[Compliance, Compliance] = {}
    rows = []
    for model in models.order_by("name").values(
        "pk",
        "name",
        "display_name",
        "risk_tier",
        "kind",
        "ai_act_category",
        "created_at",
        team_name=F("team__name"),
        team_display=F("team__display_name"),
        owner_name=F("owner__username"),
    ):
        standing = standings.get(model["pk"])
        last_approved_at = last_approvals.get(model["pk"])
        counts = {
            framework: (found.met, found.partly_met, found.unmet)
            for framework, found in coverage.get(model["pk"], {}).items()
            if found.applicable
        }
        readiness = standing.readiness if standing else None
        if readiness is not None and counts:
            readiness = readiness.with_obligations(
                sum(met + partly / 2 for met, partly, _ in counts.values())
                / sum(sum(found) for found in counts.values())
            )
        rows.append(
            ModelRow(
                model_id=model["pk"],
                name=model["name"],
                display_name=model["display_name"],
                team=model["team_name"],
                team_display=model["team_display"],
                owner=model["owner_name"] or "",
                risk_tier=model["risk_tier"],
                registered_at=model["created_at"],
                versions=standing.versions if standing else 0,
                compliance={
                    environment: shown.setdefault(compliance, compliance)
                    for environment, found in standing.environments.items()
                    if (compliance := Compliance.of(found))
                }
                if standing
                else {},
                readiness_label=standing.readiness_subject.label
                if standing and standing.readiness_subject
                else None,
                readiness=readiness.score if readiness else None,
                readiness_points=readiness.points if readiness else {},
                last_approved_at=last_approved_at,
                review_due=review_due(
                    risk_tier=model["risk_tier"],
                    last_approved_at=last_approved_at,
                    registered_at=model["created_at"],
                ),
                open_alerts=open_alerts.get(model["pk"], no_alerts),
                overdue_review=overdue_reviews.get(model["pk"]),
                coverage=counts,
                kind=model["kind"],
                ai_act_category=model["ai_act_category"],
            )
        )
    return rows


# --- the CSV inventory --------------------------------------------------------

CSV_BATCH = 1000


def inventory_batches(
    *,
    batch: int = CSV_BATCH,
    now: datetime | None = None,
    frameworks: tuple[FrameworkSpec, ...] | None = None,
) -> Iterator[list[ModelRow]]:
    """The inventory models' rows, `batch` models at a time by keyset, so
    memory stays flat whatever the size of the inventory; coverage under the
    enabled `frameworks` (read once when not given)."""
    now = now or timezone.now()
    if frameworks is None:
        frameworks = enabled_frameworks()
    last_name = ""
    while True:
        names = list(
            inventory_models()
            .filter(name__gt=last_name)
            .order_by("name")
            .values_list("name", flat=True)[:batch]
        )
        if not names:
            return
        batch_models = inventory_models().filter(
            name__gt=last_name, name__lte=names[-1]
        )
        yield model_rows(batch_models, now=now, frameworks=frameworks)
        last_name = names[-1]


def inventory_rows_in_batches(
    *, now: datetime | None = None, frameworks: tuple[FrameworkSpec, ...] | None = None
) -> Iterator[ModelRow]:
    """Every inventory model's row, read a batch at a time (inventory_batches)."""
    for rows in inventory_batches(now=now, frameworks=frameworks):
        yield from rows


def inventory_export_rows(
    *, frameworks: tuple[FrameworkSpec, ...], now: datetime | None = None
) -> Iterator[tuple[ModelRow, UseCaseIntake | None]]:
    """What the inventory CSV writes: every inventory model's row with its
    current use-case intake (None: never answered), a batch at a time; one
    query more per batch for the intakes."""
    for rows in inventory_batches(now=now, frameworks=frameworks):
        intakes = current_intakes(row.model_id for row in rows)
        for row in rows:
            yield row, intakes.get(row.model_id)
