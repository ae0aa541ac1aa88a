"""Drift's data, by subject: what every alert shares (``alerts``), drift
reports and their alerts (``drift``), and monitoring beyond drift,
performance and fairness (``quality``)."""

from drift.models.alerts import (
    ALERT_TRANSITIONS,
    AlertLifecycle,
    AlertQuerySet,
    Severity,
)
from drift.models.drift import DriftAlert, DriftReport, FeatureDrift
from drift.models.quality import (
    FairnessGroup,
    FairnessReport,
    LatestMonitoringReport,
    MonitoringAlert,
    MonitoringThreshold,
    PerformanceReport,
    ReportKind,
)

__all__ = [
    "ALERT_TRANSITIONS",
    "AlertLifecycle",
    "AlertQuerySet",
    "DriftAlert",
    "DriftReport",
    "FairnessGroup",
    "FairnessReport",
    "FeatureDrift",
    "LatestMonitoringReport",
    "MonitoringAlert",
    "MonitoringThreshold",
    "PerformanceReport",
    "ReportKind",
    "Severity",
]
