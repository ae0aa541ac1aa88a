"""What a technical document is built from: plain, immutable facts about one
model version, read by `compliance.documentation.selectors.documentation_facts`
and turned into sections by the pure builder (no ORM past this point)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ModelFacts:
    """The model the version belongs to."""

    name: str
    display_name: str
    description: str
    team: str
    owner: str | None
    risk_tier: str
    ai_act_category: str
    business_use: str
    tags: tuple[str, ...]
    kind: str = "predictive"


@dataclass(frozen=True)
class VersionRecord:
    """A version's frozen evidence (the documented one, or its parent)."""

    number: int
    status: str
    artifact_uri: str
    artifact_sha256: str
    framework: str
    training_data_ref: str
    metrics: Mapping[str, float]
    params: Mapping[str, Any]
    model_card: Mapping[str, str]
    parent: int | None
    created_by: str | None
    created_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    prompt_template: str = ""
    provider: str = ""
    provider_model: str = ""
    evaluation_results: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Citation:
    """A sentence with the provision it rests on."""

    citation: str
    text: str


@dataclass(frozen=True)
class IntakeRecord:
    """The model's newest use-case intake revision, with what it derived
    (labels already spelled out from the questionnaire's vocabulary)."""

    revision: int
    answered_by: str
    answered_at: datetime
    purpose: str
    affected_persons: str
    affected_groups: tuple[str, ...]
    autonomy: str
    domain: str
    annex_iii: str  # "Annex III 5(b)", or "" outside Annex III
    provenance: str
    vendor_name: str
    human_oversight_measures: str
    human_oversight_contact: str
    category: str
    reasoning: tuple[Citation, ...]
    transparency_duties: tuple[Citation, ...]


@dataclass(frozen=True)
class ObligationGapRecord:
    """An applicable obligation the model does not (fully) meet."""

    reference: str
    title: str
    status: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class CoverageRecord:
    """The model's coverage under one enabled framework."""

    framework: str
    framework_version: str
    met: int
    partly_met: int
    unmet: int
    not_applicable: int
    gaps: tuple[ObligationGapRecord, ...]


@dataclass(frozen=True)
class PerformanceReportRecord:
    """One performance report (outcomes against ground truth)."""

    environment: str
    window_start: datetime
    window_end: datetime
    sample_size: int
    metrics: Mapping[str, float | None]
    latest: bool


@dataclass(frozen=True)
class FairnessReportRecord:
    """One fairness report on one protected attribute."""

    environment: str
    attribute: str
    reference_group: str
    window_start: datetime
    window_end: datetime
    sample_size: int
    metrics: Mapping[str, float | None]
    four_fifths_passed: bool | None
    latest: bool


@dataclass(frozen=True)
class MonitoringAlertRecord:
    """One performance or fairness alert and how it was handled."""

    environment: str
    kind: str
    subject: str
    severity: str
    status: str
    value: float | None
    limit: float
    first_seen_at: datetime
    last_seen_at: datetime
    note: str


@dataclass(frozen=True)
class EvaluationRecord:
    """A stored evaluation with every rule's result and sentence."""

    environment: str | None
    trigger: str
    passed: bool
    evaluated_at: datetime
    requested_by: str | None
    results: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class ApprovalRecord:
    """A reviewer's decision on the version."""

    reviewer: str
    decision: str
    comment: str
    at: datetime


@dataclass(frozen=True)
class WaiverRecord:
    """A time-bound exception to one rule for the version."""

    policy: str
    rule: int
    justification: str
    ticket: str
    state: str
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    revoked_by: str | None
    revocation_reason: str


@dataclass(frozen=True)
class PolicyRecord:
    """A policy whose scope covers the version in at least one environment."""

    name: str
    revision: int
    enforcement: str
    environments: tuple[str, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True)
class GateRecord:
    """One recorded gate decision about the version."""

    environment: str
    decision: str
    requested_by: str
    requested_at: datetime
    blocking: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class DeploymentRecord:
    """One line of the deployment ledger: where the version served, when."""

    environment: str
    strategy: str
    traffic_percent: int
    status: str
    requested_at: datetime
    active_from: datetime | None
    active_until: datetime | None


@dataclass(frozen=True)
class DriftReportRecord:
    """One drift report on the version's production data."""

    environment: str
    window_start: datetime
    window_end: datetime
    severity: str
    drift_share: float
    dataset_drift: bool
    drifted_features: tuple[str, ...]


@dataclass(frozen=True)
class DriftAlertRecord:
    """One drift alert and how it was handled."""

    environment: str
    feature: str
    severity: str
    status: str
    first_seen_at: datetime
    last_seen_at: datetime
    note: str


@dataclass(frozen=True)
class AuditRecord:
    """One audit-trail entry about the version or its decisions."""

    at: datetime
    actor: str | None
    action: str
    object_type: str
    object: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class DocumentationFacts:
    """Everything a technical document of one version is built from."""

    model: ModelFacts
    version: VersionRecord
    parent: VersionRecord | None
    now: datetime
    evaluations: tuple[EvaluationRecord, ...] = ()
    approvals: tuple[ApprovalRecord, ...] = ()
    waivers: tuple[WaiverRecord, ...] = ()
    policies: tuple[PolicyRecord, ...] = ()
    gate_decisions: tuple[GateRecord, ...] = ()
    deployments: tuple[DeploymentRecord, ...] = ()
    drift_reports: tuple[DriftReportRecord, ...] = ()
    drift_alerts: tuple[DriftAlertRecord, ...] = ()
    audit: tuple[AuditRecord, ...] = ()
    intake: IntakeRecord | None = None
    # None: no obligation framework is enabled.
    coverage: tuple[CoverageRecord, ...] | None = None
    # The version coverage was judged on (the one speaking for the model in
    # production), None when no version does.
    coverage_version: int | None = None
    performance_reports: tuple[PerformanceReportRecord, ...] = ()
    fairness_reports: tuple[FairnessReportRecord, ...] = ()
    monitoring_alerts: tuple[MonitoringAlertRecord, ...] = ()
