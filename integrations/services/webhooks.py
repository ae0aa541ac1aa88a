"""Webhook subscriptions and delivery: signed POSTs with retries, every
attempt recorded, and subscriptions that keep failing switched off."""

import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from integrations.models import (
    DeliveryAttempt,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from integrations.signing import (
    EVENT_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.logging import log_event
from mlgov.permissions import can_administer_governance

RESPONSE_EXCERPT_CHARS = 500


def new_webhook_secret() -> str:
    """A random signing secret, shown to the admin once."""
    return "whsec_" + secrets.token_urlsafe(32)


def _check_admin(actor: AbstractBaseUser) -> None:
    if not can_administer_governance(actor):
        raise PermissionDeniedError("Webhooks are managed by governance admins.")


def _clean_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FieldError("url", "Must be an http:// or https:// URL with a host.")
    return url


def _clean_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    if not chosen:
        raise FieldError("event_types", "Choose at least one event type.")
    unknown = [name for name in chosen if name not in WebhookEventType.values]
    if unknown:
        raise FieldError(
            "event_types",
            f"Unknown event type {unknown[0]!r}; "
            f"known: {', '.join(WebhookEventType.values)}.",
        )
    return sorted(chosen)


def check_subscription(*, url: str, event_types: Iterable[str]) -> None:
    """Raise FieldError for a URL or event types a subscription cannot take."""
    _clean_url(url)
    _clean_event_types(event_types)


def _clean_secret(secret: str) -> str:
    if len(secret) < 16:
        raise FieldError("secret", "Use at least 16 characters.")
    return secret


@transaction.atomic
def create_subscription(
    *,
    actor: AbstractBaseUser,
    name: str,
    url: str,
    event_types: Iterable[str],
    secret: str | None = None,
) -> WebhookSubscription:
    """Subscribe a receiver; without a secret one is generated."""
    _check_admin(actor)
    if WebhookSubscription.objects.filter(name=name).exists():
        raise FieldError("name", f"A subscription named {name!r} already exists.")
    return WebhookSubscription.objects.create(
        name=name,
        url=_clean_url(url),
        event_types=_clean_event_types(event_types),
        secret=_clean_secret(secret) if secret else new_webhook_secret(),
        created_by=actor,
    )


@transaction.atomic
def update_subscription(
    *,
    actor: AbstractBaseUser,
    subscription: WebhookSubscription,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    is_active: bool | None = None,
    secret: str | None = None,
    rotate_secret: bool = False,
) -> WebhookSubscription:
    """Change a subscription; re-enabling one clears its failure count, and
    its pending deliveries go out again."""
    _check_admin(actor)
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if url is not None:
        locked.url = _clean_url(url)
    if event_types is not None:
        locked.event_types = _clean_event_types(event_types)
    if secret:
        locked.secret = _clean_secret(secret)
    elif rotate_secret:
        locked.secret = new_webhook_secret()
    if is_active is not None and is_active != locked.is_active:
        locked.is_active = is_active
        if is_active:
            locked.consecutive_failures = 0
            locked.disabled_at = None
            locked.disabled_reason = ""
        else:
            locked.disabled_at = timezone.now()
            locked.disabled_reason = f"Disabled by {actor.get_username()}."
    locked.save()
    return locked


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: doubling from the
    base, capped."""
    base = settings.WEBHOOK_BACKOFF_BASE_SECONDS
    return timedelta(
        seconds=min(base * 2 ** (attempts - 1), settings.WEBHOOK_BACKOFF_MAX_SECONDS)
    )


@dataclass(frozen=True)
class HttpOutcome:
    status_code: int | None
    excerpt: str
    error: str
    latency_ms: float

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST would become a GET without the body: count a redirect
    # as a failed attempt and let the admin fix the URL.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_signed(
    *, url: str, secret: str, event_type: str, event_id: str, body: bytes
) -> HttpOutcome:
    """POST `body` with the signature, timestamp and idempotency headers."""
    timestamp = int(time.time())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "mlgov-webhooks/1",
            EVENT_HEADER: event_type,
            IDEMPOTENCY_HEADER: event_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret=secret, timestamp=timestamp, body=body),
        },
    )
    started = time.perf_counter()
    try:
        with _opener.open(
            request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            excerpt = response.read(RESPONSE_EXCERPT_CHARS * 4)
            status, error = response.status, ""
    except urllib.error.HTTPError as failure:
        excerpt = failure.read(RESPONSE_EXCERPT_CHARS * 4) if failure.fp else b""
        status, error = failure.code, f"HTTP {failure.code}"
    except (urllib.error.URLError, OSError, ValueError) as failure:
        reason = getattr(failure, "reason", failure)
        excerpt, status, error = b"", None, f"{type(failure).__name__}: {reason}"
    latency_ms = (time.perf_counter() - started) * 1000
    return HttpOutcome(
        status_code=status,
        excerpt=excerpt.decode("utf-8", "replace")[:RESPONSE_EXCERPT_CHARS],
        error=error[:RESPONSE_EXCERPT_CHARS],
        latency_ms=latency_ms,
    )


def lease() -> timedelta:
    """How long a claimed delivery is not due for others: longer than any
    attempt can take, so a worker that dies leaves it to be retried later."""
    return timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 60)


def _claim_next_due() -> WebhookDelivery | None:
    """Take the delivery that is due first and lease it, in a short
    transaction: no lock is held while the receiver answers."""
    with transaction.atomic():
        due = (
            WebhookDelivery.objects.due()
            .select_related("event", "subscription")
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            # Workers claiming at the same moment take different rows.
            due = due.select_for_update(skip_locked=True, of=("self",))
        delivery = due.first()
        if delivery is not None:
            delivery.next_attempt_at = timezone.now() + lease()
            delivery.save(update_fields=["next_attempt_at"])
    return delivery


def _disable_after_failures(subscription: WebhookSubscription, last_error: str) -> None:
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    threshold = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    if not locked.is_active or locked.consecutive_failures < threshold:
        return
    locked.is_active = False
    locked.disabled_at = timezone.now()
    locked.disabled_reason = (
        f"Disabled automatically after {locked.consecutive_failures} consecutive "
        f"failed attempts; the last: {last_error}. Fix the receiver and re-enable "
        "the subscription: pending deliveries then go out."
    )
    locked.save()
    log_event(
        "webhook.subscription_disabled",
        subscription=locked.name,
        consecutive_failures=locked.consecutive_failures,
    )


def deliver_next() -> DeliveryAttempt | None:
    """Attempt the delivery that is due first, and record the outcome; None
    when nothing is due."""
    delivery = _claim_next_due()
    if delivery is None:
        return None
    subscription, event = delivery.subscription, delivery.event
    body = json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()
    outcome = post_signed(
        url=subscription.url,
        secret=subscription.secret,
        event_type=event.event_type,
        event_id=str(event.id),
        body=body,
    )
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        now = timezone.now()
        delivery.attempts += 1
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            attempted_at=now,
            succeeded=outcome.succeeded,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error="" if outcome.succeeded else outcome.error or "no answer",
        )
        if outcome.succeeded:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = now
            WebhookSubscription.objects.filter(
                pk=subscription.pk, consecutive_failures__gt=0
            ).update(consecutive_failures=0)
        else:
            if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
            WebhookSubscription.objects.filter(pk=subscription.pk).update(
                consecutive_failures=F("consecutive_failures") + 1
            )
            _disable_after_failures(subscription, attempt.error)
        delivery.save(
            update_fields=["attempts", "status", "delivered_at", "next_attempt_at"]
        )
    log_event(
        "webhook.delivered" if outcome.succeeded else "webhook.attempt_failed",
        subscription=subscription.name,
        event_type=event.event_type,
        attempt=attempt.number,
        status_code=outcome.status_code,
        latency_ms=round(outcome.latency_ms, 1),
    )
    return attempt


def deliver_due(*, limit: int | None = None) -> int:
    """Attempt due deliveries until none is left (or `limit`); the count."""
    done = 0
    while limit is None or done < limit:
        if deliver_next() is None:
            break
        done += 1
    return done
