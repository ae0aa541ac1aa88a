"""The shapes mlgov answers with (DESIGN.md §3), as TypedDicts.

They type the client's return values for editors and mypy; the client does
not check answers against them, so a field mlgov adds later passes through.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Model(TypedDict):
    name: str
    display_name: str
    description: str
    team: str
    owner: str | None
    risk_tier: str
    kind: str
    business_use: str
    tags: list[str]
    latest_version: int | None
    archived: bool
    archived_at: str | None
    created_at: str
    updated_at: str


class EvaluationResult(TypedDict):
    """One metric of an evaluation suite (an LLM application's groundedness,
    toxicity…); `dataset_ref` may be blank."""

    metric: str
    value: float
    suite: str
    judge: str
    sample_size: int
    dataset_ref: str


class Version(TypedDict):
    model: str
    version: int
    status: str
    artifact_uri: str
    artifact_sha256: str
    framework: str
    training_data_ref: str
    metrics: dict[str, float]
    params: dict[str, Any]
    model_card: dict[str, str]
    prompt_template: str
    provider: str
    provider_name: str
    provider_model: str
    evaluation_results: list[EvaluationResult]
    parent_version: int | None
    created_by: str | None
    submitted_by: str | None
    submitted_at: str | None
    created_at: str
    updated_at: str


class GateCheck(TypedDict):
    check: str
    passed: bool
    detail: str


class GateDecision(TypedDict, total=False):
    """The dry run's answer; a recorded request adds `id` and the rollout."""

    model: str
    version: int
    environment: str
    strategy: str
    traffic_percent: int
    decision: str
    status: str
    checks: list[GateCheck]
    warnings: list[str]
    evaluation: dict[str, Any]
    requested_by: str
    requested_at: str


class Deployment(GateDecision, total=False):
    id: int
    approvals: list[int]
    waivers: list[int]
    started_at: str | None
    activated_at: str | None
    ended_at: str | None
    supersedes: int | None
    steps: list[dict[str, Any]]


class Histogram(TypedDict, total=False):
    """One side of a feature: raw `values`, or `bin_edges` with `counts` (and
    PSI's bins, `psi_bin_edges` with `psi_counts`), or `categories`."""

    values: list[Any]
    bin_edges: list[float | None]
    counts: list[int]
    psi_bin_edges: list[float | None]
    psi_counts: list[int]
    categories: dict[str, int]


class FeaturePayload(TypedDict, total=False):
    name: str
    kind: str
    reference: Histogram
    current: Histogram
    method: str
    threshold: float


class FeatureDrift(TypedDict):
    feature: str
    kind: str
    method: str
    threshold: float
    statistic: float | None
    p_value: float | None
    psi: float | None
    drifted: bool
    severity: str
    n_reference: int
    n_current: int
    excluded: int
    evaluable: bool
    reason: str | None
    approximation: str | None
    bins: str | None
    reference_histogram: Histogram
    current_histogram: Histogram


class DriftAlert(TypedDict, total=False):
    id: int
    model: str
    version: int
    environment: str
    feature: str
    severity: str
    status: str
    first_seen_at: str
    last_seen_at: str
    latest_report: int
    acknowledged_by: str | None
    acknowledged_at: str | None
    acknowledgement_note: str
    resolved_by: str | None
    resolved_at: str | None


class DriftReport(TypedDict, total=False):
    id: int
    model: str
    version: int
    environment: str
    window_start: str
    window_end: str
    submitted_by: str
    created_at: str
    severity: str
    drift_share: float
    dataset_drift: bool
    dataset_drift_share: float
    n_features: int
    n_evaluable: int
    n_drifted: int
    features: list[FeatureDrift]
    alerts: list[DriftAlert]


class PortfolioSummary(TypedDict, total=False):
    models: int
    versions: int
    production: dict[str, Any]
    by_risk_tier: dict[str, dict[str, int]]
    drift_alerts_open: dict[str, int]
    gate_decisions_30d: dict[str, Any]
    overdue_reviews: dict[str, Any]
    attention: list[dict[str, Any]]


class ConfusionCounts(TypedDict):
    tp: int
    fp: int
    tn: int
    fn: int


class ScoreBins(TypedDict):
    bin_edges: list[float]
    positives: list[int]
    negatives: list[int]


class MonitoringAlert(TypedDict, total=False):
    id: int
    model: str
    version: int
    environment: str
    kind: str
    metric: str
    attribute: str
    severity: str
    status: str
    value: float | None
    limit: float
    first_seen_at: str
    last_seen_at: str
    latest_report: int
    acknowledged_by: str | None
    acknowledged_at: str | None
    resolved_by: str | None
    resolved_at: str | None


class PerformanceReport(TypedDict, total=False):
    id: int
    model: str
    version: int
    environment: str
    window_start: str
    window_end: str
    submitted_by: str
    created_at: str
    input_kind: str
    sample_size: int
    notes: list[str]
    positives: int
    positives_share: float
    auc: float | None
    auc_method: str
    accuracy: float | None
    precision: float | None
    recall: float | None
    f1: float | None
    ece: float | None
    ece_method: str
    decision_threshold: float | None
    tp: int | None
    fp: int | None
    tn: int | None
    fn: int | None
    calibration: list[dict[str, float]]
    alerts: list[MonitoringAlert]


class FairnessGroup(TypedDict, total=False):
    group: str
    n: int
    selection_rate: float
    tpr: float | None
    fpr: float | None
    selection_rate_difference: float | None
    selection_rate_ratio: float | None
    tpr_difference: float | None
    tpr_ratio: float | None
    is_reference: bool
    fails_four_fifths: bool


class FairnessReport(TypedDict, total=False):
    id: int
    model: str
    version: int
    environment: str
    window_start: str
    window_end: str
    attribute: str
    reference_group: str
    reference_choice: str
    sample_size: int
    notes: list[str]
    demographic_parity_difference: float | None
    equal_opportunity_difference: float | None
    disparate_impact_ratio: float | None
    equal_opportunity_ratio: float | None
    four_fifths_passed: bool | None
    groups: list[FairnessGroup]
    alerts: list[MonitoringAlert]
