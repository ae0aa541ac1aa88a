"""The evidence pack of a model (or one version): every record an examiner
asks for, read in a fixed number of queries, as plain JSON-ready sections;
and the archive that carries them with a checksum manifest."""

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Prefetch, Q
from django.utils import timezone

from compliance import selectors as compliance_selectors
from compliance.api import model_obligations_data
from compliance.documentation.models import TechnicalDocument
from compliance.documentation.selectors import (
    technical_document_pdfs,
    technical_documents_of_versions,
)
from deployments.models import Deployment, DeploymentStep, GateDecision
from drift import selectors as drift_selectors
from drift.api.quality import (
    FairnessReportSerializer,
    MonitoringAlertSerializer,
    PerformanceReportSerializer,
)
from drift.models import (
    DriftAlert,
    DriftReport,
    FairnessReport,
    FeatureDrift,
    MonitoringAlert,
    PerformanceReport,
)
from governance.models import Approval, Evaluation, Waiver
from integrations.models import MlflowModelLink, MlflowVersionLink
from mlgov.actors import Actor
from registry.intake import ANSWER_FIELDS
from registry.models import MLModel, ModelVersion, RiskClassChange, UseCaseIntake
from registry.selectors import intake_revisions, risk_class_changes_of

# Each section, in the order of the page and the archive, with its heading.
SECTIONS = {
    "model": "Model and model card",
    "intake": "Use-case intake and EU AI Act classification",
    "risk_class_changes": "Risk class changes and their decisions",
    "versions": "Versions and their frozen evidence",
    "evaluations": "Evaluations: policy revisions, rules and their sentences",
    "approvals": "Approvals",
    "waivers": "Waivers",
    "drift_reports": "Drift reports",
    "drift_alerts": "Drift alerts",
    "performance_reports": "Performance reports",
    "fairness_reports": "Fairness reports",
    "monitoring_alerts": "Performance and fairness alerts",
    "obligations": "Obligations coverage per enabled framework",
    "deployments": "Deployment ledger",
    "technical_documents": "Technical documentation (Annex IV) revisions",
    "audit_log": "Audit trail",
}

# Where the archive keeps each stored technical document's PDF.
TECHNICAL_DOCUMENTS_FOLDER = "technical-documentation"


@dataclass(frozen=True)
class EvidencePack:
    """One model's records, optionally narrowed to one version."""

    model: MLModel
    version: ModelVersion | None
    generated_at: datetime
    generated_by: str
    sections: dict[str, Any]

    @property
    def slug(self) -> str:
        suffix = f"-v{self.version.version}" if self.version else ""
        return f"evidence-{self.model.name}{suffix}-{self.generated_at:%Y%m%dT%H%M%SZ}"


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _user(user: Actor | None) -> str | None:
    return user.get_username() if user else None


def _model_section(model: MLModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "display_name": model.display_name,
        "description": model.description,
        "team": model.team.name,
        "owner": _user(model.owner),
        "risk_tier": model.risk_tier,
        "ai_act_category": model.ai_act_category,
        "business_use": model.business_use,
        "tags": sorted(tag.name for tag in model.tags.all()),
        "created_at": _time(model.created_at),
        "archived_at": _time(model.archived_at),
    }


def _version_row(version: ModelVersion) -> dict[str, Any]:
    link = next(iter(version.mlflow_links.all()), None)
    return {
        "version": version.version,
        "status": version.status,
        "artifact_uri": version.artifact_uri,
        "artifact_sha256": version.artifact_sha256,
        "framework": version.framework,
        "training_data_ref": version.training_data_ref,
        "metrics": version.metrics,
        "params": version.params,
        "model_card": version.model_card,
        "parent_version": version.parent.version if version.parent else None,
        "created_by": _user(version.created_by),
        "created_at": _time(version.created_at),
        "submitted_by": _user(version.submitted_by),
        "submitted_at": _time(version.submitted_at),
        "mlflow": None
        if link is None
        else {
            "version": link.mlflow_version,
            "source": link.source,
            "run_id": link.run_id,
            "aliases": link.aliases,
        },
    }


def _evaluation_row(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "version": evaluation.version.version,
        "environment": evaluation.environment.name if evaluation.environment else None,
        "trigger": evaluation.trigger,
        "passed": evaluation.passed,
        "evaluated_at": _time(evaluation.evaluated_at),
        "requested_by": _user(evaluation.requested_by),
        "results": evaluation.results,
    }


def _approval_row(approval: Approval) -> dict[str, Any]:
    return {
        "version": approval.version.version,
        "reviewer": _user(approval.reviewer),
        "decision": approval.decision,
        "comment": approval.comment,
        "created_at": _time(approval.created_at),
    }


def _waiver_row(waiver: Waiver) -> dict[str, Any]:
    return {
        "id": waiver.pk,
        "version": waiver.version.version,
        "policy": waiver.policy.name,
        "rule": waiver.rule_position,
        "justification": waiver.justification,
        "state": waiver.state,
        "granted_by": _user(waiver.granted_by),
        "granted_at": _time(waiver.granted_at),
        "expires_at": _time(waiver.expires_at),
        "revoked_by": _user(waiver.revoked_by),
        "revoked_at": _time(waiver.revoked_at),
        "revocation_reason": waiver.revocation_reason,
    }


def _report_row(report: DriftReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "version": report.version.version,
        "environment": report.environment.name,
        "window_start": _time(report.window_start),
        "window_end": _time(report.window_end),
        "severity": report.severity,
        "drift_share": report.drift_share,
        "dataset_drift": report.dataset_drift,
        "submitted_by": _user(report.submitted_by),
        "created_at": _time(report.created_at),
        "features": [
            {
                "feature": row.feature,
                "method": row.method,
                "statistic": row.statistic,
                "p_value": row.p_value,
                "threshold": row.threshold,
                "psi": row.psi,
                "drifted": row.drifted,
                "severity": row.severity,
            }
            for row in report.features.all()
        ],
    }


def _alert_row(alert: DriftAlert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "version": alert.version.version,
        "environment": alert.environment.name,
        "feature": alert.feature,
        "severity": alert.severity,
        "status": alert.status,
        "first_seen_at": _time(alert.first_seen_at),
        "last_seen_at": _time(alert.last_seen_at),
        "acknowledged_by": _user(alert.acknowledged_by),
        "acknowledged_at": _time(alert.acknowledged_at),
        "acknowledgement_note": alert.acknowledgement_note,
        "resolved_by": _user(alert.resolved_by),
        "resolved_at": _time(alert.resolved_at),
        "resolution_note": alert.resolution_note,
    }


def _audit_row(entry: LogEntry) -> dict[str, Any]:
    return {
        "timestamp": _time(entry.timestamp),
        "actor": _user(entry.actor),
        "action": entry.get_action_display(),
        "object_type": entry.content_type.model,
        "object_id": entry.object_pk,
        "object": entry.object_repr,
        "changes": entry.changes_dict,
    }


def _audit_entries(objects: dict[type[Model], list[Any]]) -> list[LogEntry]:
    types = ContentType.objects.get_for_models(*objects)
    condition = Q(pk__in=[])
    for model_class, pks in objects.items():
        if pks:
            condition |= Q(
                content_type=types[model_class], object_pk__in=[str(pk) for pk in pks]
            )
    return list(
        LogEntry.objects.filter(condition)
        .select_related("actor", "content_type")
        .order_by("timestamp", "pk")
    )


def _deployment_row(deployment: Deployment) -> dict[str, Any]:
    decision = deployment.gate_decision
    return {
        "id": deployment.pk,
        "version": deployment.version.version,
        "environment": deployment.environment.name,
        "strategy": deployment.strategy,
        "traffic_percent": deployment.traffic_percent,
        "decision": deployment.decision,
        "status": deployment.status,
        "requested_by": _user(deployment.requested_by),
        "requested_at": _time(deployment.requested_at),
        "started_at": _time(deployment.started_at),
        "active_from": _time(deployment.activated_at),
        "active_until": _time(deployment.ended_at),
        "supersedes": deployment.supersedes_id,
        "checks": decision.checks,
        "warnings": decision.warnings,
        "evaluation": decision.evaluation,
        "approval_ids": decision.approval_ids,
        "waiver_ids": decision.waiver_ids,
        "steps": [
            {
                "action": step.action,
                "from_status": step.from_status,
                "to_status": step.to_status,
                "traffic_percent": step.traffic_percent,
                "reason": step.reason,
                "actor": _user(step.actor),
                "at": _time(step.at),
            }
            for step in deployment.steps.all()
        ],
    }


def technical_document_file(row: dict[str, Any]) -> str:
    """The archive path of a technical document's PDF."""
    return (
        f"{TECHNICAL_DOCUMENTS_FOLDER}/{row['model']}-v{row['version']}"
        f"-r{row['revision']}.pdf"
    )


def _technical_document_row(document: TechnicalDocument) -> dict[str, Any]:
    row = {
        "id": document.pk,
        "model": document.version.model.name,
        "version": document.version.version,
        "revision": document.revision,
        "generated_by": _user(document.generated_by),
        "generated_at": _time(document.generated_at),
        "pdf_sha256": document.pdf_sha256,
        "gaps": document.gaps,
    }
    row["file"] = technical_document_file(row)
    return row


def _intake_section(revisions: list[UseCaseIntake]) -> dict[str, Any]:
    """The current revision in full (answers, what was derived from them and
    why, who answered when) and every revision's who and when."""
    current = revisions[0] if revisions else None
    return {
        "answered": current is not None,
        "current": None
        if current is None
        else {
            "revision": current.revision,
            "answered_by": _user(current.answered_by),
            "answered_at": _time(current.answered_at),
            "answers": {field: getattr(current, field) for field in ANSWER_FIELDS},
            "derived": {
                "ai_act_category": current.derived_category,
                "proposed_tier": current.proposed_tier,
                "reasoning": current.reasoning,
                "transparency_duties": current.transparency_duties,
            },
        },
        "revisions": [
            {
                "revision": intake.revision,
                "answered_by": _user(intake.answered_by),
                "answered_at": _time(intake.answered_at),
                "derived_category": intake.derived_category,
                "proposed_tier": intake.proposed_tier,
            }
            for intake in revisions
        ],
    }


def _risk_class_change_row(change: RiskClassChange) -> dict[str, Any]:
    return {
        "id": change.pk,
        "intake_revision": change.intake.revision if change.intake else None,
        "from_tier": change.from_tier,
        "to_tier": change.to_tier,
        "from_category": change.from_category,
        "to_category": change.to_category,
        "reason": change.reason,
        "requested_by": _user(change.requested_by),
        "requested_at": _time(change.requested_at),
        "status": change.status,
        "decided_by": _user(change.decided_by),
        "decided_at": _time(change.decided_at),
        "decision_comment": change.decision_comment,
    }


def _deployments(versions: list[ModelVersion]) -> list[Deployment]:
    return list(
        Deployment.objects.filter(version__in=versions)
        .select_related("version", "environment", "requested_by", "gate_decision")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=DeploymentStep.objects.select_related("actor").order_by(
                    "at", "pk"
                ),
            )
        )
        .order_by("requested_at", "pk")
    )


def model_for_evidence(*, name: str) -> MLModel | None:
    """The model with what the pack's first section shows."""
    return (
        MLModel.objects.select_related("team", "owner")
        .prefetch_related("tags")
        .filter(name=name)
        .first()
    )


def evidence_pack(
    *, model: MLModel, version: ModelVersion | None, generated_by: Actor
) -> EvidencePack:
    """Every record of `model` (or of one `version` of it) in a fixed number
    of queries; `model` comes from `model_for_evidence`."""
    versions = list(
        ModelVersion.objects.filter(model=model)
        .filter(**({"pk": version.pk} if version else {}))
        .select_related("parent", "created_by", "submitted_by")
        .prefetch_related("mlflow_links")
        .order_by("version")
    )
    of_versions = {"version__in": versions}
    evaluations = list(
        Evaluation.objects.filter(**of_versions)
        .select_related("version", "environment", "requested_by")
        .order_by("evaluated_at", "pk")
    )
    approvals = list(
        Approval.objects.filter(**of_versions)
        .select_related("version", "reviewer")
        .order_by("created_at", "pk")
    )
    waivers = list(
        Waiver.objects.filter(**of_versions)
        .select_related("version", "policy", "granted_by", "revoked_by")
        .order_by("granted_at", "pk")
    )
    reports = list(
        DriftReport.objects.filter(**of_versions)
        .select_related("version", "environment", "submitted_by")
        .prefetch_related(
            Prefetch("features", queryset=FeatureDrift.objects.order_by("feature"))
        )
        .order_by("created_at", "pk")
    )
    alerts = list(
        drift_selectors.alert_list()
        .filter(**of_versions)
        .order_by("first_seen_at", "pk")
    )
    performance_reports = list(
        drift_selectors.performance_reports_of(versions).order_by("created_at", "pk")
    )
    fairness_reports = list(
        drift_selectors.fairness_reports_of(versions).order_by("created_at", "pk")
    )
    monitoring_alerts = list(
        drift_selectors.monitoring_alert_list()
        .filter(**of_versions)
        .order_by("first_seen_at", "pk")
    )
    deployments = _deployments(versions)
    documents = list(technical_documents_of_versions(versions))
    for document in documents:
        document.version.model = model
    # The use case and its classification speak for every version: a
    # version's pack carries them too.
    intakes = list(intake_revisions(model=model))
    risk_class_changes = list(
        risk_class_changes_of(model=model).order_by("requested_at", "pk")
    )
    model_link = (
        []
        if version
        else list(
            MlflowModelLink.objects.filter(model=model).values_list("pk", flat=True)
        )
    )
    audit = _audit_entries(
        {
            MLModel: [] if version else [model.pk],
            ModelVersion: [v.pk for v in versions],
            Evaluation: [e.pk for e in evaluations],
            Approval: [a.pk for a in approvals],
            Waiver: [w.pk for w in waivers],
            DriftReport: [r.pk for r in reports],
            DriftAlert: [a.pk for a in alerts],
            PerformanceReport: [r.pk for r in performance_reports],
            FairnessReport: [r.pk for r in fairness_reports],
            MonitoringAlert: [a.pk for a in monitoring_alerts],
            MlflowModelLink: model_link,
            MlflowVersionLink: [
                link.pk for v in versions for link in v.mlflow_links.all()
            ],
            Deployment: [d.pk for d in deployments],
            GateDecision: [d.gate_decision_id for d in deployments],
            DeploymentStep: [s.pk for d in deployments for s in d.steps.all()],
            TechnicalDocument: [d.pk for d in documents],
            UseCaseIntake: [intake.pk for intake in intakes],
            RiskClassChange: [change.pk for change in risk_class_changes],
        }
    )
    return EvidencePack(
        model=model,
        version=version,
        generated_at=timezone.now().replace(microsecond=0),
        generated_by=generated_by.get_username(),
        sections={
            "model": _model_section(model),
            "versions": [_version_row(v) for v in versions],
            "evaluations": [_evaluation_row(e) for e in evaluations],
            "approvals": [_approval_row(a) for a in approvals],
            "waivers": [_waiver_row(w) for w in waivers],
            "drift_reports": [_report_row(r) for r in reports],
            "drift_alerts": [_alert_row(a) for a in alerts],
            # In the shape of the monitoring endpoints, by their serializers.
            "performance_reports": PerformanceReportSerializer(
                performance_reports, many=True
            ).data,
            "fairness_reports": FairnessReportSerializer(
                fairness_reports, many=True
            ).data,
            "monitoring_alerts": MonitoringAlertSerializer(
                monitoring_alerts, many=True
            ).data,
            # Judged, as on the obligations endpoint, on the version serving
            # production (else the candidate): a version's pack carries it too.
            "obligations": model_obligations_data(
                compliance_selectors.coverage_for_model(name=model.name)
            ),
            "deployments": [_deployment_row(d) for d in deployments],
            "technical_documents": [_technical_document_row(d) for d in documents],
            "intake": _intake_section(intakes),
            "risk_class_changes": [
                _risk_class_change_row(change) for change in risk_class_changes
            ],
            "audit_log": [_audit_row(entry) for entry in audit],
        },
    )


def _json(value: Any) -> bytes:
    return (
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode()


def technical_document_attachments(pack: EvidencePack) -> dict[str, bytes]:
    """The stored PDF of every technical document revision in the pack, by
    its archive path (one query)."""
    rows = pack.sections["technical_documents"]
    pdfs = technical_document_pdfs([row["id"] for row in rows])
    return {row["file"]: pdfs[row["id"]] for row in rows}


def build_archive(
    pack: EvidencePack,
    *,
    page_html: str,
    attachments: dict[str, bytes] | None = None,
) -> bytes:
    """A zip of one JSON file per section, the printable page, the stored
    documents in `attachments` (path: bytes), and a manifest: `SHA256SUMS`
    (for `sha256sum -c`) and `manifest.json` with the same digests and who
    generated the pack when."""
    files = {f"{name}.json": _json(pack.sections[name]) for name in SECTIONS}
    files["evidence.html"] = page_html.encode()
    files.update(attachments or {})
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    manifest = {
        "model": pack.model.name,
        "version": pack.version.version if pack.version else None,
        "generated_at": _time(pack.generated_at),
        "generated_by": pack.generated_by,
        "algorithm": "sha256",
        "files": [
            {"name": name, "bytes": len(files[name]), "sha256": digests[name]}
            for name in sorted(files)
        ],
    }
    files["manifest.json"] = _json(manifest)
    files["SHA256SUMS"] = "".join(
        f"{digests[name]}  {name}\n" for name in sorted(digests)
    ).encode()
    buffer = io.BytesIO()
    stamp = pack.generated_at.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(f"{pack.slug}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
