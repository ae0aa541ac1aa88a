"""VersionFacts: everything the rules may look at about one version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


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
    # Per environment name, its latest performance and fairness reports.
    monitoring: Mapping[str, tuple[MonitoredReport, ...]] = field(default_factory=dict)
