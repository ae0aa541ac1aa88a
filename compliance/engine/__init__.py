"""Obligation coverage engine: pure functions from plain values to statuses.

No Django, no database, no clock: callers pass `now`. By subject: ``facts``
(``CoverageFacts``), ``evidence`` (the evidence-kind table and evaluators),
``schema`` (packs and obligations, validated strictly) and ``coverage``
(obligations judged met, partly met, unmet or not applicable)."""

from compliance.engine.coverage import (
    MET,
    NOT_APPLICABLE,
    PARTLY_MET,
    STATUS_LABELS,
    STATUSES,
    UNMET,
    CountsPlan,
    CoverageCounts,
    EvidenceResult,
    FrameworkCoverage,
    ObligationResult,
    framework_coverage,
    judge_obligation,
    model_coverage,
    total_counts,
)
from compliance.engine.evidence import (
    EVIDENCE_KINDS,
    EVIDENCE_REGISTRY,
    LINK_TARGETS,
    EvidenceKind,
    EvidenceLink,
    EvidenceOutcome,
)
from compliance.engine.facts import (
    AuditRetentionFacts,
    CoverageFacts,
    DocumentRef,
    DriftReportRef,
    EnforcedRule,
    ProvenanceFacts,
)
from compliance.engine.schema import (
    AppliesTo,
    EvidenceSpec,
    FrameworkSpec,
    ObligationSpec,
    PackError,
    validate_evidence,
    validate_obligation,
    validate_pack,
)

__all__ = [
    "EVIDENCE_KINDS",
    "EVIDENCE_REGISTRY",
    "LINK_TARGETS",
    "MET",
    "NOT_APPLICABLE",
    "PARTLY_MET",
    "STATUSES",
    "STATUS_LABELS",
    "UNMET",
    "AppliesTo",
    "AuditRetentionFacts",
    "CountsPlan",
    "CoverageCounts",
    "CoverageFacts",
    "DocumentRef",
    "DriftReportRef",
    "EnforcedRule",
    "EvidenceKind",
    "EvidenceLink",
    "EvidenceOutcome",
    "EvidenceResult",
    "EvidenceSpec",
    "FrameworkCoverage",
    "FrameworkSpec",
    "ObligationResult",
    "ObligationSpec",
    "PackError",
    "ProvenanceFacts",
    "framework_coverage",
    "judge_obligation",
    "model_coverage",
    "total_counts",
    "validate_evidence",
    "validate_obligation",
    "validate_pack",
]
