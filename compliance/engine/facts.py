"""CoverageFacts: everything the evidence kinds may look at about one model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from governance.engine import MonitoredReport
from registry.constants import KIND_PREDICTIVE


@dataclass(frozen=True, slots=True)
class EnforcedRule:
    """An enforced rule that applies to the model's production subject."""

    policy: str
    rule: int
    kind: str
    passed: bool
    waived: bool


@dataclass(frozen=True, slots=True)
class DriftReportRef:
    """A drift report: its id and when it was received."""

    report_id: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProvenanceFacts:
    """Where the speaking version comes from: its artifact's checksum and
    training data (predictive models), its provider and provider model
    (LLM applications and vendor models)."""

    artifact_sha256: str = ""
    training_data_ref: str = ""
    provider: str = ""
    provider_model: str = ""


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """The newest Annex IV technical document of the speaking version."""

    revision: int
    generated_at: datetime


@dataclass(frozen=True, slots=True)
class AuditRetentionFacts:
    """How much audit trail the installation keeps: the shortest span any
    pruning kept (`prune_audit`), None when nothing was ever pruned."""

    shortest_kept: timedelta | None = None


@dataclass(frozen=True)
class CoverageFacts:
    """Everything the evidence kinds may look at about one model, judged on
    the version that speaks for it in production (DESIGN §2)."""

    model: str
    risk_tier: str
    ai_act_category: str
    kind: str = KIND_PREDICTIVE
    # The current use-case intake's revision (None: never answered) and its
    # human oversight answers ("" when left blank).
    intake_revision: int | None = None
    human_oversight_measures: str = ""
    human_oversight_contact: str = ""
    # The production subject: the version serving there, else the candidate.
    version: int | None = None
    is_serving: bool = False
    model_card: Mapping[str, str] = field(default_factory=dict)
    independent_approvals: int = 0
    enforced_rules: tuple[EnforcedRule, ...] = ()
    # The serving version's active production deployment, when it serves.
    production_deployment_id: int | None = None
    # The newest drift report for the serving version in production.
    latest_production_drift: DriftReportRef | None = None
    # When the oldest drift alert of the model still open (neither
    # acknowledged nor resolved) was first seen.
    oldest_unhandled_alert_at: datetime | None = None
    unhandled_alerts: int = 0
    audit_retention: AuditRetentionFacts = field(default_factory=AuditRetentionFacts)
    # The speaking version's latest performance and fairness reports, per
    # environment name (governance's facts, read once).
    monitoring: Mapping[str, tuple[MonitoredReport, ...]] = field(default_factory=dict)
    provenance: ProvenanceFacts = field(default_factory=ProvenanceFacts)
    latest_document: DocumentRef | None = None

    @property
    def subject_label(self) -> str:
        """How sentences name the subject: "v3 serving", "v5 candidate"."""
        if self.version is None:
            return "no version"
        return f"v{self.version} {'serving' if self.is_serving else 'candidate'}"
