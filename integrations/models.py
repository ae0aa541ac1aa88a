"""Webhook subscriptions, the outbox of events to deliver, each delivery and
each attempt; the notices already sent for expiring waivers; and e-mail
notifications: each user's preferences and the outbox of messages."""

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


class MlflowModelLink(models.Model):
    """Where an mlgov model came from: a registered model of an MLflow
    server, with its tags and aliases as last imported."""

    # Foreign keys with unique constraints, not OneToOneFields: auditlog reads
    # every reverse one-to-one when a model or version is saved.
    model = models.ForeignKey(
        "registry.MLModel", on_delete=models.PROTECT, related_name="mlflow_links"
    )
    tracking_uri = models.CharField(max_length=1000)
    mlflow_name = models.CharField(max_length=500)
    tags = models.JSONField(default=dict, blank=True)
    aliases = models.JSONField(default=dict, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["mlflow_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tracking_uri", "mlflow_name"], name="one_link_per_mlflow_model"
            ),
            models.UniqueConstraint(fields=["model"], name="one_mlflow_link_per_model"),
        ]

    def __str__(self) -> str:
        return f"{self.mlflow_name} @ {self.tracking_uri}"


class MlflowVersionLink(models.Model):
    """Which MLflow model version an mlgov version was imported from, with
    the MLflow-side facts that are not evidence (tags and aliases move)."""

    version = models.ForeignKey(
        "registry.ModelVersion", on_delete=models.PROTECT, related_name="mlflow_links"
    )
    model_link = models.ForeignKey(
        MlflowModelLink, on_delete=models.PROTECT, related_name="versions"
    )
    mlflow_version = models.PositiveIntegerField()
    source = models.CharField(max_length=1000, blank=True)
    run_id = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=dict, blank=True)
    aliases = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["model_link", "mlflow_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_link", "mlflow_version"],
                name="one_link_per_mlflow_version",
            ),
            models.UniqueConstraint(
                fields=["version"], name="one_mlflow_link_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"models:/{self.model_link.mlflow_name}/{self.mlflow_version}"


class MlflowSyncQuerySet(models.QuerySet["MlflowSync"]):
    def active(self) -> Self:
        return self.filter(is_active=True)


class MlflowSync(models.Model):
    """An MLflow tracking server kept in step with mlgov: its webhooks are
    received under this sync's name, its registered models (those matching
    `model_filter`) are imported into `team` as `account`, and `alias`
    names the version that serves in `environment`."""

    name = models.SlugField(max_length=100, unique=True)
    tracking_uri = models.CharField(max_length=1000)
    model_filter = models.CharField(
        max_length=500,
        default="*",
        help_text="Which MLflow models to follow: a shell pattern on the name.",
    )
    team = models.ForeignKey(
        "registry.Team", on_delete=models.PROTECT, related_name="mlflow_syncs"
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mlflow_syncs",
        help_text="The integration's user: every change the sync makes is its.",
    )
    alias = models.CharField(max_length=255, default="production")
    environment = models.ForeignKey(
        "registry.Environment", on_delete=models.PROTECT, related_name="mlflow_syncs"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MlflowSyncQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tracking_uri__startswith="https://")
                | models.Q(tracking_uri__startswith="http://"),
                name="mlflow_sync_uri_is_http",
            ),
            models.CheckConstraint(
                condition=~models.Q(alias=""), name="mlflow_sync_has_alias"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_variable(self) -> str:
        """The environment variable holding this sync's webhook secret."""
        return "MLFLOW_WEBHOOK_SECRET_" + self.name.upper().replace("-", "_")


class MlflowWebhookReceipt(models.Model):
    """One MLflow webhook delivery, applied once: its delivery id is unique
    per sync, so a replayed request is refused."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        IGNORED = "ignored", "Ignored (not followed)"

    sync = models.ForeignKey(
        MlflowSync, on_delete=models.PROTECT, related_name="receipts"
    )
    delivery_id = models.CharField(max_length=100)
    event = models.CharField(max_length=100)
    model_name = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    summary = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sync", "delivery_id"], name="one_receipt_per_mlflow_delivery"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["applied", "ignored"]),
                name="mlflow_receipt_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sync.name} {self.event} {self.delivery_id}"


class MlflowWriteBackQuerySet(models.QuerySet["MlflowWriteBack"]):
    def due(self, now=None) -> Self:
        """Pending write-backs of active syncs whose time has come."""
        return self.filter(
            status=MlflowWriteBack.Status.PENDING,
            next_attempt_at__lte=now or timezone.now(),
            sync__is_active=True,
        )


class MlflowWriteBack(models.Model):
    """One thing mlgov tells MLflow, written in the transaction of the
    decision and pushed by the worker, retried until done or given up: a
    verdict as version tags, or the sync's alias set to what serves now."""

    class Kind(models.TextChoices):
        VERDICT_TAGS = "verdict_tags", "Verdict tags"
        ALIAS = "alias", "Alias to the serving version"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed (gave up)"

    sync = models.ForeignKey(
        MlflowSync, on_delete=models.PROTECT, related_name="write_backs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    model = models.ForeignKey(
        "registry.MLModel", on_delete=models.PROTECT, related_name="+"
    )
    mlflow_name = models.CharField(max_length=500)
    # The version tagged; for an alias, the version it was pointed at when
    # pushed (none: the alias was removed, nothing from MLflow serves).
    mlflow_version = models.PositiveIntegerField(null=True, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = MlflowWriteBackQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["verdict_tags", "alias"]),
                name="mlflow_write_back_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "done", "failed"]),
                name="mlflow_write_back_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(done_at__isnull=False),
                name="mlflow_write_back_done_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="mlflow_write_back_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.mlflow_name} ({self.status})"


class UngovernedChangeQuerySet(models.QuerySet["UngovernedChange"]):
    def open(self) -> Self:
        return self.filter(resolved_at__isnull=True)


class UngovernedChange(models.Model):
    """MLflow's alias for an environment was moved outside the gate: it names
    a version other than the one mlgov serves there. Open until MLflow agrees
    with mlgov again."""

    model = models.ForeignKey(
        "registry.MLModel", on_delete=models.PROTECT, related_name="ungoverned_changes"
    )
    sync = models.ForeignKey(
        MlflowSync, on_delete=models.PROTECT, related_name="ungoverned_changes"
    )
    alias = models.CharField(max_length=255)
    # None: the alias was removed in MLflow.
    mlflow_version = models.PositiveIntegerField(null=True, blank=True)
    # None: nothing from MLflow serves all traffic there in mlgov.
    serving_mlflow_version = models.PositiveIntegerField(null=True, blank=True)
    delivery_id = models.CharField(max_length=100)
    detected_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = UngovernedChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "sync"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_ungoverned_change",
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} @{self.alias}: {self.described_move}"

    @property
    def described_move(self) -> str:
        """What MLflow says against what mlgov serves, in a few words."""
        moved = (
            f"points at MLflow version {self.mlflow_version}"
            if self.mlflow_version is not None
            else "was removed"
        )
        serving = (
            f"mlgov serves version {self.serving_mlflow_version}"
            if self.serving_mlflow_version is not None
            else "mlgov serves no MLflow version"
        )
        return f"{moved}; {serving}"


class NotificationKind(models.TextChoices):
    """What a user may be told by e-mail."""

    REVIEW_ASSIGNED = "review_assigned", "A review is assigned to me"
    REVIEW_WAITING = "review_waiting", "A review waits past half its deadline"
    VERSION_DECIDED = "version_decided", "A reviewer decided on my version"
    WAIVER_EXPIRING = "waiver_expiring", "A waiver expires within a week"
    CRITICAL_DRIFT = "critical_drift", "Critical drift on a version in production"
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


auditlog.register(MlflowModelLink, exclude_fields=["last_imported_at"])
auditlog.register(MlflowVersionLink)
auditlog.register(
    WebhookSubscription,
    exclude_fields=["secret", "updated_at", "consecutive_failures", "claimed_until"],
)
auditlog.register(NotificationPreference, exclude_fields=["updated_at"])
auditlog.register(MlflowSync)
auditlog.register(MlflowWebhookReceipt)
auditlog.register(UngovernedChange)
