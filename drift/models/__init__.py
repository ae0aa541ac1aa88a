"""Drift's data, by subject: drift reports and their alerts (``drift``), and
monitoring beyond drift, performance and fairness (``quality``)."""

from drift.models.drift import (
    ALERT_TRANSITIONS,
    DriftAlert,
    DriftAlertQuerySet,
    DriftReport,
    FeatureDrift,
    Severity,
)
from drift.models.quality import (
    FairnessGroup,
    FairnessReport,
    LatestMonitoringReport,
    MonitoringAlert,
    MonitoringAlertQuerySet,
    MonitoringThreshold,
    PerformanceReport,
    ReportKind,
)

__all__ = [
    "ALERT_TRANSITIONS",
    "DriftAlert",
    "DriftAlertQuerySet",
    "DriftReport",
    "FairnessGroup",
    "FairnessReport",
    "FeatureDrift",
    "LatestMonitoringReport",
    "MonitoringAlert",
    "MonitoringAlertQuerySet",
    "MonitoringThreshold",
    "PerformanceReport",
    "ReportKind",
    "Severity",
]
