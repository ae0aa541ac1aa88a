"""Drift's gauges for Prometheus, read from the database at scrape time."""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from drift.selectors import open_alert_counts_by_severity


class OpenDriftAlertsCollector(Collector):
    """mlgov_drift_alerts_open: right however many workers changed the alerts."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        alerts = GaugeMetricFamily(
            "mlgov_drift_alerts_open",
            "Drift alerts in status open, by severity.",
            labels=["severity"],
        )
        for severity, count in sorted(open_alert_counts_by_severity().items()):
            alerts.add_metric([severity], count)
        yield alerts
