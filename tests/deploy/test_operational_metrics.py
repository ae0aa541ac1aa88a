"""The metrics the alert rules need beyond the request and domain counters:
readiness failures, the webhook queue, and the last audit verification."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from integrations.models import WebhookDelivery, WebhookEvent
from integrations.services.webhooks import create_subscription
from mlgov import metrics
from tests.mlgov.conftest import metric
from tests.mlgov.test_audit_chain import (
    ENTRY_TABLE,
    make_entries,
    protections_bypassed,
    raw,
)

pytestmark = pytest.mark.django_db


def scrape_text() -> str:
    return metrics.scrape().decode()


def sample(text: str, line_start: str) -> float:
    """The value of the one sample line starting with `line_start`."""
    (line,) = [line for line in text.splitlines() if line.startswith(line_start)]
    return float(line.rsplit(" ", 1)[1])


def test_a_failing_readiness_check_is_counted_by_check(monkeypatch):
    from mlgov import health

    before_cache = metric("mlgov_readiness_failures_total", check="cache")
    before_db = metric("mlgov_readiness_failures_total", check="database")
    monkeypatch.setattr(health, "_cache_ok", lambda: False)

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert metric("mlgov_readiness_failures_total", check="cache") == before_cache + 1
    assert metric("mlgov_readiness_failures_total", check="database") == before_db


def test_a_ready_instance_counts_no_failure():
    before = metric("mlgov_readiness_failures_total", check="cache")

    assert Client().get("/readyz").status_code == 200
    assert metric("mlgov_readiness_failures_total", check="cache") == before


@pytest.fixture
def subscription(governance_admin, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return create_subscription(
        actor=governance_admin,
        name="receiver",
        url="http://127.0.0.1:9/hook",
        event_types=["gate.decision"],
        secret="s3cret-signing-key-123",
    )


def _delivery(subscription, **fields) -> WebhookDelivery:
    event = WebhookEvent.objects.create(event_type="gate.decision", payload={"n": 1})
    return WebhookDelivery.objects.create(
        event=event, subscription=subscription, **fields
    )


def test_the_webhook_queue_is_read_from_the_database_at_scrape_time(subscription):
    now = timezone.now()
    _delivery(subscription, next_attempt_at=now - timedelta(minutes=10))
    _delivery(subscription, attempts=3, next_attempt_at=now - timedelta(minutes=2))
    _delivery(subscription, attempts=1, next_attempt_at=now + timedelta(minutes=5))
    _delivery(subscription, status="delivered", attempts=1, delivered_at=now)
    _delivery(subscription, status="failed", attempts=10)

    text = scrape_text()

    assert sample(text, "mlgov_webhook_deliveries_pending ") == 3
    assert sample(text, "mlgov_webhook_deliveries_retrying ") == 2
    # The oldest delivery due and not yet made waited ten minutes.
    oldest = sample(text, "mlgov_webhook_oldest_due_age_seconds ")
    assert 600 <= oldest < 700


def test_an_empty_webhook_queue_reports_zeros():
    text = scrape_text()

    assert sample(text, "mlgov_webhook_deliveries_pending ") == 0
    assert sample(text, "mlgov_webhook_deliveries_retrying ") == 0
    assert sample(text, "mlgov_webhook_oldest_due_age_seconds ") == 0


def test_deliveries_of_a_disabled_subscription_are_not_queued(subscription):
    _delivery(subscription, next_attempt_at=timezone.now() - timedelta(hours=1))
    subscription.is_active = False
    subscription.save()

    text = scrape_text()

    assert sample(text, "mlgov_webhook_deliveries_pending ") == 0
    assert sample(text, "mlgov_webhook_oldest_due_age_seconds ") == 0


def test_before_any_verification_the_audit_gauges_say_never():
    text = scrape_text()

    assert sample(text, "mlgov_audit_verification_failed ") == 0
    assert sample(text, "mlgov_audit_verification_last_run_timestamp_seconds ") == 0


def test_a_successful_verify_audit_is_reported_with_its_time():
    started = timezone.now().timestamp()

    call_command("verify_audit", stdout=None)

    text = scrape_text()
    assert sample(text, "mlgov_audit_verification_failed ") == 0
    ran_at = sample(text, "mlgov_audit_verification_last_run_timestamp_seconds ")
    assert started - 1 <= ran_at <= timezone.now().timestamp() + 1


def test_a_failed_verify_audit_is_reported():
    entry = make_entries(2)[0]
    with protections_bypassed():
        raw(
            f"UPDATE {ENTRY_TABLE} SET object_repr = 'forged' WHERE id = %s",
            [entry.id],
        )

    with pytest.raises(CommandError):
        call_command("verify_audit")

    text = scrape_text()
    assert sample(text, "mlgov_audit_verification_failed ") == 1
    assert sample(text, "mlgov_audit_verification_last_run_timestamp_seconds ") > 0
