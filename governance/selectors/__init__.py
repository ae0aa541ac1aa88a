"""Reads of governance data. The facts for any number of versions are gathered
in a constant number of queries, so evaluating the portfolio costs the same
handful of round trips as evaluating one version."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from drift.selectors import latest_monitoring_rows, open_drift_by_version
from governance import hot
from governance.documents import PolicyDocument, RuleDocument
from governance.engine import (
    NO_EVALUATION_RESULTS,
    EvaluationResultFact,
    MonitoredReport,
    PolicySet,
    PolicySpec,
    ReadinessBreakdown,
    Verdict,
    VersionFacts,
    WaiverSpec,
    evaluate,
    is_review_overdue,
    version_readiness,
)
from governance.models import (
    Approval,
    Evaluation,
    Policy,
    PolicyRevision,
    Rule,
    Waiver,
)
from governance.selectors.reviews import (
    assignable_reviewers as assignable_reviewers,
)
from governance.selectors.reviews import (
    overdue_review_count as overdue_review_count,
)
from governance.selectors.reviews import (
    overdue_reviews_by_model as overdue_reviews_by_model,
)
from governance.selectors.reviews import (
    review_progress as review_progress,
)
from governance.selectors.reviews import (
    reviewer_by_username as reviewer_by_username,
)
from governance.selectors.reviews import (
    reviewers as reviewers,
)
from governance.selectors.reviews import (
    version_approvals as version_approvals,
)
from governance.selectors.reviews import (
    version_assignments as version_assignments,
)
from governance.selectors.reviews import (
    version_comments as version_comments,
)
from governance.selectors.reviews import (
    versions_awaiting_review as versions_awaiting_review,
)
from mlgov.db import fetch_together
from mlgov.exceptions import NotFoundError
from registry.constants import VERSION_IN_REVIEW
from registry.models import MLModel, ModelVersion


def policies_with_rules() -> QuerySet[Policy]:
    """Every policy with its rules in order."""
    return Policy.objects.prefetch_related(
        Prefetch("rules", queryset=Rule.objects.order_by("position"))
    ).order_by("name")


def policy_document(policy: Policy) -> PolicyDocument:
    """A stored policy (rules prefetched) as a document."""
    return PolicyDocument(
        name=policy.name,
        description=policy.description,
        enforcement=policy.enforcement,
        risk_tiers=tuple(policy.risk_tiers),
        environments=tuple(policy.environments),
        tags=tuple(policy.tags),
        model_kinds=tuple(policy.model_kinds),
        rules=tuple(
            RuleDocument(kind=rule.kind, params=rule.params)
            for rule in policy.rules.all()
        ),
    )


def current_policy_specs() -> list[PolicySpec]:
    """Every stored policy as the engine sees it, by name, in one query; the
    specs are built (and their rules compiled) once per process for each
    state of the stored policies. Specs are immutable: do not change them."""
    return hot.policy_specs()


# What a version's facts are read from. `version_facts` runs these for any
# number of versions; `evaluation_evidence` runs them, compiled once, for one
# (governance.hot).
FACT_COLUMNS = (
    "pk",
    "version",
    "model_id",
    "model__name",
    "model__risk_tier",
    "model__kind",
    "metrics",
    "model_card",
    "evaluation_results",
    "created_by_id",
    "submitted_by_id",
    "created_at",
    "status",
    "submitted_at",
)


def _fact_rows(versions: QuerySet[ModelVersion]) -> QuerySet:
    """The versions' fact columns as named rows (governance.hot.FactRow's
    names, which the compiled twin returns)."""
    return versions.order_by().values_list(*FACT_COLUMNS, named=True)


def _tag_rows(**models: Any) -> QuerySet:
    """(model id, tag name) of the models `models` selects (a lookup on
    `mlmodel_id`)."""
    links = MLModel.tags.through.objects.filter(**models)
    return links.values_list("mlmodel_id", "tag__name")


def _approval_rows(**versions: Any) -> QuerySet:
    """(version id, reviewer id, approval id) of the approving decisions on
    the versions `versions` selects (a lookup on `version`)."""
    approvals = Approval.objects.filter(decision=Approval.Decision.APPROVE, **versions)
    return approvals.order_by("pk").values_list("version_id", "reviewer_id", "pk")


def _waiver_rows(waivers: QuerySet[Waiver]) -> QuerySet:
    return waivers.order_by("pk").values_list(
        "version_id", "policy__name", "rule_position", "expires_at", "revoked_at", "pk"
    )


def monitoring_by_version(
    rows: Iterable[tuple],
) -> dict[int, dict[str, tuple[MonitoredReport, ...]]]:
    """Per version id, per environment name, the latest monitoring reports,
    from `drift.selectors.latest_monitoring_rows`."""
    gathered: dict[int, dict[str, list[MonitoredReport]]] = {}
    for version_id, environment, kind, attribute, window_end, values in rows:
        gathered.setdefault(version_id, {}).setdefault(environment, []).append(
            MonitoredReport(
                kind=kind,
                attribute=attribute,
                window_end=window_end,
                values=values or {},
            )
        )
    return {
        version_id: {
            environment: tuple(sorted(reports, key=lambda r: (r.kind, r.attribute)))
            for environment, reports in by_environment.items()
        }
        for version_id, by_environment in gathered.items()
    }


def _assemble_facts(
    rows: Iterable[Any],
    tag_rows: Iterable[tuple],
    approval_rows: Iterable[tuple],
    drift: dict[int, dict[str, str]],
    monitoring: dict[int, dict[str, tuple[MonitoredReport, ...]]] | None = None,
) -> dict[int, VersionFacts]:
    monitoring = monitoring or {}
    tags: dict[int, set[str]] = defaultdict(set)
    for model_id, tag in tag_rows:
        tags[model_id].add(tag)
    approvers: dict[int, set[int]] = defaultdict(set)
    for version_id, reviewer_id, _ in approval_rows:
        approvers[version_id].add(reviewer_id)
    frozen_tags = {model_id: frozenset(names) for model_id, names in tags.items()}
    return {
        row.pk: VersionFacts(
            version_id=row.pk,
            model=row.model__name,
            version=row.version,
            risk_tier=row.model__risk_tier,
            model_kind=row.model__kind,
            tags=frozen_tags.get(row.model_id, frozenset()),
            metrics=row.metrics or {},
            model_card=row.model_card or {},
            approver_ids=frozenset(approvers.get(row.pk, ())),
            creator_id=row.created_by_id,
            submitter_id=row.submitted_by_id,
            created_at=row.created_at,
            open_drift=drift.get(row.pk, {}),
            in_review_since=row.submitted_at
            if row.status == VERSION_IN_REVIEW
            else None,
            evaluation_results=evaluation_result_facts(row.evaluation_results),
            monitoring=monitoring.get(row.pk, {}),
        )
        for row in rows
    }


def evaluation_result_facts(
    results: list[dict[str, Any]] | None,
) -> Mapping[str, EvaluationResultFact]:
    """A version's stored evaluation results as the engine reads them."""
    if not results:
        return NO_EVALUATION_RESULTS
    return {
        result["metric"]: EvaluationResultFact(
            value=result["value"],
            sample_size=result["sample_size"],
            suite=result["suite"],
            judge=result["judge"],
        )
        for result in results
    }


def _waiver_spec(row: tuple) -> WaiverSpec:
    _, policy, position, expires_at, revoked_at, _ = row
    return WaiverSpec(
        policy=policy,
        rule_position=position,
        expires_at=expires_at,
        revoked_at=revoked_at,
    )


def version_facts(
    versions: QuerySet[ModelVersion] | None = None,
) -> dict[int, VersionFacts]:
    """The facts of each version in `versions` (default: all), by version id.

    Five queries whatever the number of versions: versions with their model,
    model tags, approvals, open drift alerts and the latest performance and
    fairness reports; the last four filter by a subquery, not a list of ids."""
    versions = ModelVersion.objects.all() if versions is None else versions
    rows = list(_fact_rows(versions))
    if not rows:
        return {}
    return _assemble_facts(
        rows,
        _tag_rows(mlmodel_id__in=versions.values("model_id")),
        _approval_rows(version__in=versions.values("pk")).order_by(),
        open_drift_by_version(versions=versions),
        monitoring_by_version(latest_monitoring_rows(versions)),
    )


def waiver_specs(
    *, versions: QuerySet[ModelVersion] | None = None, now: datetime | None = None
) -> dict[int, list[WaiverSpec]]:
    """Waivers still in force at `now`, per version id, in one query."""
    waivers = Waiver.objects.active(now or timezone.now())
    if versions is not None:
        waivers = waivers.filter(version__in=versions.values("pk"))
    by_version: dict[int, list[WaiverSpec]] = defaultdict(list)
    for row in _waiver_rows(waivers):
        by_version[row[0]].append(_waiver_spec(row))
    return by_version


class VersionVerdicts:
    """The verdicts of a set of versions in any environment, from facts,
    policies and waivers gathered once: the one place that evaluates many
    versions (the command center, the admin, the portfolio's numbers)."""

    def __init__(
        self,
        *,
        facts: dict[int, VersionFacts],
        policies: PolicySet,
        waivers: dict[int, list[WaiverSpec]],
        now: datetime,
        review_sla_days: Mapping[str, int] | None = None,
    ) -> None:
        self.facts = facts
        self.policies = policies
        self.waivers = waivers
        self.now = now
        self.review_sla_days = (
            settings.REVIEW_SLA_DAYS if review_sla_days is None else review_sla_days
        )
        self._verdicts: dict[tuple, Verdict] = {}

    @classmethod
    def of_evidence(
        cls, evidence: "EvaluationEvidence", *, now: datetime
    ) -> "VersionVerdicts":
        """The verdicts of the one version whose evidence was read."""
        return cls(
            facts={evidence.facts.version_id: evidence.facts},
            policies=PolicySet(evidence.policies),
            waivers={evidence.facts.version_id: evidence.waivers},
            now=now,
        )

    def __contains__(self, version_id: int) -> bool:
        return version_id in self.facts

    def verdict(self, version_id: int, environment: str | None) -> Verdict:
        """The version's verdict in `environment` (None: the approval decision),
        as `governance.engine.evaluate` gives it."""
        facts = self.facts[version_id]
        # Without open drift or monitoring reports the environment matters only
        # through the policies that apply there, so environments sharing them
        # share one evaluation.
        if facts.open_drift or facts.monitoring:
            key: tuple = (version_id, environment)
        else:
            names = self.policies.applicable_names(facts, environment=environment)
            key = (version_id, names)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = evaluate(
                facts,
                self.policies,
                environment=environment,
                now=self.now,
                waivers=self.waivers.get(version_id, ()),
            )
            self._verdicts[key] = verdict
        return verdict

    def readiness(self, version_id: int, environment: str | None) -> ReadinessBreakdown:
        """The version's readiness from its verdict in `environment`, counting
        a review past its deadline (settings.REVIEW_SLA_DAYS)."""
        facts = self.facts[version_id]
        return version_readiness(
            facts,
            self.verdict(version_id, environment),
            review_overdue=is_review_overdue(
                facts.in_review_since, facts.risk_tier, self.review_sla_days, self.now
            ),
        )


def evaluate_versions(
    *, versions: QuerySet[ModelVersion], now: datetime | None = None
) -> VersionVerdicts:
    """The verdicts of `versions`, computed on demand from what eight queries
    gather, whatever the number of versions."""
    now = now or timezone.now()
    return VersionVerdicts(
        facts=version_facts(versions),
        policies=PolicySet(current_policy_specs()),
        waivers=waiver_specs(versions=versions, now=now),
        now=now,
    )


@dataclass(frozen=True)
class EvaluationEvidence:
    """What `governance.engine.evaluate` needs for one version, and the
    evidence a decision record counts: the approvals that count (approving,
    not by the version's creator or submitter) and the waivers in force."""

    facts: VersionFacts
    policies: list[PolicySpec]
    waivers: list[WaiverSpec]
    approval_ids: list[int]
    waiver_ids: list[int]


def evaluation_evidence(*, version: ModelVersion, now: datetime) -> EvaluationEvidence:
    """Everything `evaluation_inputs` gives for one version, with the ids of
    the approvals and waivers it counted: seven compiled queries in one round
    trip (governance.hot.EvidenceQuery)."""
    query = hot.EvidenceQuery(version)
    return query.decode(fetch_together(*query.queries), now=now)


def evaluation_inputs(
    *, version: ModelVersion, now: datetime
) -> tuple[VersionFacts, list[PolicySpec], list[WaiverSpec]]:
    """What `governance.engine.evaluate` needs for one version: its facts,
    every stored policy and the waivers in force at `now`. The evaluation
    endpoint, submission, review and the deployment gate all gather here."""
    evidence = evaluation_evidence(version=version, now=now)
    return evidence.facts, evidence.policies, evidence.waivers


def waiver_list(
    *,
    model: str | None = None,
    version: int | None = None,
    state: str | None = None,
    now: datetime | None = None,
) -> QuerySet[Waiver]:
    """Waivers with the rows their list shows, filtered."""
    now = now or timezone.now()
    waivers = Waiver.objects.select_related(
        "version__model", "policy", "granted_by", "revoked_by"
    )
    if model:
        waivers = waivers.filter(version__model__name=model)
    if version:
        waivers = waivers.filter(version__version=version)
    if state:
        waivers = waivers.in_state(state, now)
    return waivers


def waiver_by_id(*, pk: int) -> Waiver:
    """One waiver, or NotFoundError."""
    waiver = waiver_list().filter(pk=pk).first()
    if waiver is None:
        raise NotFoundError(f"No waiver {pk}.")
    return waiver


def policy_by_name(*, name: str) -> Policy:
    """One policy by its unique name, or NotFoundError."""
    policy = Policy.objects.filter(name=name).first()
    if policy is None:
        raise NotFoundError(f"No policy named {name!r}.")
    return policy


def policy_with_rules_by_name(*, name: str) -> Policy:
    """One policy by its unique name with its rules, or NotFoundError."""
    policy = policies_with_rules().filter(name=name).first()
    if policy is None:
        raise NotFoundError(f"No policy named {name!r}.")
    return policy


def policies_with_last_change() -> QuerySet[Policy]:
    """Every policy with its rules, annotated with who made its current
    revision (`last_changed_by`, a username or None) and why (`last_reason`)."""
    current = PolicyRevision.objects.filter(
        policy=OuterRef("pk"), revision=OuterRef("revision")
    )
    return policies_with_rules().annotate(
        last_changed_by=Subquery(current.values("changed_by__username")[:1]),
        last_reason=Subquery(current.values("reason")[:1]),
        last_changed_at=Subquery(current.values("created_at")[:1]),
    )


def policy_revisions(*, policy: Policy) -> QuerySet[PolicyRevision]:
    """A policy's revisions, newest first, with their authors."""
    return (
        PolicyRevision.objects.filter(policy=policy)
        .select_related("changed_by")
        .order_by("-revision")
    )


def policy_by_id(*, pk: int) -> Policy:
    """One policy with its rules, or NotFoundError."""
    policy = policies_with_rules().filter(pk=pk).first()
    if policy is None:
        raise NotFoundError(f"No policy {pk}.")
    return policy


def version_evaluations(
    *, version: ModelVersion, environment: str | None = None, trigger: str | None = None
) -> QuerySet[Evaluation]:
    """A version's stored evaluations; `environment` "approval" means the
    environment-independent approval decision."""
    evaluations = Evaluation.objects.filter(version=version).select_related(
        "environment", "requested_by"
    )
    if environment == "approval":
        evaluations = evaluations.filter(environment__isnull=True)
    elif environment:
        evaluations = evaluations.filter(environment__name=environment)
    if trigger:
        evaluations = evaluations.filter(trigger=trigger)
    return evaluations


def latest_approval_evaluation(*, version: ModelVersion) -> Evaluation | None:
    """The newest stored approval-decision evaluation of a version."""
    return (
        version_evaluations(version=version, environment="approval")
        .order_by("-evaluated_at", "-id")
        .first()
    )
