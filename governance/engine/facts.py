"""VersionFacts: everything the rules may look at about one version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType


@dataclass(frozen=True)
class EvaluationResultFact:
    """One metric of an evaluation suite (an LLM application's groundedness,
    toxicity, …): its value, and who measured it on how many samples."""

    value: float
    sample_size: int
    suite: str
    judge: str


NO_EVALUATION_RESULTS: Mapping[str, EvaluationResultFact] = MappingProxyType({})


@dataclass(frozen=True)
class MonitoredReport:
    """The latest performance report, or the latest fairness report by one
    attribute, of a version in one environment: when its window ended and
    its metric values (None where the report could not compute one)."""

    kind: str
    attribute: str
    window_end: datetime
    values: Mapping[str, float | None]


@dataclass(frozen=True)
class VersionFacts:
    """Everything the rules may look at about one model version."""

    version_id: int
    model: str
    version: int
    risk_tier: str
    # What kind of system the model is (registry's MODEL_KINDS).
    model_kind: str
    tags: frozenset[str]
    metrics: Mapping[str, float]
    model_card: Mapping[str, str]
    approver_ids: frozenset[int]
    creator_id: int | None
    submitter_id: int | None
    created_at: datetime
    open_drift: Mapping[str, str]
    # When the version was submitted, while it waits in review; None otherwise.
    in_review_since: datetime | None = None
    # Evaluation-suite results by metric name; rules read them as metrics.
    evaluation_results: Mapping[str, EvaluationResultFact] = field(
        default_factory=lambda: NO_EVALUATION_RESULTS
    )
    # Per environment name, its latest performance and fairness reports.
    monitoring: Mapping[str, tuple[MonitoredReport, ...]] = field(default_factory=dict)
