"""Deployments: gate decisions (immutable evidence), the deployments they let
through, and every step of a rollout (append-only)."""

from typing import Self

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone

from deployments import constants

# Re-exported: deployments.models has always offered the state machine and the
# gate's check names; they are defined in deployments.constants.
from deployments.constants import CLIENT_ACTIONS as CLIENT_ACTIONS
from deployments.constants import DEPLOYMENT_TRANSITIONS as DEPLOYMENT_TRANSITIONS
from deployments.constants import GATE_CHECKS as GATE_CHECKS
from mlgov.sealed_records import SealedRecord
from registry.models import Environment, MLModel, ModelVersion


class Strategy(models.TextChoices):
    FULL = constants.STRATEGY_FULL, "Full"
    CANARY = constants.STRATEGY_CANARY, "Canary"


class Decision(models.TextChoices):
    APPROVED = constants.DECISION_APPROVED, "Approved"
    BLOCKED = constants.DECISION_BLOCKED, "Blocked"


class GateDecision(SealedRecord):
    """What the gate answered to one deployment request, and on what evidence.

    Never changed or deleted: the services only insert, and database triggers
    refuse UPDATE and DELETE; its audit entry seals every column
    (mlgov.sealed_records), so `verify_audit` names a row changed anyway."""

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
                condition=models.Q(decision__in=list(constants.DECISIONS)),
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
        BLOCKED = constants.STATUS_BLOCKED, "Blocked"
        APPROVED = constants.STATUS_APPROVED, "Approved"
        IN_PROGRESS = constants.STATUS_IN_PROGRESS, "In progress"
        ACTIVE = constants.STATUS_ACTIVE, "Active"
        FAILED = constants.STATUS_FAILED, "Failed"
        SUPERSEDED = constants.STATUS_SUPERSEDED, "Superseded"
        ROLLED_BACK = constants.STATUS_ROLLED_BACK, "Rolled back"

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
                condition=models.Q(
                    status=constants.STATUS_ACTIVE,
                    traffic_percent=constants.FULL_TRAFFIC,
                ),
                name="deployment_one_active_primary",
            ),
            models.UniqueConstraint(
                fields=["model", "environment"],
                condition=models.Q(
                    status=constants.STATUS_ACTIVE,
                    traffic_percent__lt=constants.FULL_TRAFFIC,
                ),
                name="deployment_one_active_canary",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=list(constants.DEPLOYMENT_STATUSES)),
                name="deployment_status_known",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        strategy=constants.STRATEGY_FULL,
                        traffic_percent=constants.FULL_TRAFFIC,
                    )
                    | models.Q(
                        strategy=constants.STRATEGY_CANARY,
                        traffic_percent__gte=1,
                        traffic_percent__lte=constants.FULL_TRAFFIC,
                    )
                ),
                name="deployment_traffic_fits_strategy",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(decision=constants.DECISION_APPROVED)
                    & ~models.Q(status=constants.STATUS_BLOCKED)
                )
                | models.Q(
                    decision=constants.DECISION_BLOCKED,
                    status=constants.STATUS_BLOCKED,
                ),
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
        return self.traffic_percent == constants.FULL_TRAFFIC


class DeploymentStep(SealedRecord):
    """One move of a deployment, as it happened; append-only and sealed like
    decisions."""

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
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(action="rollback") | ~models.Q(reason=""),
                name="deploymentstep_rollback_has_reason",
                violation_error_message="A rollback needs a reason.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.deployment}: {self.action}"


class MoveRefusal(SealedRecord):
    """A move the gate refused when it was asked for (the environment froze,
    the verdict changed, the approval expired): who asked, what for, and the
    failing check's sentence. Append-only like the steps."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.PROTECT, related_name="refusals"
    )
    action = models.CharField(max_length=12)
    status = models.CharField(
        max_length=12,
        choices=Deployment.Status.choices,
        help_text="The deployment's status, which the refusal left as it was.",
    )
    traffic_percent = models.PositiveSmallIntegerField(
        help_text="The share the move would have served."
    )
    failed_check = models.CharField(max_length=32, help_text="The check that failed.")
    detail = models.TextField(help_text="The failing check's sentence.")
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.deployment}: {self.action} refused ({self.failed_check})"


auditlog.register(GateDecision, exclude_fields=["evaluation"])
auditlog.register(Deployment, exclude_fields=["updated_at"])
auditlog.register(DeploymentStep)
auditlog.register(MoveRefusal)
