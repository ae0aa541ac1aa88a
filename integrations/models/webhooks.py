"""Webhook subscriptions, the outbox of events to deliver, each delivery and
each attempt, and the notices already sent for expiring waivers."""

import uuid
from typing import Self

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone


class WebhookEventType(models.TextChoices):
    """The events a subscription may ask for."""

    VERSION_SUBMITTED = "version.submitted", "Version submitted"
    VERSION_APPROVED = "version.approved", "Version approved"
    VERSION_REJECTED = "version.rejected", "Version rejected"
    GATE_DECISION = "gate.decision", "Gate decision (deployment requested)"
    DEPLOYMENT_MOVED = "deployment.moved", "Deployment moved"
    DRIFT_ALERT_OPENED = "drift_alert.opened", "Drift alert opened"
    DRIFT_ALERT_ESCALATED = "drift_alert.escalated", "Drift alert escalated"
    DRIFT_ALERT_RESOLVED = "drift_alert.resolved", "Drift alert resolved"
    MONITORING_ALERT_OPENED = (
        "monitoring_alert.opened",
        "Performance or fairness alert opened",
    )
    MONITORING_ALERT_ESCALATED = (
        "monitoring_alert.escalated",
        "Performance or fairness alert escalated",
    )
    MONITORING_ALERT_RESOLVED = (
        "monitoring_alert.resolved",
        "Performance or fairness alert resolved",
    )
    WAIVER_EXPIRING = "waiver.expiring", "Waiver expiring"
    MLFLOW_UNGOVERNED_CHANGE = (
        "mlflow.ungoverned_change",
        "MLflow alias moved outside the gate",
    )


class WebhookSubscriptionQuerySet(models.QuerySet["WebhookSubscription"]):
    def active(self) -> Self:
        return self.filter(is_active=True)


class WebhookSubscription(models.Model):
    """A receiver's URL, its signing secret and the event types it wants."""

    name = models.SlugField(max_length=100, unique=True)
    url = models.URLField(max_length=1000)
    secret = models.CharField(
        max_length=200, help_text="Signs every delivery (HMAC-SHA256)."
    )
    event_types = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    # Set while a worker is delivering to this receiver: the others leave it
    # alone, so its events go out one at a time, in order. A lease, not a
    # lock: a worker that dies gives it up when the time passes.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WebhookSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(url__startswith="https://")
                | models.Q(url__startswith="http://"),
                name="webhook_url_is_http",
            ),
            models.CheckConstraint(
                condition=~models.Q(secret=""), name="webhook_has_secret"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        """Whether this subscription asked for `event_type`."""
        return event_type in self.event_types


class WebhookEvent(models.Model):
    """One outbox entry, written in the transaction of the change it reports;
    its id is the idempotency key receivers deduplicate on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=40, choices=WebhookEventType.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"


class WebhookDeliveryQuerySet(models.QuerySet["WebhookDelivery"]):
    def due(self, now=None) -> Self:
        """Pending deliveries of active subscriptions whose time has come."""
        return self.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now or timezone.now(),
            subscription__is_active=True,
        )


class WebhookDelivery(models.Model):
    """One event for one subscription, retried until delivered or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    event = models.ForeignKey(
        WebhookEvent, on_delete=models.PROTECT, related_name="deliveries"
    )
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.PROTECT, related_name="deliveries"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="one_delivery_per_subscriber"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "delivered", "failed"]),
                name="webhook_delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="delivered")
                | models.Q(delivered_at__isnull=False),
                name="webhook_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event.event_type} → {self.subscription} ({self.status})"


class DeliveryAttempt(models.Model):
    """One HTTP attempt: what the receiver answered, and how fast."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.FloatField()
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="one_attempt_per_number"
            )
        ]

    def __str__(self) -> str:
        outcome = self.status_code or self.error[:40]
        return f"attempt {self.number}: {outcome}"


class WaiverExpiryNotice(models.Model):
    """A waiver whose `waiver.expiring` event was announced, so the scheduled
    check announces it once."""

    # A foreign key with a unique constraint rather than a OneToOneField: a
    # reverse one-to-one would cost every audited Waiver save a query.
    waiver = models.ForeignKey(
        "governance.Waiver", on_delete=models.PROTECT, related_name="expiry_notices"
    )
    expires_at = models.DateTimeField()
    notified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["waiver"], name="one_expiry_notice")
        ]

    def __str__(self) -> str:
        return f"waiver {self.waiver_id} expiring {self.expires_at:%Y-%m-%d}"


auditlog.register(
    WebhookSubscription,
    exclude_fields=["secret", "updated_at", "consecutive_failures", "claimed_until"],
)
