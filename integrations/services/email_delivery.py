"""Sending the e-mail outbox through Django's mail framework (SMTP in
production): due messages are claimed in a short transaction, sent with no
lock held, and each outcome recorded; a failure is retried with doubling
waits until NOTIFICATION_MAX_ATTEMPTS, then given up. Run by the
`deliver_webhooks` worker beside the webhooks."""

import contextlib
import logging
import smtplib
import socket
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone

from integrations.models import EmailNotification
from mlgov.logging import log_event

logger = logging.getLogger(__name__)


def email_backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: doubling from the
    base, capped."""
    base = settings.NOTIFICATION_BACKOFF_BASE_SECONDS
    return timedelta(
        seconds=min(
            base * 2 ** (attempts - 1), settings.NOTIFICATION_BACKOFF_MAX_SECONDS
        )
    )


def email_lease() -> timedelta:
    """How long a claimed message is not due for other workers: longer than
    a send can take, so one a dying worker held is tried again later."""
    return timedelta(seconds=2 * settings.EMAIL_TIMEOUT + 60)


def _claim_due(limit: int) -> list[EmailNotification]:
    with transaction.atomic():
        now = timezone.now()
        due = EmailNotification.objects.due(now).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            # Workers claiming at the same moment take different messages.
            due = due.select_for_update(skip_locked=True)
        claimed = list(due.select_related("recipient")[:limit])
        if claimed:
            EmailNotification.objects.filter(pk__in=[n.pk for n in claimed]).update(
                next_attempt_at=now + email_lease()
            )
    return claimed


def _message(notification: EmailNotification) -> EmailMessage:
    return EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.address],
        # Auto-Submitted keeps vacation responders from answering.
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Mlgov-Notification": notification.kind,
        },
    )


def _failure(error: Exception) -> str:
    """What went wrong, in words an operator can act on."""
    if isinstance(error, smtplib.SMTPResponseException):
        detail = error.smtp_error
        text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else ""
        return f"SMTP {error.smtp_code}: {text}"[:500]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "recipient refused"
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, smtplib.SMTPException | OSError):
        return f"{type(error).__name__}: {error}"[:500]
    # A fault of ours, not of the mail server: at ERROR with the traceback
    # for Sentry, and recorded like any failure, so one bad message neither
    # stops the worker nor holds up the others.
    logger.error("e-mail notification failed unexpectedly", exc_info=error)
    return f"unexpected error: {type(error).__name__}"


def _record(notification: EmailNotification, error: str) -> EmailNotification:
    with transaction.atomic():
        locked = EmailNotification.objects.select_for_update().get(pk=notification.pk)
        now = timezone.now()
        locked.attempts += 1
        if not error:
            locked.state = EmailNotification.State.SENT
            locked.sent_at = now
            locked.last_error = ""
        else:
            locked.last_error = error
            if locked.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                locked.state = EmailNotification.State.FAILED
            else:
                locked.next_attempt_at = now + email_backoff(locked.attempts)
        locked.save(
            update_fields=[
                "attempts",
                "state",
                "sent_at",
                "last_error",
                "next_attempt_at",
            ]
        )
    event = "email.attempt_failed"
    if locked.state == EmailNotification.State.SENT:
        event = "email.sent"
    elif locked.state == EmailNotification.State.FAILED:
        event = "email.given_up"
    log_event(
        event,
        notification_id=locked.pk,
        kind=locked.kind,
        recipient=notification.recipient.get_username(),
        attempt=locked.attempts,
        error=error,
    )
    return locked


def send_due_emails(*, limit: int = 100) -> int:
    """Send the due messages (at most `limit`) over one connection and record
    each outcome; the number of attempts made."""
    claimed = _claim_due(limit)
    if not claimed:
        return 0
    mail = get_connection(fail_silently=False)
    try:
        mail.open()
    except Exception as error:
        failure = _failure(error)
        for notification in claimed:
            _record(notification, failure)
        return len(claimed)
    try:
        for notification in claimed:
            try:
                mail.send_messages([_message(notification)])
            except Exception as error:
                _record(notification, _failure(error))
            else:
                _record(notification, "")
    finally:
        # The messages are recorded already; a failed QUIT loses nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            mail.close()
    return len(claimed)
