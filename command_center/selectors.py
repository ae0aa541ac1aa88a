"""Reads of the command center. Every aggregate comes from a constant number of
queries whatever the size of the portfolio, and is cached under a key that
contains a fingerprint of the data, so the first read after any write
computes afresh."""

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from auditlog.models import LogEntry
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Field,
    IntegerField,
    Max,
    Model,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from command_center import deployment_data
from command_center.models import PortfolioSnapshot, SavedSimulation
from command_center.portfolio import (
    ModelRow,
    approvals_required,
    review_due,
    summarize,
)
from drift.models import DriftAlert, DriftReport, FeatureDrift
from governance.engine import (
    PolicySet,
    Verdict,
    VersionFacts,
    WaiverSpec,
    count_independent_approvals,
    evaluate,
    readiness_breakdown,
    worst_drift_severity,
)
from governance.models import Approval, Evaluation, Policy, Rule, Waiver
from governance.selectors import current_policy_specs, version_facts, waiver_specs
from mlgov.cache import cached
from mlgov.exceptions import NotFoundError
from registry.models import Environment, MLModel, ModelVersion, Team

PRODUCTION = "production"
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
    (PortfolioSnapshot, False),
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


def _fingerprint_key(kind: str, fingerprint: str) -> str:
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:24]
    return f"cc:{kind}:{digest}"


def environment_names() -> list[str]:
    """Environment names along the promotion path."""
    return list(
        Environment.objects.order_by("rank", "name").values_list("name", flat=True)
    )


def inventory_models() -> QuerySet[MLModel]:
    """The models in the inventory: every model not archived."""
    return MLModel.objects.filter(archived_at__isnull=True)


def _current_versions(
    models: QuerySet[MLModel],
) -> tuple[dict[int, int], dict[int, int], dict[int, str]]:
    """Per model id: its current version's id (newest approved, else newest)
    and its version count; and each current version's status. One query over
    the models' versions, chosen in Python: a correlated subquery per model
    costs PostgreSQL seconds at 10,000 models."""
    newest: dict[int, tuple[int, int, str]] = {}
    newest_approved: dict[int, tuple[int, int, str]] = {}
    counts: dict[int, int] = defaultdict(int)
    approved = ModelVersion.Status.APPROVED
    for model_id, pk, number, status in ModelVersion.objects.filter(
        model__in=models.values("pk")
    ).values_list("model_id", "pk", "version", "status"):
        counts[model_id] += 1
        if model_id not in newest or number > newest[model_id][1]:
            newest[model_id] = (pk, number, status)
        if status == approved and (
            model_id not in newest_approved or number > newest_approved[model_id][1]
        ):
            newest_approved[model_id] = (pk, number, status)
    current = {**newest, **newest_approved}
    return (
        {model_id: pk for model_id, (pk, _, _) in current.items()},
        dict(counts),
        {pk: status for pk, _, status in current.values()},
    )


def _current_version_ids(models: QuerySet[MLModel]) -> QuerySet[Any, Any]:
    """The ids of the models' current versions, as a subquery: a window over
    each model's versions, approved first, then newest. A subquery rather than
    a list of ids, because psycopg spends a second rewriting a query with ten
    thousand parameters."""
    approved_first = Case(
        When(status=ModelVersion.Status.APPROVED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        ModelVersion.objects.filter(model__in=models.values("pk"))
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("model_id")],
                order_by=[approved_first.desc(), F("version").desc()],
            )
        )
        .filter(place=1)
        .values("pk")
    )


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


def _verdicts(
    facts: VersionFacts,
    policies: PolicySet,
    *,
    environments: Sequence[str],
    readiness_environment: str | None,
    now: datetime,
    waivers: Sequence[WaiverSpec],
) -> tuple[dict[str, bool], Verdict]:
    """Whether the version passes in each environment, and the full verdict
    readiness reads. Without open drift, the environment only matters through
    which policies apply, so environments with the same applicable policies
    share one evaluation (a third fewer at 10,000 models)."""
    passed: dict[str, bool] = {}
    by_policies: dict[tuple[int, ...], bool] = {}
    readiness_verdict: Verdict | None = None
    for environment in environments:
        key = None
        if not facts.open_drift:
            key = tuple(map(id, policies.applicable(facts, environment=environment)))
            if environment != readiness_environment and key in by_policies:
                passed[environment] = by_policies[key]
                continue
        verdict = evaluate(
            facts, policies, environment=environment, now=now, waivers=waivers
        )
        passed[environment] = verdict.passed
        if key is not None:
            by_policies[key] = verdict.passed
        if environment == readiness_environment:
            readiness_verdict = verdict
    if readiness_verdict is None:
        readiness_verdict = evaluate(
            facts, policies, environment=None, now=now, waivers=waivers
        )
    return passed, readiness_verdict


def model_rows(
    models: QuerySet[MLModel], *, now: datetime | None = None
) -> list[ModelRow]:
    """One ModelRow per model of `models`, ordered by name, in eleven queries.

    Readiness and compliance come from the current version's evaluations
    (governance.engine.evaluate); readiness uses the production verdict."""
    now = now or timezone.now()
    environments = environment_names()
    models = models.order_by()
    current, counts, statuses = _current_versions(models)
    last_approvals = _last_approvals(models)
    records = [
        (
            *record,
            current.get(record[0]),
            counts.get(record[0], 0),
            last_approvals.get(record[0]),
        )
        for record in models.order_by("name").values_list(
            "pk",
            "name",
            "display_name",
            "team__name",
            "team__display_name",
            "owner__username",
            "risk_tier",
            "created_at",
        )
    ]
    facts: dict = {}
    waivers: dict = {}
    policies = PolicySet(())
    if current:
        versions = ModelVersion.objects.filter(pk__in=_current_version_ids(models))
        facts = version_facts(versions)
        waivers = waiver_specs(versions=versions, now=now)
        policies = PolicySet(current_policy_specs())
    readiness_environment = PRODUCTION if PRODUCTION in environments else None

    rows = []
    for (
        pk,
        name,
        display_name,
        team,
        team_display,
        owner,
        risk_tier,
        registered_at,
        version_id,
        version_count,
        last_approved_at,
    ) in records:
        due = review_due(
            risk_tier=risk_tier,
            last_approved_at=last_approved_at,
            registered_at=registered_at,
        )
        version_facts_ = facts.get(version_id) if version_id is not None else None
        if version_facts_ is None:
            rows.append(
                ModelRow(
                    model_id=pk,
                    name=name,
                    display_name=display_name,
                    team=team,
                    team_display=team_display,
                    owner=owner or "",
                    risk_tier=risk_tier,
                    registered_at=registered_at,
                    version=None,
                    version_status=None,
                    versions=version_count,
                    compliance=dict.fromkeys(environments, False),
                    readiness=None,
                    last_approved_at=last_approved_at,
                    review_due=due,
                )
            )
            continue
        version_waivers = waivers.get(version_id, ())
        compliance, readiness_verdict = _verdicts(
            version_facts_,
            policies,
            environments=environments,
            readiness_environment=readiness_environment,
            now=now,
            waivers=version_waivers,
        )
        breakdown = readiness_breakdown(
            verdict=readiness_verdict,
            approvals_required=approvals_required(readiness_verdict.results),
            independent_approvals=count_independent_approvals(
                version_facts_.approver_ids,
                version_facts_.creator_id,
                version_facts_.submitter_id,
            ),
            model_card=version_facts_.model_card,
            worst_open_drift=worst_drift_severity(version_facts_.open_drift),
        )
        rows.append(
            ModelRow(
                model_id=pk,
                name=name,
                display_name=display_name,
                team=team,
                team_display=team_display,
                owner=owner or "",
                risk_tier=risk_tier,
                registered_at=registered_at,
                version=version_facts_.version,
                version_status=statuses[version_facts_.version_id],
                versions=version_count,
                compliance=compliance,
                readiness=breakdown.score,
                readiness_points=breakdown.points,
                last_approved_at=last_approved_at,
                review_due=due,
            )
        )
    return rows


def open_alerts_by_severity() -> dict[str, int]:
    """Unresolved drift alerts of inventory models, per severity, in one query.

    Acknowledged alerts count: someone is on it, but the data still drifts."""
    counts = (
        DriftAlert.objects.unresolved()
        .filter(version__model__archived_at__isnull=True)
        .values("severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["severity"]: row["n"] for row in counts}


def inventory_version_count() -> int:
    """Versions of the models in the inventory."""
    return ModelVersion.objects.filter(model__archived_at__isnull=True).count()


@dataclass(frozen=True)
class PortfolioState:
    """The rows of every inventory model and the overview's numbers."""

    rows: tuple[ModelRow, ...]
    summary: dict[str, Any]
    environments: tuple[str, ...]
    computed_at: datetime


def compute_portfolio(*, now: datetime | None = None) -> PortfolioState:
    """The portfolio from the database, uncached, in a constant number of queries."""
    now = now or timezone.now()
    rows = model_rows(inventory_models(), now=now)
    environments = tuple(environment_names())
    by_id = {row.model_id: row for row in rows}
    summary = summarize(
        rows=rows,
        versions=inventory_version_count(),
        environments=environments,
        drift_alerts_open=open_alerts_by_severity(),
        production=deployment_data.production_compliance_by_deployment(by_id),
        gate_decisions=deployment_data.gate_decisions_last_30_days(),
        today=now.date(),
    )
    return PortfolioState(
        rows=tuple(rows), summary=summary, environments=environments, computed_at=now
    )


def portfolio_state() -> PortfolioState:
    """The portfolio, cached until the data changes (see data_fingerprint)."""
    return cached(_fingerprint_key("portfolio", data_fingerprint()), compute_portfolio)


def portfolio_summary() -> dict[str, Any]:
    """The overview's numbers: what /api/v1/portfolio/summary/ returns too."""
    fingerprint = data_fingerprint()
    return cached(
        _fingerprint_key("summary", fingerprint),
        lambda: (
            cached(
                _fingerprint_key("portfolio", fingerprint), compute_portfolio
            ).summary
        ),
    )


def compliance_trend(
    *, days: int = TREND_DAYS, today: date | None = None
) -> list[PortfolioSnapshot]:
    """Daily snapshots of the last `days` days, oldest first."""
    today = today or timezone.now().date()
    return list(
        PortfolioSnapshot.objects.filter(day__gt=today - timedelta(days=days)).order_by(
            "day"
        )
    )


def overview() -> dict[str, Any]:
    """Everything the overview page shows, cached until the data changes."""
    fingerprint = data_fingerprint()

    def compute() -> dict[str, Any]:
        state = cached(_fingerprint_key("portfolio", fingerprint), compute_portfolio)
        return {
            "summary": state.summary,
            "environments": state.environments,
            "trend": [
                (
                    snapshot.day,
                    snapshot.models_compliance_rate,
                    snapshot.production_compliance_rate,
                )
                for snapshot in compliance_trend()
            ],
            "computed_at": state.computed_at,
        }

    return cached(_fingerprint_key("overview", fingerprint), compute)


# --- the model page ---------------------------------------------------------


@dataclass(frozen=True)
class DriftPoint:
    """One feature's result in one report, for the drift charts."""

    at: datetime
    version: int
    method: str
    statistic: float | None
    threshold: float | None
    psi: float | None
    severity: str
    drifted: bool
    evaluable: bool


@dataclass(frozen=True)
class DriftSeries:
    """The history of one feature in one environment, oldest first."""

    feature: str
    environment: str
    points: tuple[DriftPoint, ...]

    @property
    def latest(self) -> DriftPoint:
        return self.points[-1]


DRIFT_HISTORY_REPORTS = 60


def drift_history(
    *, model_id: int, reports: int = DRIFT_HISTORY_REPORTS
) -> list[DriftSeries]:
    """Per feature and environment, the results of the model's latest
    `reports` drift reports, in two queries."""
    report_ids = list(
        DriftReport.objects.filter(version__model_id=model_id)
        .order_by("-window_end", "-id")
        .values_list("pk", flat=True)[:reports]
    )
    if not report_ids:
        return []
    rows = (
        FeatureDrift.objects.filter(report_id__in=report_ids)
        .order_by(
            "feature", "report__environment__rank", "report__window_end", "report_id"
        )
        .values_list(
            "feature",
            "report__environment__name",
            "report__window_end",
            "report__version__version",
            "method",
            "statistic",
            "threshold",
            "psi",
            "severity",
            "drifted",
            "evaluable",
        )
    )
    series: dict[tuple[str, str], list[DriftPoint]] = defaultdict(list)
    for (
        feature,
        environment,
        at,
        version,
        method,
        statistic,
        threshold,
        psi,
        severity,
        drifted,
        evaluable,
    ) in rows:
        series[(feature, environment)].append(
            DriftPoint(
                at=at,
                version=version,
                method=method,
                statistic=statistic,
                threshold=threshold,
                psi=psi,
                severity=severity,
                drifted=drifted,
                evaluable=evaluable,
            )
        )
    return [
        DriftSeries(feature=feature, environment=environment, points=tuple(points))
        for (feature, environment), points in series.items()
    ]


def model_audit_history(
    *, model_id: int, version_ids: Sequence[int], limit: int = 50
) -> list[LogEntry]:
    """The latest audit entries of the model and its versions, in one query."""
    keys = [str(pk) for pk in version_ids]
    return list(
        LogEntry.objects.filter(
            Q(
                content_type__app_label="registry",
                content_type__model="mlmodel",
                object_pk=str(model_id),
            )
            | Q(
                content_type__app_label="registry",
                content_type__model="modelversion",
                object_pk__in=keys,
            )
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-id")[:limit]
    )


@dataclass(frozen=True)
class ModelPage:
    """Everything the model page shows, each part read in one query."""

    model: MLModel
    row: ModelRow
    versions: list[ModelVersion]
    evaluations: list[Evaluation]
    approvals: list[Approval]
    waivers: list[Waiver]
    open_alerts: list[DriftAlert]
    drift: list[DriftSeries]
    deployments: list[Any] | None
    audit: list[LogEntry]
    environments: tuple[str, ...]


def model_page(*, name: str, now: datetime | None = None) -> ModelPage:
    """The model page's data, or NotFoundError."""
    now = now or timezone.now()
    model = MLModel.objects.select_related("team", "owner").filter(name=name).first()
    if model is None:
        raise NotFoundError(f"No model named {name!r}.")
    (row,) = model_rows(MLModel.objects.filter(pk=model.pk), now=now)
    versions = list(
        model.versions.select_related("created_by", "submitted_by").order_by("-version")
    )
    evaluations = list(
        Evaluation.objects.filter(version__model=model)
        .select_related("version", "environment", "requested_by")
        .order_by("-evaluated_at", "-id")[:20]
    )
    approvals = list(
        Approval.objects.filter(version__model=model)
        .select_related("version", "reviewer")
        .order_by("-created_at", "-id")
    )
    waivers = list(
        Waiver.objects.filter(version__model=model)
        .select_related("version", "policy", "granted_by", "revoked_by")
        .order_by("-granted_at", "-id")
    )
    open_alerts = list(
        DriftAlert.objects.unresolved()
        .filter(version__model=model)
        .select_related("version", "environment")
        .order_by("-last_seen_at", "-id")
    )
    return ModelPage(
        model=model,
        row=row,
        versions=versions,
        evaluations=evaluations,
        approvals=approvals,
        waivers=waivers,
        open_alerts=open_alerts,
        drift=drift_history(model_id=model.pk),
        deployments=deployment_data.deployment_timeline(model_id=model.pk),
        audit=model_audit_history(
            model_id=model.pk, version_ids=[version.pk for version in versions]
        ),
        environments=tuple(row.compliance),
    )


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


# --- the CSV inventory --------------------------------------------------------

CSV_BATCH = 1000


def inventory_rows_in_batches(
    *, batch: int = CSV_BATCH, now: datetime | None = None
) -> Iterator[ModelRow]:
    """Every inventory model's row, read `batch` models at a time by keyset, so
    memory stays flat whatever the size of the inventory."""
    now = now or timezone.now()
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
        yield from model_rows(batch_models, now=now)
        last_name = names[-1]
