"""What mlgov knows of MLflow: where imported models and versions came
from, the syncs that keep them current (their webhook receipts and the
write-backs to MLflow), and aliases moved outside the gate."""

from typing import Self

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone


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


auditlog.register(MlflowModelLink, exclude_fields=["last_imported_at"])
auditlog.register(MlflowVersionLink)
auditlog.register(MlflowSync)
auditlog.register(MlflowWebhookReceipt)
auditlog.register(UngovernedChange)
