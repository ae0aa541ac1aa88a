"""Per-model rows of the command center: the data fingerprint that keys its
cache, and one `ModelRow` per model in a constant number of queries (the
whole inventory for the overview, a batch at a time for the CSV)."""

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from auditlog.models import LogEntry
from django.db import connection
from django.db.models import (
    Case,
    F,
    Field,
    IntegerField,
    Max,
    Model,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from command_center.models import PortfolioSnapshot
from command_center.portfolio import (
    ModelRow,
    approvals_required,
    review_due,
)
from deployments.models import Deployment, GateDecision
from drift.models import DriftAlert
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
from governance.models import Approval, Policy, Rule, Waiver
from governance.selectors import current_policy_specs, version_facts, waiver_specs
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
