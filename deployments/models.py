"""Deployments: gate decisions (immutable evidence), the deployments they let
through, and every step of a rollout (append-only)."""

from typing import Self

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone

from registry.models import Environment, MLModel, ModelVersion

GATE_CHECKS = (
    "version_status",
    "promotion_path",
    "freeze",
    "governance",
    "no_concurrent_rollout",
)


class Strategy(models.TextChoices):
    FULL = "full", "Full"
    CANARY = "canary", "Canary"


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    BLOCKED = "blocked", "Blocked"


class GateDecision(models.Model):
    """What the gate answered to one deployment request, and on what evidence.

    Never changed or deleted: the services only insert, and database triggers
    refuse UPDATE and DELETE."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="gate_decisions"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="gate_decisions"
    )
    strategy = models.CharField(max_length=10, choices=Strategy.choices)
    traffic_percent = models.PositiveSmallIntegerField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    checks = models.JSONField(help_text="Every check: {check, passed, detail}.")
    warnings = models.JSONField(default=list)
    evaluation = models.JSONField(
        help_text="The governance verdict used: policies, revisions, rule parameters."
    )
    approval_ids = models.JSONField(default=list)
    waiver_ids = models.JSONField(default=list)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["requested_at", "decision"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__in=["approved", "blocked"]),
                name="gatedecision_decision_known",
            ),
        ]

    def __str__(self) -> str:
        return f"gate decision {self.pk}: {self.decision}"

    @property
    def blocking_checks(self) -> list[dict]:
        """The checks that failed, in gate order."""
        return [check for check in self.checks if not check["passed"]]


class DeploymentQuerySet(models.QuerySet["Deployment"]):
    def active(self) -> Self:
        return self.filter(status=Deployment.Status.ACTIVE)

    def in_progress(self) -> Self:
        return self.filter(status=Deployment.Status.IN_PROGRESS)


class Deployment(models.Model):
    """One requested rollout of a version to an environment, through its life."""

    class Status(models.TextChoices):
        BLOCKED = "blocked", "Blocked"
        APPROVED = "approved", "Approved"
        IN_PROGRESS = "in_progress", "In progress"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded"
        ROLLED_BACK = "rolled_back", "Rolled back"

    gate_decision = models.OneToOneField(
        GateDecision, on_delete=models.PROTECT, related_name="deployment"
    )
    # The model is the version's, kept here so that the database can hold
    # "one active primary and one active canary per (model, environment)".
    model = models.ForeignKey(
        MLModel, on_delete=models.PROTECT, related_name="deployments"
    )
    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="deployments"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="deployments"
    )
    strategy = models.CharField(max_length=10, choices=Strategy.choices)
    traffic_percent = models.PositiveSmallIntegerField(
        help_text="Share of traffic served; 100 is the primary."
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    status = models.CharField(max_length=12, choices=Status.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(
        null=True, blank=True, help_text="When it first served traffic."
    )
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When it last stopped serving."
    )
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text="The primary this one replaced; rollback returns to it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "environment"],
                condition=models.Q(status="active", traffic_percent=100),
                name="deployment_one_active_primary",
            ),
            models.UniqueConstraint(
                fields=["model", "environment"],
                condition=models.Q(status="active", traffic_percent__lt=100),
                name="deployment_one_active_canary",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "blocked",
                        "approved",
                        "in_progress",
                        "active",
                        "failed",
                        "superseded",
                        "rolled_back",
                    ]
                ),
                name="deployment_status_known",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(strategy="full", traffic_percent=100)
                    | models.Q(
                        strategy="canary",
                        traffic_percent__gte=1,
                        traffic_percent__lte=100,
                    )
                ),
                name="deployment_traffic_fits_strategy",
            ),
            models.CheckConstraint(
                condition=(models.Q(decision="approved") & ~models.Q(status="blocked"))
                | models.Q(decision="blocked", status="blocked"),
                name="deployment_status_follows_decision",
            ),
        ]
        indexes = [
            models.Index(fields=["environment", "status"]),
            models.Index(fields=["model", "environment", "status"]),
            models.Index(fields=["version", "environment", "status"]),
        ]

    def __str__(self) -> str:
        return f"deployment {self.pk}"

    @property
    def is_primary(self) -> bool:
        return self.traffic_percent == 100


# Allowed moves: status → {action: new status}. deployments.services.
# move_deployment applies them under a row lock. `supersede` and `restore`
# happen to a primary when another deployment completes or is rolled back.
DEPLOYMENT_TRANSITIONS: dict[str, dict[str, str]] = {
    Deployment.Status.BLOCKED: {},
    Deployment.Status.APPROVED: {"start": Deployment.Status.IN_PROGRESS},
    Deployment.Status.IN_PROGRESS: {
        "complete": Deployment.Status.ACTIVE,
        "fail": Deployment.Status.FAILED,
    },
    Deployment.Status.ACTIVE: {
        "promote": Deployment.Status.ACTIVE,
        "rollback": Deployment.Status.ROLLED_BACK,
        "supersede": Deployment.Status.SUPERSEDED,
    },
    Deployment.Status.SUPERSEDED: {"restore": Deployment.Status.ACTIVE},
    Deployment.Status.FAILED: {},
    Deployment.Status.ROLLED_BACK: {},
}
# The moves a client asks for by name (the rest follow from them).
CLIENT_ACTIONS = ("start", "complete", "fail", "promote", "rollback")


class DeploymentStep(models.Model):
    """One move of a deployment, as it happened; append-only like decisions."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.PROTECT, related_name="steps"
    )
    action = models.CharField(max_length=12)
    from_status = models.CharField(max_length=12, choices=Deployment.Status.choices)
    to_status = models.CharField(max_length=12, choices=Deployment.Status.choices)
    traffic_percent = models.PositiveSmallIntegerField()
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.deployment}: {self.action}"


auditlog.register(GateDecision, exclude_fields=["evaluation"])
auditlog.register(Deployment, exclude_fields=["updated_at"])
auditlog.register(DeploymentStep)
