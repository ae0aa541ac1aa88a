"""The webhook queue's gauges for Prometheus, read from the database at scrape
time: the worker runs in its own process, whose counters no scrape of an app
server sees, while the outbox is one table every instance reads."""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from integrations.selectors import delivery_queue


class WebhookQueueCollector(Collector):
    """mlgov_webhook_*: how much waits for the worker, and for how long."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = delivery_queue()
        yield GaugeMetricFamily(
            "mlgov_webhook_deliveries_pending",
            "Webhook deliveries waiting to be made (active subscriptions).",
            value=queue.pending,
        )
        yield GaugeMetricFamily(
            "mlgov_webhook_deliveries_retrying",
            "Pending webhook deliveries whose last attempt failed.",
            value=queue.retrying,
        )
        yield GaugeMetricFamily(
            "mlgov_webhook_oldest_due_age_seconds",
            "Seconds the oldest due webhook delivery has waited past its time "
            "(0 when none is due): grows when no worker runs or it falls behind.",
            value=queue.oldest_due_age_seconds,
        )
