"""The webhook queue's and the e-mail outbox's gauges for Prometheus, read
from the database at scrape time: the worker runs in its own process, whose
counters no scrape of an app server sees, while each outbox is one table
every instance reads."""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from integrations.selectors import delivery_queue, email_queue


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


class EmailQueueCollector(Collector):
    """mlgov_email_notifications_*: what waits for the worker, for a digest,
    and what was given up."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = email_queue()
        for name, documentation, value in (
            ("pending", "E-mail notifications waiting to be sent.", queue.pending),
            (
                "retrying",
                "Pending e-mail notifications whose last attempt failed.",
                queue.retrying,
            ),
            ("held", "Notifications held for a daily digest.", queue.held),
            ("failed", "E-mail notifications given up after retries.", queue.failed),
        ):
            yield GaugeMetricFamily(
                f"mlgov_email_notifications_{name}", documentation, value=value
            )
        yield GaugeMetricFamily(
            "mlgov_email_oldest_due_age_seconds",
            "Seconds the oldest due e-mail has waited past its time (0 when none "
            "is due): grows when no worker runs or the mail server refuses.",
            value=queue.oldest_due_age_seconds,
        )
