"""Result dataclasses: one statistic, one feature's decision, the report."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from drift.stats.constants import Histogram


@dataclass(frozen=True)
class Statistic:
    """One drift statistic and the bins it was computed on."""

    method: str
    statistic: float
    p_value: float | None
    bins: str
    approximation: str | None = None


@dataclass(frozen=True)
class FeatureResult:
    """The drift decision for one feature, JSON-safe throughout."""

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
    excluded_reference: int
    excluded_current: int
    evaluable: bool
    reason: str | None
    approximation: str | None
    bins: str | None
    reference_histogram: Histogram
    current_histogram: Histogram

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready data."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ReportSummary:
    """Report-level drift: share of drifted features and the worst severity."""

    n_features: int
    n_evaluable: int
    n_drifted: int
    drift_share: float
    dataset_drift: bool
    dataset_drift_share: float
    severity: str
