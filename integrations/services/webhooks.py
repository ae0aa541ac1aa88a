"""Webhook subscriptions and delivery: signed POSTs with retries, every
attempt recorded, subscriptions that keep failing switched off, and no
request to a destination the policy refuses (integrations.destinations)."""

import http.client
import json
import secrets
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.destinations import (
    Network,
    address_refusal,
    host_refusal,
    parse_networks,
)
from integrations.models import (
    DeliveryAttempt,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from integrations.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from mlgov.actors import Actor
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.logging import log_event
from mlgov.permissions import can_administer_governance

RESPONSE_EXCERPT_CHARS = 500


def new_webhook_secret() -> str:
    """A random signing secret, shown to the admin once."""
    return "whsec_" + secrets.token_urlsafe(32)


def _check_admin(actor: Actor) -> None:
    if not can_administer_governance(actor):
        raise PermissionDeniedError("Webhooks are managed by governance admins.")


def allowed_networks() -> tuple[Network, ...]:
    """The internal networks an operator allows receivers in
    (WEBHOOK_ALLOWED_NETWORKS)."""
    try:
        return parse_networks(settings.WEBHOOK_ALLOWED_NETWORKS)
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from None


def _clean_url(url: str) -> str:
    """The URL with its scheme and host in lower case (both are
    case-insensitive, and the database's check is not); refused when it
    carries credentials or names a destination the policy refuses."""
    if any(char.isspace() or not char.isprintable() for char in url):
        raise FieldError("url", "The URL may not contain spaces or control characters.")
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host:
        raise FieldError("url", "Must be an http:// or https:// URL with a host.")
    if parts.username is not None or parts.password is not None:
        raise FieldError(
            "url",
            "Credentials in the URL are not accepted: the receiver authenticates "
            "mlgov by the signature of each request.",
        )
    try:
        port = parts.port
    except ValueError:
        raise FieldError("url", "The port must be a number from 1 to 65535.") from None
    refusal = host_refusal(host, allowed_networks())
    if refusal is not None:
        raise FieldError(
            "url",
            f"Webhooks are not sent to {host} ({refusal}). An internal receiver's "
            "network must be listed in the WEBHOOK_ALLOWED_NETWORKS setting.",
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))


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


def check_subscription(*, url: str, event_types: Iterable[str]) -> str:
    """Raise FieldError for a URL or event types a subscription cannot take;
    the URL as it would be stored."""
    _clean_event_types(event_types)
    return _clean_url(url)


def _clean_secret(secret: str) -> str:
    if len(secret) < 16:
        raise FieldError("secret", "Use at least 16 characters.")
    return secret


@transaction.atomic
def create_subscription(
    *,
    actor: Actor,
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
    actor: Actor,
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
    """What one POST came to. The receiver's answer is kept only when it
    accepted the event; a failure is a status code or a generic reason,
    never the operating system's words (which would tell an admin whether
    an internal port is open)."""

    status_code: int | None
    excerpt: str
    error: str
    latency_ms: float

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class DestinationRefusedError(Exception):
    """The destination policy refused where a URL leads."""


def _resolve(host: str, port: int, allowed: Sequence[Network]) -> list[Any]:
    """Every address `host` resolves to, as (family, socket address); refused
    if the policy refuses any of them."""
    if host_refusal(host, allowed) is not None:
        raise DestinationRefusedError(host)
    found = []
    for family, _, _, _, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        if address_refusal(str(sockaddr[0]), allowed) is not None:
            raise DestinationRefusedError(host)
        found.append((family, sockaddr))
    if not found:
        raise socket.gaierror(f"no address for {host}")
    return found


def _open_connection(family: int, sockaddr: Any, timeout: float) -> socket.socket:
    """A TCP connection to exactly `sockaddr`: no name is looked up again."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


def _connect_pinned(addresses: list[Any], timeout: float) -> socket.socket:
    failure: OSError = OSError("no address")
    for family, sockaddr in addresses:
        try:
            return _open_connection(family, sockaddr, timeout)
        except OSError as error:
            failure = error
    raise failure


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the addresses the policy checked, however the name resolves
    by the time it connects (DNS rebinding); the name goes in Host."""

    def __init__(self, host: str, port: int, *, addresses: list[Any], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses
        self.seconds = timeout

    def connect(self) -> None:
        self.sock = _connect_pinned(self.addresses, self.seconds)


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked addresses; the certificate is verified for the
    name, which is also sent as SNI."""

    def __init__(self, host: str, port: int, *, addresses: list[Any], timeout: float):
        super().__init__(host, port, timeout=timeout, context=_tls_context())
        self.addresses = addresses
        self.seconds = timeout

    def connect(self) -> None:
        sock = _connect_pinned(self.addresses, self.seconds)
        self.sock = _tls_context().wrap_socket(sock, server_hostname=self.host)


def _post(
    parts: SplitResult,
    headers: dict[str, str],
    body: bytes,
    allowed: Sequence[Network],
) -> tuple[int, bytes]:
    """POST without following redirects (a redirected POST would become a
    GET, and could lead anywhere): the status and, for a 2xx, the answer."""
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    pinned = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
    conn = pinned(host, port, addresses=_resolve(host, port, allowed), timeout=timeout)
    try:
        target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        accepted = 200 <= response.status < 300
        answer = response.read(RESPONSE_EXCERPT_CHARS * 4) if accepted else b""
        return response.status, answer
    finally:
        conn.close()


def post_signed(
    *,
    url: str,
    secret: str,
    event_id: str,
    body: bytes,
    allowed: Sequence[Network] = (),
) -> HttpOutcome:
    """POST `body` with the signature, timestamp and idempotency headers to
    where the destination policy allows."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "mlgov-webhooks/1",
        IDEMPOTENCY_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret=secret, timestamp=timestamp, body=body),
    }
    started = time.perf_counter()
    status: int | None = None
    answer, error = b"", ""
    try:
        status, answer = _post(urlsplit(url), headers, body, allowed)
    except DestinationRefusedError:
        error = "destination not allowed"
    except TimeoutError:
        error = "timed out"
    except ConnectionRefusedError:
        error = "connection refused"
    except socket.gaierror:
        error = "host not found"
    except ssl.SSLError:
        error = "TLS handshake failed"
    except (OSError, http.client.HTTPException, ValueError):
        error = "connection failed"
    if status is not None and not 200 <= status < 300:
        error = f"HTTP {status}"
    return HttpOutcome(
        status_code=status,
        excerpt=answer.decode("utf-8", "replace")[:RESPONSE_EXCERPT_CHARS],
        error=error,
        latency_ms=(time.perf_counter() - started) * 1000,
    )


def lease() -> timedelta:
    """How long a claimed delivery is not due for others: longer than any
    attempt can take, so a worker that dies leaves it to be retried later."""
    return timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 60)


@dataclass(frozen=True)
class _Claim:
    """A delivery a worker is attempting, and the lease it holds on its
    subscription until the outcome is recorded."""

    delivery: WebhookDelivery
    subscription: WebhookSubscription
    until: datetime


# How many of the earliest due deliveries are read to find a subscription
# that no worker is delivering to.
_CANDIDATES = 50


def _claim_next_due() -> _Claim | None:
    """Lease the earliest due delivery of a subscription no worker is
    delivering to, in a short transaction: no lock is held while the
    receiver answers. The subscription is leased too, so its deliveries go
    out one at a time, oldest event first, whichever worker takes them."""
    with transaction.atomic():
        now = timezone.now()
        waiting = (
            WebhookDelivery.objects.due(now)
            .filter(
                Q(subscription__claimed_until__isnull=True)
                | Q(subscription__claimed_until__lte=now)
            )
            .order_by("next_attempt_at", "id")
            .values_list("subscription_id", flat=True)[:_CANDIDATES]
        )
        for subscription_id in dict.fromkeys(waiting):
            free = WebhookSubscription.objects.active().filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
                pk=subscription_id,
            )
            if connection.features.has_select_for_update_skip_locked:
                # Workers claiming at the same moment take different
                # subscriptions.
                free = free.select_for_update(skip_locked=True)
            subscription = free.first()
            if subscription is None:
                continue
            delivery = (
                WebhookDelivery.objects.due(now)
                .filter(subscription=subscription)
                .select_related("event")
                .order_by("event__created_at", "id")
                .first()
            )
            if delivery is None:
                continue
            until = now + lease()
            delivery.next_attempt_at = until
            delivery.save(update_fields=["next_attempt_at"])
            WebhookSubscription.objects.filter(pk=subscription.pk).update(
                claimed_until=until
            )
            subscription.claimed_until = until
            delivery.subscription = subscription
            return _Claim(delivery=delivery, subscription=subscription, until=until)
    return None


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


def _attempt(claim: _Claim, allowed: Sequence[Network]) -> HttpOutcome:
    """The POST of a claimed delivery; touches no database, so it can run on
    any thread."""
    event = claim.delivery.event
    body = json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()
    return post_signed(
        url=claim.subscription.url,
        secret=claim.subscription.secret,
        event_id=str(event.id),
        body=body,
        allowed=allowed,
    )


def _record(claim: _Claim, outcome: HttpOutcome) -> DeliveryAttempt:
    """Store the attempt, schedule a retry or give up, and end the lease."""
    subscription, event = claim.subscription, claim.delivery.event
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=claim.delivery.pk)
        now = timezone.now()
        delivery.attempts += 1
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            attempted_at=now,
            succeeded=outcome.succeeded,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt if outcome.succeeded else "",
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
        WebhookSubscription.objects.filter(
            pk=subscription.pk, claimed_until=claim.until
        ).update(claimed_until=None)
    log_event(
        "webhook.delivered" if outcome.succeeded else "webhook.attempt_failed",
        subscription=subscription.name,
        event_type=event.event_type,
        attempt=attempt.number,
        status_code=outcome.status_code,
        error=attempt.error,
        latency_ms=round(outcome.latency_ms, 1),
    )
    return attempt


def deliver_next() -> DeliveryAttempt | None:
    """Attempt the delivery that is due first, and record the outcome; None
    when nothing is due."""
    claim = _claim_next_due()
    if claim is None:
        return None
    return _record(claim, _attempt(claim, allowed_networks()))


def deliver_due(*, limit: int | None = None) -> int:
    """Attempt due deliveries until none is left (or `limit` attempts); the
    number of attempts. Up to WEBHOOK_DELIVERY_THREADS subscriptions are
    posted to at once, so a receiver that hangs holds up only its own
    events; each subscription's go out one at a time, oldest first.

    Only the POSTs run on the pool's threads: claims and outcomes are
    written by the calling thread, on its one database connection."""
    threads = max(1, settings.WEBHOOK_DELIVERY_THREADS)
    allowed = allowed_networks()
    claimed = attempted = 0
    in_flight: dict[Future[HttpOutcome], _Claim] = {}
    with ThreadPoolExecutor(threads, thread_name_prefix="webhook-post") as pool:
        while True:
            while len(in_flight) < threads and (limit is None or claimed < limit):
                claim = _claim_next_due()
                if claim is None:
                    break
                in_flight[pool.submit(_attempt, claim, allowed)] = claim
                claimed += 1
            if not in_flight:
                return attempted
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                _record(in_flight.pop(future), future.result())
                attempted += 1
