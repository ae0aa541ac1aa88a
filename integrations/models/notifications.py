"""E-mail notifications: each user's preferences and the outbox of
messages."""

from typing import Self

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone


class NotificationKind(models.TextChoices):
    """What a user may be told by e-mail."""

    REVIEW_ASSIGNED = "review_assigned", "A review is assigned to me"
    REVIEW_WAITING = "review_waiting", "A review waits past half its deadline"
    VERSION_DECIDED = "version_decided", "A reviewer decided on my version"
    WAIVER_EXPIRING = "waiver_expiring", "A waiver expires within a week"
    CRITICAL_DRIFT = "critical_drift", "Critical drift on a version in production"
    CRITICAL_MONITORING = (
        "critical_monitoring",
        "A critical performance or fairness alert on a version in production",
    )
    GATE_BLOCKED = "gate_blocked", "The gate blocked a production deployment"


class NotificationPreference(models.Model):
    """What one user receives by e-mail, and when; a user without a row
    receives every kind at once."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "Each notification at once"
        DIGEST = "digest", "One digest a day"

    # A foreign key with a unique constraint rather than a OneToOneField: a
    # reverse one-to-one would cost every audited user save a query.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    # The kinds switched off, so a kind added later reaches everyone.
    muted_kinds = models.JSONField(default=list, blank=True)
    delivery = models.CharField(
        max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], name="one_preference_per_user"),
            models.CheckConstraint(
                condition=models.Q(delivery__in=["immediate", "digest"]),
                name="notification_delivery_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"notifications of {self.user} ({self.delivery})"

    def receives(self, kind: str) -> bool:
        """Whether this user wants `kind` at all."""
        return kind not in self.muted_kinds


class EmailNotificationQuerySet(models.QuerySet["EmailNotification"]):
    def due(self, now=None) -> Self:
        """Pending messages whose time has come."""
        return self.filter(
            state=EmailNotification.State.PENDING,
            next_attempt_at__lte=now or timezone.now(),
        )

    def held(self) -> Self:
        """Notifications waiting for their recipient's daily digest."""
        return self.filter(state=EmailNotification.State.HELD)


class EmailNotification(models.Model):
    """One e-mail to one user, written in the transaction of the change that
    caused it and sent by the worker, retried until sent or given up. A
    digest user's notifications are held, then sent grouped in one digest
    row (kind `digest`)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"
        HELD = "held", "Held for the digest"
        DIGESTED = "digested", "Sent in a digest"

    DIGEST = "digest"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="email_notifications",
    )
    address = models.EmailField(max_length=254)
    kind = models.CharField(max_length=20)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Set for what must be sent once (a reminder, a digest): a second run of
    # the job that writes it finds the key taken.
    dedupe_key = models.CharField(max_length=200, blank=True)
    digest = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grouped",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = EmailNotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="one_email_per_dedupe_key",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state__in=["pending", "sent", "failed", "held", "digested"]
                ),
                name="email_notification_state_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="sent") | models.Q(sent_at__isnull=False),
                name="email_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="digested") | models.Q(digest__isnull=False),
                name="email_digested_names_its_digest",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="email_notification_due",
            ),
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(state="held"),
                name="email_notification_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.address} ({self.state})"


auditlog.register(NotificationPreference, exclude_fields=["updated_at"])
