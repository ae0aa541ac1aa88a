"""One worker delivers to different subscriptions at once: a receiver that
hangs does not hold up the others, and each subscription still gets its
events one at a time, in order."""

import threading

import pytest

from integrations.models import DeliveryAttempt
from integrations.outbox import enqueue_event
from integrations.services import deliver_due

pytestmark = pytest.mark.django_db


def queue(subscription, version):
    return enqueue_event(
        event_type="version.approved",
        data={"model": "churn", "version": version},
        subscriptions=[subscription],
    )


def test_a_hanging_receiver_does_not_hold_up_a_healthy_one(
    make_receiver, subscribe, settings
):
    settings.WEBHOOK_DELIVERY_THREADS = 4
    settings.WEBHOOK_TIMEOUT_SECONDS = 3
    hanging = make_receiver(hold=threading.Event())
    healthy = make_receiver()
    stuck = subscribe(hanging.url, ["version.approved"], name="stuck")
    fine = subscribe(healthy.url, ["version.approved"], name="fine")
    queue(stuck, 1)  # due first: a serial worker would wait for it
    queue(fine, 2)

    assert deliver_due() == 2

    # Attempts are recorded as they complete: the healthy receiver's first,
    # while the hanging one was still being waited for.
    first, second = DeliveryAttempt.objects.order_by("pk")
    assert (first.delivery.subscription, first.succeeded) == (fine, True)
    assert (second.delivery.subscription, second.error) == (stuck, "timed out")
    assert healthy.got_one.is_set()


def test_each_subscription_gets_its_events_one_at_a_time_in_order(
    make_receiver, subscribe, settings
):
    settings.WEBHOOK_DELIVERY_THREADS = 4
    receivers = [make_receiver(delay_seconds=0.02) for _ in range(2)]
    subscriptions = [
        subscribe(r.url, ["version.approved"], name=f"s{n}")
        for n, r in enumerate(receivers)
    ]
    for version in range(1, 7):
        for subscription in subscriptions:
            queue(subscription, version)

    assert deliver_due() == 12

    for receiver in receivers:
        versions = [r.json["data"]["version"] for r in receiver.received]
        assert versions == [1, 2, 3, 4, 5, 6]
        assert receiver.most_in_flight == 1


def test_a_retried_event_goes_before_newer_ones_of_its_subscription(
    receiver, subscribe, settings
):
    from django.utils import timezone

    from integrations.models import WebhookDelivery
    from integrations.services import deliver_next

    receiver.statuses = [503, 200]
    subscription = subscribe(receiver.url, ["version.approved"])
    queue(subscription, 1)
    deliver_next()  # fails, waits for its backoff
    queue(subscription, 2)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())

    assert deliver_due() == 2

    assert [r.json["data"]["version"] for r in receiver.received] == [1, 1, 2]
