"""Reads for obligation coverage: the enabled frameworks with their custom
obligations, and the facts of many models gathered in a constant number of
queries (`coverage_facts`), judged by the pure engine."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    F,
    Lookup,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from compliance.engine import (
    AuditRetentionFacts,
    CountsPlan,
    CoverageCounts,
    CoverageFacts,
    DocumentRef,
    DriftReportRef,
    EnforcedRule,
    FrameworkCoverage,
    FrameworkSpec,
    ObligationSpec,
    PackError,
    ProvenanceFacts,
    model_coverage,
    validate_obligation,
)
from compliance.models import CustomObligation, FrameworkPack, TechnicalDocument
from compliance.packs import shipped_packs
from deployments.models import Deployment
from deployments.selectors import model_standings
from deployments.standing import ModelStanding
from drift.constants import ALERT_OPEN
from drift.models import DriftAlert, DriftReport
from governance.constants import ENFORCE
from governance.engine import count_independent_approvals
from governance.selectors import version_facts
from mlgov.exceptions import NotFoundError
from mlgov.models import AuditRetention
from registry.constants import PRODUCTION
from registry.models import MLModel, ModelVersion, UseCaseIntake
from registry.selectors import model_by_name

logger = logging.getLogger(__name__)


# --- frameworks ----------------------------------------------------------------


@dataclass(frozen=True)
class PackListing:
    """A shipped pack with its state: enabled or not, at which version, and
    its custom obligations."""

    spec: FrameworkSpec
    state: FrameworkPack | None
    custom: tuple[CustomObligation, ...]

    @property
    def enabled(self) -> bool:
        return self.state is not None and self.state.enabled


def framework_packs() -> list[PackListing]:
    """Every shipped pack with its state and custom obligations, two queries."""
    states = {
        pack.framework: pack
        for pack in FrameworkPack.objects.select_related("changed_by")
    }
    custom: dict[str, list[CustomObligation]] = {}
    for obligation in CustomObligation.objects.all():
        custom.setdefault(obligation.framework, []).append(obligation)
    return [
        PackListing(spec, states.get(framework), tuple(custom.get(framework, ())))
        for framework, spec in shipped_packs().items()
    ]


def custom_obligation_spec(obligation: CustomObligation) -> ObligationSpec | None:
    """A stored obligation as the engine reads it; None (and a warning in the
    log) when the schema no longer accepts it, say an evidence kind removed
    since it was stored."""
    try:
        return validate_obligation(obligation.document, custom=True)
    except PackError as error:
        logger.warning(
            "custom obligation %s of %s no longer validates: %s",
            obligation.obligation_id,
            obligation.framework,
            error,
        )
        return None


def enabled_frameworks() -> tuple[FrameworkSpec, ...]:
    """The enabled packs, each with its custom obligations after its own, in
    file-name order: one query when none is enabled (the usual case of the
    pages that read it on every computation), two otherwise."""
    enabled = set(
        FrameworkPack.objects.filter(enabled=True).values_list("framework", flat=True)
    )
    if not enabled:
        return ()
    custom: dict[str, list[ObligationSpec]] = {}
    for obligation in CustomObligation.objects.filter(framework__in=enabled):
        spec = custom_obligation_spec(obligation)
        if spec is not None:
            custom.setdefault(obligation.framework, []).append(spec)
    return tuple(
        spec.with_obligations(tuple(custom.get(framework, ())))
        for framework, spec in shipped_packs().items()
        if framework in enabled
    )


def custom_obligations() -> QuerySet[CustomObligation]:
    return CustomObligation.objects.select_related("created_by")


def custom_obligation_by_id(*, pk: int) -> CustomObligation:
    found = custom_obligations().filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No custom obligation {pk}.")
    return found


# --- facts -------------------------------------------------------------------


def audit_retention_facts() -> AuditRetentionFacts:
    """The shortest span of audit trail any pruning kept, one query."""
    spans = [
        performed_at - cutoff
        for cutoff, performed_at in AuditRetention.objects.values_list(
            "cutoff", "performed_at"
        )
    ]
    return AuditRetentionFacts(min(spans) if spans else None)


def _production_deployments(models: QuerySet[MLModel]) -> dict[tuple[int, int], int]:
    """The active production deployment per (model id, version id)."""
    rows = (
        Deployment.objects.active()
        .filter(model__in=models.values("pk"), environment__name=PRODUCTION)
        .values_list("model_id", "version_id", "pk")
    )
    return {(model_id, version_id): pk for model_id, version_id, pk in rows}


class _AnyOf(Lookup):
    """`lhs = ANY(%s)`, the right-hand side a list of ids sent as one
    PostgreSQL array, as it is (no per-item preparation)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))


def _versions(version_ids: set[int]) -> QuerySet[ModelVersion]:
    """The versions of `version_ids`. On PostgreSQL the ids go as one array
    parameter (`= ANY(%s)`): at 10,000 models a literal `IN` list of
    thousands of placeholders cost the ORM and psycopg more CPU than the
    query itself (docs/performance.md)."""
    if connection.vendor == "postgresql":
        return ModelVersion.objects.filter(_AnyOf(F("pk"), list(version_ids)))
    return ModelVersion.objects.filter(pk__in=version_ids)


def _latest_production_drift(version_ids: set[int]) -> dict[int, DriftReportRef]:
    """The newest production drift report per version id, one query."""
    if not version_ids:
        return {}
    newest = DriftReport.objects.filter(
        version=OuterRef("pk"), environment__name=PRODUCTION
    ).order_by("-created_at", "-pk")
    rows = (
        _versions(version_ids)
        .annotate(
            report_id=Subquery(newest.values("pk")[:1]),
            report_at=Subquery(newest.values("created_at")[:1]),
        )
        .values_list("pk", "report_id", "report_at")
    )
    return {
        pk: DriftReportRef(report_id, report_at)
        for pk, report_id, report_at in rows
        if report_id is not None
    }


def _provenance_and_documents(
    version_ids: set[int],
) -> dict[int, tuple[ProvenanceFacts, DocumentRef | None]]:
    """Per version id, where it comes from and its newest technical document,
    one query."""
    if not version_ids:
        return {}
    newest = TechnicalDocument.objects.filter(version=OuterRef("pk")).order_by(
        "-revision"
    )
    rows = (
        _versions(version_ids)
        .annotate(
            document_revision=Subquery(newest.values("revision")[:1]),
            document_at=Subquery(newest.values("generated_at")[:1]),
        )
        .values_list(
            "pk",
            "artifact_sha256",
            "training_data_ref",
            "provider",
            "provider_model",
            "document_revision",
            "document_at",
        )
    )
    return {
        pk: (
            ProvenanceFacts(sha256, training_data, provider, provider_model),
            DocumentRef(revision, at) if revision is not None else None,
        )
        for pk, sha256, training_data, provider, provider_model, revision, at in rows
    }


def _unhandled_alerts(models: QuerySet[MLModel]) -> dict[int, tuple[datetime, int]]:
    """Per model id, when its oldest open (unacknowledged) alert was first seen
    and how many are open, one query."""
    rows = (
        DriftAlert.objects.filter(
            status=ALERT_OPEN, version__model__in=models.values("pk")
        )
        .values_list("version__model_id")
        .annotate(oldest=Min("first_seen_at"), count=Count("pk"))
        .order_by()
    )
    return {model_id: (oldest, count) for model_id, oldest, count in rows}


def coverage_facts(
    models: QuerySet[MLModel],
    *,
    standings: Mapping[int, ModelStanding] | None = None,
    now: datetime | None = None,
) -> dict[int, CoverageFacts]:
    """Per model id, what the evidence kinds read, judged on the version that
    speaks for the model in production. A constant number of queries whatever
    the number of models; pass the `standings` already read (with production
    among their environments) to skip evaluating again."""
    now = now or timezone.now()
    models = models.order_by()
    if standings is None:
        standings = model_standings(models, environments=[PRODUCTION], now=now)
    subjects = {
        model_id: found
        for model_id, standing in standings.items()
        if (found := standing.environments.get(PRODUCTION)) is not None
    }
    subject_ids = {found.subject.version.version_id for found in subjects.values()}
    # The standings carry the facts their verdicts read; only standings built
    # without them cost the five queries of reading them again.
    facts_of = {
        found.subject.version.version_id: found.facts
        for found in subjects.values()
        if found.facts is not None
    }
    if missing := subject_ids - facts_of.keys():
        facts_of.update(version_facts(_versions(missing)))
    deployments = _production_deployments(models)
    serving_ids = {
        found.subject.version.version_id
        for found in subjects.values()
        if found.subject.is_serving
    }
    drift = _latest_production_drift(serving_ids)
    alerts = _unhandled_alerts(models)
    retention = audit_retention_facts()
    origins = _provenance_and_documents(subject_ids)
    # The current intake's human oversight answers, read with the models.
    intake = UseCaseIntake.objects.filter(model=OuterRef("pk")).order_by("-revision")
    rows = models.annotate(
        intake_revision=Subquery(intake.values("revision")[:1]),
        oversight_measures=Subquery(intake.values("human_oversight_measures")[:1]),
        oversight_contact=Subquery(intake.values("human_oversight_contact")[:1]),
    ).values_list(
        "pk",
        "name",
        "risk_tier",
        "ai_act_category",
        "kind",
        "intake_revision",
        "oversight_measures",
        "oversight_contact",
    )
    result = {}
    for model_id, name, tier, category, kind, revision, measures, contact in rows:
        found = subjects.get(model_id)
        oldest, unhandled = alerts.get(model_id, (None, 0))
        if found is None:
            result[model_id] = CoverageFacts(
                model=name,
                risk_tier=tier,
                ai_act_category=category,
                kind=kind,
                intake_revision=revision,
                human_oversight_measures=measures or "",
                human_oversight_contact=contact or "",
                oldest_unhandled_alert_at=oldest,
                unhandled_alerts=unhandled,
                audit_retention=retention,
            )
            continue
        subject = found.subject
        version_id = subject.version.version_id
        facts = facts_of[version_id]
        provenance, document = origins[version_id]
        result[model_id] = CoverageFacts(
            model=name,
            risk_tier=tier,
            ai_act_category=category,
            kind=kind,
            intake_revision=revision,
            human_oversight_measures=measures or "",
            human_oversight_contact=contact or "",
            version=subject.version.version,
            is_serving=subject.is_serving,
            model_card=facts.model_card,
            independent_approvals=count_independent_approvals(
                facts.approver_ids, facts.creator_id, facts.submitter_id
            ),
            enforced_rules=tuple(
                EnforcedRule(r.policy, r.rule, r.kind, r.passed, r.waived)
                for r in found.verdict.results
                if r.enforcement == ENFORCE
            ),
            production_deployment_id=deployments.get((model_id, version_id))
            if subject.is_serving
            else None,
            latest_production_drift=drift.get(version_id)
            if subject.is_serving
            else None,
            oldest_unhandled_alert_at=oldest,
            unhandled_alerts=unhandled,
            audit_retention=retention,
            monitoring=facts.monitoring,
            provenance=provenance,
            latest_document=document,
        )
    return result


# --- coverage ------------------------------------------------------------------


@dataclass(frozen=True)
class ModelCoverage:
    """One model's coverage under every enabled framework."""

    model: MLModel
    facts: CoverageFacts
    frameworks: tuple[FrameworkCoverage, ...]


def coverage_for_model(*, name: str, now: datetime | None = None) -> ModelCoverage:
    """A model's coverage under each enabled framework; 404 for an unknown
    model."""
    now = now or timezone.now()
    model = model_by_name(name=name)
    facts = coverage_facts(MLModel.objects.filter(pk=model.pk), now=now)[model.pk]
    return ModelCoverage(model, facts, model_coverage(enabled_frameworks(), facts, now))


@dataclass(frozen=True)
class PortfolioCoverage:
    """Coverage of many models under the enabled frameworks."""

    frameworks: tuple[FrameworkSpec, ...]
    models: tuple[tuple[CoverageFacts, tuple[FrameworkCoverage, ...]], ...]


def portfolio_coverage(
    models: QuerySet[MLModel],
    *,
    frameworks: tuple[FrameworkSpec, ...] | None = None,
    now: datetime | None = None,
) -> PortfolioCoverage:
    """Every model of `models`, by name, under each enabled framework (or the
    given ones); a constant number of queries."""
    now = now or timezone.now()
    frameworks = enabled_frameworks() if frameworks is None else frameworks
    if not frameworks:
        return PortfolioCoverage((), ())
    facts = coverage_facts(models, now=now)
    ordered = sorted(facts.values(), key=lambda item: item.model)
    return PortfolioCoverage(
        frameworks,
        tuple((item, model_coverage(frameworks, item, now)) for item in ordered),
    )


def coverage_counts_by_model(
    models: QuerySet[MLModel],
    *,
    frameworks: tuple[FrameworkSpec, ...],
    standings: Mapping[int, ModelStanding] | None = None,
    now: datetime | None = None,
) -> dict[int, dict[str, CoverageCounts]]:
    """Per model id, per framework id, the counts of met, partly met and unmet
    obligations: what readiness, exposure and the overview read. No query at
    all without frameworks; else those of `coverage_facts`. Counted by the
    engine's `CountsPlan`, equal to the rich path's `model_coverage` counts."""
    if not frameworks:
        return {}
    now = now or timezone.now()
    facts = coverage_facts(models, standings=standings, now=now)
    plan = CountsPlan(frameworks)
    return {model_id: plan.counts(item, now) for model_id, item in facts.items()}
