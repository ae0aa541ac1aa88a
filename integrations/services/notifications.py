"""E-mail notifications: each user's preferences, the outbox rows written in
the transaction of the change that causes them, and the daily digest. What
each kind says and to whom is integrations.notifications'; sending is
integrations.services.email_delivery's."""

from collections.abc import Iterable
from datetime import datetime
from itertools import groupby

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from integrations.models import (
    EmailNotification,
    NotificationKind,
    NotificationPreference,
)
from integrations.outbox import NOTIFY_CHANNEL
from integrations.selectors import notification_preference
from mlgov.actors import Actor
from mlgov.exceptions import FieldError
from mlgov.logging import log_event


@transaction.atomic
def set_notification_preferences(
    *, actor: Actor, kinds: Iterable[str], delivery: str
) -> NotificationPreference:
    """Store which kinds `actor` receives and whether at once or in a daily
    digest; every user sets only their own."""
    chosen = set(kinds)
    unknown = sorted(chosen - set(NotificationKind.values))
    if unknown:
        raise FieldError("kinds", f"Unknown notification kind {unknown[0]!r}.")
    if delivery not in NotificationPreference.Delivery.values:
        raise FieldError(
            "delivery",
            f"Choose {' or '.join(NotificationPreference.Delivery.values)}.",
        )
    muted = sorted(set(NotificationKind.values) - chosen)
    preference = (
        NotificationPreference.objects.select_for_update().filter(user=actor).first()
    )
    if preference is None:
        preference = NotificationPreference(user=actor)
    preference.muted_kinds = muted
    preference.delivery = delivery
    preference.save()
    log_event(
        "notifications.preferences_saved",
        user=actor.get_username(),
        delivery=delivery,
        muted=muted,
    )
    return preference


def enqueue_notification(
    *,
    recipient: Actor,
    kind: str,
    subject: str,
    body: str,
    dedupe_key: str = "",
) -> EmailNotification | None:
    """Write one notification into the caller's transaction, as the
    recipient asked: none when they muted the kind, have no address or are
    inactive, or when `dedupe_key` was used before; held for their digest,
    or pending for the worker."""
    if not recipient.is_active or not recipient.email:
        return None
    preference = notification_preference(user=recipient)
    if not preference.receives(kind):
        return None
    if dedupe_key and EmailNotification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    digest = preference.delivery == NotificationPreference.Delivery.DIGEST
    try:
        # A savepoint: a job running twice at once loses the race on the
        # dedupe key without undoing the caller's change.
        with transaction.atomic():
            notification = EmailNotification.objects.create(
                recipient=recipient,
                address=recipient.email,
                kind=kind,
                # One line: a header cannot hold a line break.
                subject=" ".join(subject.split())[:200],
                body=body,
                state=(
                    EmailNotification.State.HELD
                    if digest
                    else EmailNotification.State.PENDING
                ),
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if not dedupe_key:
            raise
        return None
    if not digest and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [NOTIFY_CHANNEL])
    return notification


def _digest_body(held: list[EmailNotification]) -> str:
    labels = dict(NotificationKind.choices)
    sections = []
    for kind, entries in groupby(held, key=lambda entry: entry.kind):
        items = list(entries)
        lines = [f"{labels.get(kind, kind)} ({len(items)})", ""]
        for entry in items:
            lines.append(f"* {entry.subject}")
            lines.extend(
                f"  {line}" if line else "" for line in entry.body.splitlines()
            )
            lines.append("")
        sections.append("\n".join(lines))
    return "\n".join(sections)


def send_digests(*, now: datetime | None = None) -> int:
    """Group each user's held notifications into one digest e-mail (once a
    day per user); the number of digests written."""
    now = now or timezone.now()
    recipients = (
        EmailNotification.objects.held()
        .filter(created_at__lte=now)
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
    written = 0
    for recipient_id in list(recipients):
        with transaction.atomic():
            held = list(
                EmailNotification.objects.held()
                .select_for_update()
                .filter(recipient_id=recipient_id, created_at__lte=now)
                .order_by("kind", "created_at", "pk")
            )
            if not held:
                continue
            key = f"digest:{recipient_id}:{now:%Y-%m-%d}"
            if EmailNotification.objects.filter(dedupe_key=key).exists():
                continue
            count = len(held)
            digest = EmailNotification.objects.create(
                recipient_id=recipient_id,
                address=held[-1].address,
                kind=EmailNotification.DIGEST,
                subject=f"mlgov daily digest: {count} notification"
                + ("" if count == 1 else "s"),
                body=_digest_body(held),
                dedupe_key=key,
            )
            EmailNotification.objects.filter(pk__in=[n.pk for n in held]).update(
                state=EmailNotification.State.DIGESTED, digest=digest
            )
            written += 1
    if written and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [NOTIFY_CHANNEL])
    log_event("notifications.digests_written", count=written)
    return written
