"""Reads for technical documentation: the facts a document is built from, in
a fixed number of queries whatever the version's history, and the stored
revisions."""

from datetime import datetime

from auditlog.models import LogEntry
from django.db.models import Prefetch, QuerySet

from compliance.documentation.facts import (
    ApprovalRecord,
    AuditRecord,
    Citation,
    CoverageRecord,
    DeploymentRecord,
    DocumentationFacts,
    DriftAlertRecord,
    DriftReportRecord,
    EvaluationRecord,
    FairnessReportRecord,
    GateRecord,
    IntakeRecord,
    ModelFacts,
    MonitoringAlertRecord,
    ObligationGapRecord,
    PerformanceReportRecord,
    PolicyRecord,
    VersionRecord,
    WaiverRecord,
)
from compliance.documentation.models import TechnicalDocument
from compliance.engine import MET, NOT_APPLICABLE, model_coverage
from compliance.selectors import coverage_facts, enabled_frameworks
from deployments.models import Deployment, GateDecision
from drift.models import (
    DriftAlert,
    DriftReport,
    FairnessReport,
    FeatureDrift,
    LatestMonitoringReport,
    MonitoringAlert,
    PerformanceReport,
)
from governance.engine import PolicySpec, VersionFacts, describe_rule
from governance.engine.evaluation import policy_applies
from governance.models import Approval, Evaluation, Waiver
from governance.selectors import current_policy_specs, version_facts
from mlgov.actors import Actor
from mlgov.audit import entries_about
from mlgov.exceptions import NotFoundError
from registry import ai_act
from registry.models import MLModel, ModelVersion, UseCaseIntake
from registry.selectors import current_intakes, missing_version

# The queries `documentation_facts` runs when no obligation framework is
# enabled (tests pin it): the version's own records (11), governance's facts
# of the version (5: governance.selectors.version_facts), the intake (1),
# the performance and fairness reports, which of them are the latest and the
# monitoring alerts (4), and the enabled frameworks (1). With frameworks
# enabled, one more query for their custom obligations and those of
# `compliance.selectors.coverage_facts` for the one model.
FACT_QUERIES = 22


def _name(user: Actor | None) -> str | None:
    return user.get_username() if user else None


def _version_record(version: ModelVersion) -> VersionRecord:
    return VersionRecord(
        number=version.version,
        status=version.status,
        artifact_uri=version.artifact_uri,
        artifact_sha256=version.artifact_sha256,
        framework=version.framework,
        training_data_ref=version.training_data_ref,
        metrics=version.metrics,
        params=version.params,
        model_card=version.model_card,
        parent=version.parent.version if version.parent else None,
        created_by=_name(version.created_by),
        created_at=version.created_at,
        submitted_by=_name(version.submitted_by),
        submitted_at=version.submitted_at,
        prompt_template=version.prompt_template,
        provider=version.provider_label,
        provider_model=version.provider_model,
        evaluation_results=tuple(version.evaluation_results),
    )


def _documented_version(*, name: str, number: int) -> ModelVersion:
    version = (
        ModelVersion.objects.select_related(
            "model__team",
            "model__owner",
            "created_by",
            "submitted_by",
            "parent__parent",
            "parent__created_by",
            "parent__submitted_by",
        )
        .filter(model__name=name, version=number)
        .first()
    )
    if version is None:
        raise missing_version(name=name, number=number)
    return version


def _policies_in_scope(facts: VersionFacts) -> tuple[PolicyRecord, ...]:
    """The enabled policies whose scope covers the version in some environment
    (or in none, for the approval decision), as the engine decides scope on
    governance's own facts of the version."""

    def in_scope(policy: PolicySpec) -> bool:
        return any(
            policy_applies(policy, facts, environment=environment)
            for environment in (None, *sorted(policy.environments))
        )

    return tuple(
        PolicyRecord(
            name=policy.name,
            revision=policy.revision,
            enforcement=policy.enforcement,
            environments=tuple(sorted(policy.environments)),
            rules=tuple(
                f"#{rule.position} {describe_rule(rule.kind, rule.params)}"
                for rule in sorted(policy.rules, key=lambda rule: rule.position)
            ),
        )
        for policy in current_policy_specs()
        if in_scope(policy)
    )


def _audit(version: ModelVersion) -> tuple[AuditRecord, ...]:
    of_version = {"version": version}
    entries = entries_about(
        {
            ModelVersion: ModelVersion.objects.filter(pk=version.pk),
            Approval: Approval.objects.filter(**of_version),
            Waiver: Waiver.objects.filter(**of_version),
            Deployment: Deployment.objects.filter(**of_version),
            DriftAlert: DriftAlert.objects.filter(**of_version),
            TechnicalDocument: TechnicalDocument.objects.filter(**of_version),
        }
    ).order_by("timestamp", "id")
    return tuple(_audit_record(entry) for entry in entries)


def _audit_record(entry: LogEntry) -> AuditRecord:
    changes = entry.changes_dict if entry.action == LogEntry.Action.UPDATE else {}
    return AuditRecord(
        at=entry.timestamp,
        actor=_name(entry.actor),
        action=entry.get_action_display().lower(),
        object_type=entry.content_type.model,
        object=entry.object_repr,
        fields=tuple(sorted(changes)),
    )


def _intake_record(intake: UseCaseIntake | None) -> IntakeRecord | None:
    if intake is None:
        return None
    domain = ai_act.DOMAINS.get(intake.domain)
    point = domain.annex_iii if domain else ""
    return IntakeRecord(
        revision=intake.revision,
        answered_by=intake.answered_by.get_username(),
        answered_at=intake.answered_at,
        purpose=intake.purpose,
        affected_persons=intake.affected_persons,
        affected_groups=tuple(
            ai_act.AFFECTED_GROUPS.get(group, group) for group in intake.affected_groups
        ),
        autonomy=ai_act.AUTONOMY_LEVELS.get(intake.autonomy, intake.autonomy),
        domain=domain.label if domain else intake.domain,
        annex_iii=("Annex III " + point.removeprefix("III.")) if point else "",
        provenance=ai_act.PROVENANCES.get(intake.provenance, intake.provenance),
        vendor_name=intake.vendor_name,
        human_oversight_measures=intake.human_oversight_measures,
        human_oversight_contact=intake.human_oversight_contact,
        category=intake.derived_category,
        reasoning=tuple(
            Citation(line.get("citation", ""), line.get("text", ""))
            for line in intake.reasoning
        ),
        transparency_duties=tuple(
            Citation(duty.get("citation", ""), duty.get("text", ""))
            for duty in intake.transparency_duties
        ),
    )


def _coverage(
    model: MLModel, now: datetime
) -> tuple[tuple[CoverageRecord, ...] | None, int | None]:
    """The model's coverage under each enabled framework (None when none
    is), judged as the coverage page judges it, and the version judged."""
    frameworks = enabled_frameworks()
    if not frameworks:
        return None, None
    facts = coverage_facts(MLModel.objects.filter(pk=model.pk), now=now)[model.pk]
    records = []
    for coverage in model_coverage(frameworks, facts, now):
        counts = coverage.counts
        records.append(
            CoverageRecord(
                framework=coverage.framework.title,
                framework_version=coverage.framework.version,
                met=counts.met,
                partly_met=counts.partly_met,
                unmet=counts.unmet,
                not_applicable=len(coverage.obligations) - counts.applicable,
                gaps=tuple(
                    ObligationGapRecord(
                        reference=result.obligation.reference,
                        title=result.obligation.title,
                        status=result.status,
                        missing=tuple(gap.detail for gap in result.gaps),
                    )
                    for result in coverage.obligations
                    if result.status not in (MET, NOT_APPLICABLE)
                ),
            )
        )
    return tuple(records), facts.version


def _monitoring(
    version: ModelVersion,
) -> tuple[
    tuple[PerformanceReportRecord, ...],
    tuple[FairnessReportRecord, ...],
    tuple[MonitoringAlertRecord, ...],
]:
    """The version's performance and fairness reports, oldest first, each
    marked when it is the latest of its subject; its monitoring alerts."""
    latest = list(
        LatestMonitoringReport.objects.filter(version=version).values_list(
            "performance_report_id", "fairness_report_id"
        )
    )
    latest_performance = {pk for pk, _ in latest if pk is not None}
    latest_fairness = {pk for _, pk in latest if pk is not None}
    performance = (
        PerformanceReport.objects.filter(version=version)
        .select_related("environment")
        .order_by("window_end", "pk")
    )
    fairness = (
        FairnessReport.objects.filter(version=version)
        .select_related("environment")
        .order_by("window_end", "attribute", "pk")
    )
    alerts = (
        MonitoringAlert.objects.filter(version=version)
        .select_related("environment")
        .order_by("first_seen_at", "pk")
    )
    return (
        tuple(
            PerformanceReportRecord(
                environment=report.environment.name,
                window_start=report.window_start,
                window_end=report.window_end,
                sample_size=report.sample_size,
                metrics=report.metric_values(),
                latest=report.pk in latest_performance,
            )
            for report in performance
        ),
        tuple(
            FairnessReportRecord(
                environment=report.environment.name,
                attribute=report.attribute,
                reference_group=report.reference_group,
                window_start=report.window_start,
                window_end=report.window_end,
                sample_size=report.sample_size,
                metrics=report.metric_values(),
                four_fifths_passed=report.four_fifths_passed,
                latest=report.pk in latest_fairness,
            )
            for report in fairness
        ),
        tuple(
            MonitoringAlertRecord(
                environment=alert.environment.name,
                kind=alert.kind,
                subject=alert.metric.replace("_", " ")
                + (f" ({alert.attribute})" if alert.attribute else ""),
                severity=alert.severity,
                status=alert.status,
                value=alert.value,
                limit=alert.limit,
                first_seen_at=alert.first_seen_at,
                last_seen_at=alert.last_seen_at,
                note=alert.resolution_note or alert.acknowledgement_note,
            )
            for alert in alerts
        ),
    )


def documentation_facts(*, name: str, number: int, now: datetime) -> DocumentationFacts:
    """Every fact the technical document of version `number` of model `name`
    shows, in FACT_QUERIES queries; NotFoundError for an unknown version."""
    version = _documented_version(name=name, number=number)
    model = version.model
    # Governance's facts of the version (its tags among them): what the
    # engine decides policy scope on.
    facts = version_facts(ModelVersion.objects.filter(pk=version.pk))[version.pk]
    of_version = {"version": version}
    evaluations = (
        Evaluation.objects.filter(**of_version)
        .select_related("environment", "requested_by")
        .order_by("evaluated_at", "pk")
    )
    approvals = (
        Approval.objects.filter(**of_version)
        .select_related("reviewer")
        .order_by("created_at", "pk")
    )
    waivers = (
        Waiver.objects.filter(**of_version)
        .select_related("policy", "granted_by", "revoked_by")
        .order_by("granted_at", "pk")
    )
    gates = (
        GateDecision.objects.filter(**of_version)
        .select_related("environment", "requested_by")
        .order_by("requested_at", "pk")
    )
    deployments = (
        Deployment.objects.filter(**of_version)
        .select_related("environment")
        .order_by("requested_at", "pk")
    )
    reports = (
        DriftReport.objects.filter(**of_version)
        .select_related("environment")
        .prefetch_related(
            Prefetch(
                "features",
                queryset=FeatureDrift.objects.filter(drifted=True).order_by("feature"),
                to_attr="drifted_features",
            )
        )
        .order_by("window_end", "pk")
    )
    alerts = (
        DriftAlert.objects.filter(**of_version)
        .select_related("environment")
        .order_by("first_seen_at", "pk")
    )
    performance, fairness, monitoring_alerts = _monitoring(version)
    coverage, coverage_version = _coverage(model, now)
    return DocumentationFacts(
        model=ModelFacts(
            name=model.name,
            display_name=model.display_name,
            description=model.description,
            team=model.team.display_name or model.team.name,
            owner=_name(model.owner),
            risk_tier=model.risk_tier,
            ai_act_category=model.ai_act_category,
            business_use=model.business_use,
            tags=tuple(sorted(facts.tags)),
            kind=model.kind,
        ),
        version=_version_record(version),
        parent=_version_record(version.parent) if version.parent else None,
        now=now,
        evaluations=tuple(
            EvaluationRecord(
                environment=e.environment.name if e.environment else None,
                trigger=e.trigger,
                passed=e.passed,
                evaluated_at=e.evaluated_at,
                requested_by=_name(e.requested_by),
                results=tuple(e.results),
            )
            for e in evaluations
        ),
        approvals=tuple(
            ApprovalRecord(
                reviewer=a.reviewer.get_username(),
                decision=a.decision,
                comment=a.comment,
                at=a.created_at,
            )
            for a in approvals
        ),
        waivers=tuple(
            WaiverRecord(
                policy=w.policy.name,
                rule=w.rule_position,
                justification=w.justification,
                ticket=w.ticket,
                state=w.state,
                granted_by=w.granted_by.get_username(),
                granted_at=w.granted_at,
                expires_at=w.expires_at,
                revoked_by=_name(w.revoked_by),
                revocation_reason=w.revocation_reason,
            )
            for w in waivers
        ),
        policies=_policies_in_scope(facts),
        gate_decisions=tuple(
            GateRecord(
                environment=g.environment.name,
                decision=g.decision,
                requested_by=g.requested_by.get_username(),
                requested_at=g.requested_at,
                blocking=tuple(check["detail"] for check in g.blocking_checks),
                warnings=tuple(g.warnings),
            )
            for g in gates
        ),
        deployments=tuple(
            DeploymentRecord(
                environment=d.environment.name,
                strategy=d.strategy,
                traffic_percent=d.traffic_percent,
                status=d.status,
                requested_at=d.requested_at,
                active_from=d.activated_at,
                active_until=d.ended_at,
            )
            for d in deployments
        ),
        drift_reports=tuple(
            DriftReportRecord(
                environment=r.environment.name,
                window_start=r.window_start,
                window_end=r.window_end,
                severity=r.severity,
                drift_share=r.drift_share,
                dataset_drift=r.dataset_drift,
                drifted_features=tuple(f.feature for f in r.drifted_features),
            )
            for r in reports
        ),
        drift_alerts=tuple(
            DriftAlertRecord(
                environment=a.environment.name,
                feature=a.feature,
                severity=a.severity,
                status=a.status,
                first_seen_at=a.first_seen_at,
                last_seen_at=a.last_seen_at,
                note=a.resolution_note or a.acknowledgement_note,
            )
            for a in alerts
        ),
        audit=_audit(version),
        intake=_intake_record(current_intakes([model.pk]).get(model.pk)),
        coverage=coverage,
        coverage_version=coverage_version,
        performance_reports=performance,
        fairness_reports=fairness,
        monitoring_alerts=monitoring_alerts,
    )


# Stored revisions ----------------------------------------------------------------


def technical_documents(*, version: ModelVersion) -> QuerySet[TechnicalDocument]:
    """A version's stored revisions, newest first, without their renderings."""
    return (
        TechnicalDocument.objects.filter(version=version)
        .select_related("generated_by", "version__model")
        .defer("content", "html", "pdf")
        .order_by("-revision")
    )


def technical_document(*, version: ModelVersion, revision: int) -> TechnicalDocument:
    """One stored revision with its renderings, or NotFoundError."""
    document = (
        TechnicalDocument.objects.filter(version=version, revision=revision)
        .select_related("generated_by", "version__model")
        .first()
    )
    if document is None:
        raise NotFoundError(
            f"{version} has no technical documentation revision {revision}."
        )
    return document


def latest_technical_document(*, version: ModelVersion) -> TechnicalDocument | None:
    """The newest stored revision of a version's documentation, if any."""
    return (
        TechnicalDocument.objects.filter(version=version)
        .select_related("generated_by", "version__model")
        .order_by("-revision")
        .first()
    )


def technical_documents_of_versions(
    versions: list[ModelVersion],
) -> QuerySet[TechnicalDocument]:
    """Every stored revision of `versions`, oldest first, without renderings
    (the evidence pack's section)."""
    return (
        TechnicalDocument.objects.filter(version__in=versions)
        .select_related("version", "generated_by")
        .defer("content", "html", "pdf")
        .order_by("version__version", "revision")
    )


def technical_document_pdfs(document_ids: list[int]) -> dict[int, bytes]:
    """The stored PDFs of the given revisions, by id (one query)."""
    rows = TechnicalDocument.objects.filter(pk__in=document_ids).values_list(
        "pk", "pdf"
    )
    return {pk: bytes(pdf) for pk, pdf in rows}
