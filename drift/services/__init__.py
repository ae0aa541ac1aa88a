"""Every state change of drift, by subject: the alert moves every alert
shares (``alerts``), drift reports and their alerts (``drift``),
performance and fairness reports and theirs (``quality``)."""

from drift.services.alerts import (
    ACKNOWLEDGE,
    ALERT_MOVES,
    RESOLVE,
    acknowledge_alert,
    resolve_alert,
)
from drift.services.drift import (
    IngestedReport,
    ingest_drift_report,
    parse_report_features,
)
from drift.services.quality import (
    IngestedFairnessReport,
    IngestedPerformanceReport,
    Limit,
    environment_limits,
    ingest_fairness_report,
    ingest_performance_report,
    parse_fairness_payload,
    parse_performance_payload,
)

__all__ = [
    "ACKNOWLEDGE",
    "ALERT_MOVES",
    "RESOLVE",
    "IngestedFairnessReport",
    "IngestedPerformanceReport",
    "IngestedReport",
    "Limit",
    "acknowledge_alert",
    "environment_limits",
    "ingest_drift_report",
    "ingest_fairness_report",
    "ingest_performance_report",
    "parse_fairness_payload",
    "parse_performance_payload",
    "parse_report_features",
    "resolve_alert",
]
