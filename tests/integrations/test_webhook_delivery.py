"""The worker delivers signed events to a real receiver on loopback, retries
with backoff, records every attempt, and switches off a failing subscriber."""

import json
import threading
import time
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from integrations.models import DeliveryAttempt, WebhookDelivery, WebhookSubscription
from integrations.outbox import enqueue_event
from integrations.services import backoff, deliver_due, deliver_next
from integrations.signing import verify
from tests.integrations.ports import free_port

pytestmark = pytest.mark.django_db

SECRET = "s3cret-signing-key-123"


def queue(subscription, event_type="version.approved", **data):
    return enqueue_event(
        event_type=event_type,
        data={"model": "churn", "version": 3, **data},
        subscriptions=[subscription],
    )


def test_a_delivery_is_signed_and_the_receiver_can_verify_it(receiver, subscribe):
    subscription = subscribe(receiver.url, ["version.approved"], secret=SECRET)
    event = queue(subscription)

    attempt = deliver_next()

    (request,) = receiver.received
    assert request.path == "/hooks/mlgov"
    assert "X-Mlgov-Event" not in request.headers, "unsigned: the body says it"
    assert request.json["type"] == "version.approved"
    assert request.headers["Idempotency-Key"] == str(event.id)
    assert request.json == event.payload
    assert verify(
        secret=SECRET,
        timestamp=request.headers["X-Mlgov-Timestamp"],
        body=request.body,
        signature=request.headers["X-Mlgov-Signature"],
        now=int(time.time()),
    )
    assert not verify(
        secret="another-secret-entirely",
        timestamp=request.headers["X-Mlgov-Timestamp"],
        body=request.body,
        signature=request.headers["X-Mlgov-Signature"],
        now=int(time.time()),
    )
    assert not verify(
        secret=SECRET,
        timestamp=request.headers["X-Mlgov-Timestamp"],
        body=request.body.replace(b"churn", b"chum"),
        signature=request.headers["X-Mlgov-Signature"],
        now=int(time.time()),
    )
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert delivery.delivered_at is not None
    assert (attempt.succeeded, attempt.status_code) == (True, 200)
    assert attempt.latency_ms > 0
    assert attempt.response_excerpt == '{"received": 1}'
    assert deliver_next() is None


def test_a_stale_timestamp_fails_verification():
    body = b'{"id": "x"}'
    from integrations.signing import sign

    signature = sign(secret=SECRET, timestamp=1_000_000, body=body)

    assert verify(
        secret=SECRET,
        timestamp="1000000",
        body=body,
        signature=signature,
        now=1_000_100,
    )
    assert not verify(
        secret=SECRET,
        timestamp="1000000",
        body=body,
        signature=signature,
        now=1_000_400,
    )
    assert not verify(
        secret=SECRET, timestamp="soon", body=body, signature=signature, now=1_000_000
    )


def test_a_failed_attempt_is_recorded_and_retried_after_a_backoff(
    receiver, subscribe, settings
):
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 30
    receiver.statuses = [503, 200]
    subscription = subscribe(receiver.url, ["version.approved"])
    queue(subscription)

    before = timezone.now()
    first = deliver_next()

    delivery = WebhookDelivery.objects.get()
    assert (first.succeeded, first.status_code, first.error) == (False, 503, "HTTP 503")
    assert first.response_excerpt == "", "a failed answer is not stored"
    assert delivery.status == "pending"
    assert delivery.next_attempt_at >= before + timedelta(seconds=30)
    assert deliver_next() is None, "not due before its backoff"

    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    second = deliver_next()

    assert (second.number, second.succeeded) == (2, True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [r.headers["Idempotency-Key"] for r in receiver.received] == [
        str(delivery.event_id)
    ] * 2
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_backoff_doubles_and_is_capped(settings):
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 30
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 600

    assert [backoff(n).total_seconds() for n in range(1, 7)] == [
        30,
        60,
        120,
        240,
        480,
        600,
    ]


def test_an_unreachable_receiver_is_a_recorded_failure(subscribe):
    subscription = subscribe(
        f"http://127.0.0.1:{free_port()}/none", ["version.approved"]
    )
    queue(subscription)

    attempt = deliver_next()

    assert attempt.succeeded is False
    assert attempt.status_code is None
    assert attempt.error == "connection refused"


def test_a_delivery_is_given_up_after_the_last_attempt(receiver, subscribe, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 100
    receiver.statuses = [500]
    subscription = subscribe(receiver.url, ["version.approved"])
    queue(subscription)

    for _ in range(3):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        deliver_next()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 3
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert deliver_next() is None


def test_repeated_failures_disable_the_subscription_and_say_why(
    receiver, subscribe, settings, log_lines, governance_admin
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.statuses = [500]
    subscription = subscribe(receiver.url, ["version.approved"])
    for n in range(4):
        queue(subscription, version=n)

    assert deliver_due() == 3

    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert "3 consecutive failed attempts" in subscription.disabled_reason
    assert "HTTP 500" in subscription.disabled_reason
    assert len(receiver.received) == 3
    assert WebhookDelivery.objects.filter(status="pending").count() == 4
    entry = LogEntry.objects.get_for_object(subscription).filter(
        action=LogEntry.Action.UPDATE
    )
    assert entry.get().changes_dict["is_active"] == ["True", "False"]
    (disabled,) = [
        line
        for line in log_lines()
        if line.get("event") == "webhook.subscription_disabled"
    ]
    assert disabled["subscription"] == "receiver"

    from integrations.services import update_subscription

    receiver.statuses = [200]
    update_subscription(
        actor=governance_admin, subscription=subscription, is_active=True
    )
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert deliver_due() == 4
    assert WebhookDelivery.objects.filter(status="delivered").count() == 4


def test_the_worker_command_delivers_what_is_due_once(receiver, subscribe):
    subscription = subscribe(receiver.url, ["version.approved"])
    queue(subscription)
    queue(subscription, version=4)

    call_command("deliver_webhooks", "--once", "--waiver-check-seconds", "0")

    assert len(receiver.received) == 2
    assert {json.loads(r.body)["data"]["version"] for r in receiver.received} == {
        3,
        4,
    }


def test_the_worker_refuses_to_start_with_a_malformed_allow_list(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8", "10.0.0.0/33"]

    with pytest.raises(ImproperlyConfigured, match=r"10\.0\.0\.0/33"):
        call_command("deliver_webhooks", "--once", "--waiver-check-seconds", "0")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_workers_never_deliver_one_event_twice(
    receiver, governance_admin, loopback_allowed
):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    from integrations.services import create_subscription

    subscriptions = [
        create_subscription(
            actor=governance_admin,
            name=f"receiver-{n}",
            url=receiver.url,
            event_types=["version.approved"],
            secret=SECRET,
        )
        for n in range(3)
    ]
    with transaction.atomic():
        for n in range(30):
            queue(subscriptions[n % 3], version=n)
    receiver.delay_seconds = 0.02
    errors = []

    def work():
        try:
            deliver_due()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    keys = [r.headers["Idempotency-Key"] for r in receiver.received]
    assert len(keys) == 30
    assert len(set(keys)) == 30
    assert WebhookDelivery.objects.filter(status="delivered").count() == 30
    assert DeliveryAttempt.objects.count() == 30


def test_a_claimed_delivery_is_leased_and_retried_if_its_worker_dies(
    receiver, subscribe
):
    from integrations.services.webhooks import _claim_next_due, lease

    subscription = subscribe(receiver.url, ["version.approved"])
    queue(subscription)
    before = timezone.now()

    claimed = _claim_next_due()  # a worker that dies before it posts

    assert claimed.delivery.next_attempt_at >= before + lease()
    assert claimed.subscription.claimed_until >= before + lease()
    assert deliver_next() is None, "another worker must not take a leased delivery"
    # The lease is over.
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    WebhookSubscription.objects.update(claimed_until=timezone.now())
    attempt = deliver_next()
    assert (attempt.number, attempt.succeeded) == (1, True)
    assert len(receiver.received) == 1
