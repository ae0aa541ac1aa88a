from datetime import datetime
from typing import Self

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone

from governance import constants
from governance.constants import WAIVER_ACTIVE, WAIVER_EXPIRED, WAIVER_REVOKED
from governance.engine import RULE_KINDS, Verdict
from registry.models import Environment, ModelVersion


class Policy(models.Model):
    """A named set of rules, with an enforcement level and a scope."""

    class Enforcement(models.TextChoices):
        ENFORCE = constants.ENFORCE, "Enforce"
        ADVISORY = constants.ADVISORY, "Advisory"
        DISABLED = constants.DISABLED, "Disabled"

    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    enforcement = models.CharField(
        max_length=10, choices=Enforcement.choices, default=Enforcement.ENFORCE
    )
    risk_tiers = models.JSONField(
        default=list, blank=True, help_text="Risk tiers in scope; empty means all."
    )
    environments = models.JSONField(
        default=list,
        blank=True,
        help_text="Environment names in scope; empty means every environment "
        "and the approval decision.",
    )
    tags = models.JSONField(
        default=list, blank=True, help_text="Model tags in scope; empty means all."
    )
    model_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text="Model kinds in scope (registry's MODEL_KINDS); empty means all.",
    )
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "policies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(enforcement__in=list(constants.ENFORCEMENTS)),
                name="policy_enforcement_known",
            ),
            models.CheckConstraint(
                condition=models.Q(revision__gte=1), name="policy_revision_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Rule(models.Model):
    """One check of a policy; its parameters follow its kind's schema."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(
        max_length=40, choices=[(kind, kind.replace("_", " ")) for kind in RULE_KINDS]
    )
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "position"], name="rule_unique_position"
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="rule_position_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=list(RULE_KINDS)), name="rule_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.name} #{self.position} ({self.kind})"


# The only revisions without an author: those recorded, by migration, for the
# policies that existed before revisions did.
BACKFILL_REASON = "Recorded when revisions were introduced"


class PolicyRevision(models.Model):
    """A policy as it stood after one change: the document the API answers,
    who made the change and why. One per revision number, never edited.

    Deleting a policy keeps its revisions (the document names it): the record
    of what was enforced, when and why outlives the policy."""

    policy = models.ForeignKey(
        Policy,
        on_delete=models.SET_NULL,
        related_name="revisions",
        null=True,
        blank=True,
    )
    revision = models.PositiveIntegerField()
    document = models.JSONField(
        help_text="The policy document (description, enforcement, scope, rules)."
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="policy_revisions",
        null=True,
        blank=True,
    )
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["policy", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "revision"], name="policyrevision_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(revision__gte=1),
                name="policyrevision_number_positive",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="policyrevision_has_reason"
            ),
            models.CheckConstraint(
                condition=models.Q(changed_by__isnull=False)
                | models.Q(reason=BACKFILL_REASON),
                name="policyrevision_attributed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document.get('name', 'policy')} revision {self.revision}"


class Approval(models.Model):
    """A reviewer's decision on a version: one per reviewer and version.

    A version's creator or submitter can never decide on it; the service
    refuses it and a database trigger refuses it again."""

    class Decision(models.TextChoices):
        APPROVE = constants.DECISION_APPROVE, "Approve"
        REJECT = constants.DECISION_REJECT, "Reject"

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="approvals"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["version", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "reviewer"], name="approval_one_per_reviewer"
            ),
            models.CheckConstraint(
                condition=models.Q(decision__in=list(constants.DECISIONS)),
                name="approval_decision_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.decision}s {self.version}"


class WaiverQuerySet(models.QuerySet["Waiver"]):
    def active(self, now: datetime | None = None) -> Self:
        now = now or timezone.now()
        return self.filter(expires_at__gt=now).exclude(revoked_at__lte=now)

    def in_state(self, state: str, now: datetime | None = None) -> Self:
        """Waivers in `state` (one of WAIVER_STATES) at `now`; the SQL twin of
        `Waiver.state`."""
        now = now or timezone.now()
        if state == WAIVER_ACTIVE:
            return self.active(now)
        if state == WAIVER_REVOKED:
            return self.filter(revoked_at__lte=now)
        if state == WAIVER_EXPIRED:
            return self.filter(expires_at__lte=now).exclude(revoked_at__lte=now)
        raise ValueError(f"Unknown waiver state {state!r}.")


class Waiver(models.Model):
    """A time-bound exception to one rule of one policy for one version."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="waivers"
    )
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="waivers")
    rule_position = models.PositiveSmallIntegerField()
    justification = models.TextField()
    ticket = models.CharField(
        max_length=200,
        blank=True,
        help_text="Optional reference to the change or risk ticket (key or URL).",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="waivers_granted",
    )
    granted_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="waivers_revoked",
        null=True,
        blank=True,
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)

    objects = WaiverQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")),
                name="waiver_expires_after_grant",
            ),
            models.CheckConstraint(
                condition=~models.Q(justification=""), name="waiver_is_justified"
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True)
                | models.Q(revoked_by__isnull=False),
                name="waiver_revocation_attributed",
            ),
        ]
        indexes = [models.Index(fields=["version", "expires_at"])]

    def __str__(self) -> str:
        return f"waiver of {self.policy.name} #{self.rule_position} for {self.version}"

    @property
    def state(self) -> str:
        now = timezone.now()
        if self.revoked_at is not None and self.revoked_at <= now:
            return WAIVER_REVOKED
        return WAIVER_EXPIRED if self.expires_at <= now else WAIVER_ACTIVE


class Evaluation(models.Model):
    """A recorded verdict, with the exact policy revisions and rule parameters
    it used, so a past decision reads back the same after policies change."""

    class Trigger(models.TextChoices):
        SUBMISSION = "submission", "Submission"
        REVIEW = "review", "Review decision"
        REQUEST = "request", "On request"
        GATE = "gate", "Deployment gate"

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="evaluations"
    )
    environment = models.ForeignKey(
        Environment,
        on_delete=models.PROTECT,
        related_name="evaluations",
        null=True,
        blank=True,
    )
    passed = models.BooleanField()
    results = models.JSONField(default=list)
    trigger = models.CharField(max_length=12, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evaluations",
        null=True,
        blank=True,
    )
    evaluated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-evaluated_at", "-id"]
        indexes = [models.Index(fields=["version", "environment", "-evaluated_at"])]

    def __str__(self) -> str:
        where = (
            self.environment.name
            if self.environment_id and self.environment
            else "approval"
        )
        outcome = "passed" if self.passed else "failed"
        return f"{self.version} {outcome} ({where}, {self.evaluated_at:%Y-%m-%d})"

    @property
    def verdict(self) -> Verdict:
        """The stored verdict as the engine gave it."""
        return Verdict.from_dict({"passed": self.passed, "results": self.results})


class ReviewAssignment(models.Model):
    """A governance admin's request that one reviewer decide on a version.

    The reviewer must be independent of the version (neither its creator nor
    its submitter); the service refuses it and a database trigger refuses it
    again, as for approvals."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="review_assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_assignments_made",
    )
    assigned_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["version", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "reviewer"], name="review_assignment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} reviews {self.version}"


class VersionComment(models.Model):
    """One message in a version's review thread."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="version_comments",
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["version", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(body=""), name="version_comment_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"comment by {self.author} on {self.version}"


auditlog.register(Policy, exclude_fields=["updated_at"])
auditlog.register(Rule)
auditlog.register(PolicyRevision)
auditlog.register(Approval)
auditlog.register(Waiver)
auditlog.register(ReviewAssignment)
auditlog.register(VersionComment)
