"""Submission and review: approvals under separation of duties."""

from django.db import transaction

from governance.exceptions import (
    AlreadyDecidedError,
    NotInReviewError,
    SelfApprovalError,
)
from governance.models import Approval, Evaluation
from governance.services.evaluations import record_evaluation
from mlgov.actors import Actor
from mlgov.events import announce
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import has_role, is_author
from mlgov.roles import Role
from registry import services as registry_services
from registry.models import ModelVersion


@transaction.atomic
def submit_for_review(*, actor: Actor, version: ModelVersion) -> ModelVersion:
    """Send a draft to review and record its evaluation at submission."""
    version = registry_services.submit_version(actor=actor, version=version)
    record_evaluation(
        version=version,
        environment=None,
        trigger=Evaluation.Trigger.SUBMISSION,
        actor=actor,
    )
    return version


def _decide(
    *, version: ModelVersion, reviewer: Actor, decision: str, comment: str
) -> Approval:
    # The row lock serialises reviewers deciding at the same moment, so the
    # second one settles the status seeing the first one's approval.
    locked = (
        ModelVersion.objects.select_for_update()
        .select_related("model")
        .get(pk=version.pk)
    )
    if not has_role(reviewer, Role.REVIEWER):
        raise PermissionDeniedError("Deciding on a version needs the reviewer role.")
    if is_author(reviewer, locked):
        raise SelfApprovalError(locked)
    if locked.status != ModelVersion.Status.IN_REVIEW:
        raise NotInReviewError(locked)
    earlier = Approval.objects.filter(version=locked, reviewer=reviewer).first()
    if earlier is not None:
        raise AlreadyDecidedError(locked, earlier.decision)
    approval = Approval.objects.create(
        version=locked, reviewer=reviewer, decision=decision, comment=comment
    )
    settled = settle_review(version=locked, actor=reviewer)
    announce(
        "approval.recorded",
        model=locked.model.name,
        version=locked.version,
        decision=decision,
        reviewer_id=reviewer.pk,
        status=settled.status,
    )
    return approval


@transaction.atomic
def approve_version(
    *, version: ModelVersion, reviewer: Actor, comment: str = ""
) -> Approval:
    """Record a reviewer's approval, then settle the version's status."""
    return _decide(
        version=version,
        reviewer=reviewer,
        decision=Approval.Decision.APPROVE,
        comment=comment,
    )


@transaction.atomic
def reject_version(
    *, version: ModelVersion, reviewer: Actor, comment: str = ""
) -> Approval:
    """Record a reviewer's rejection, which must say why; the version becomes
    rejected."""
    if not comment.strip():
        raise FieldError("comment", "Say why the version is rejected.")
    return _decide(
        version=version,
        reviewer=reviewer,
        decision=Approval.Decision.REJECT,
        comment=comment,
    )


def settle_review(*, version: ModelVersion, actor: Actor) -> ModelVersion:
    """After a decision: a rejection rejects; otherwise the version is approved
    once the environment-independent enforced policies pass."""
    if Approval.objects.filter(
        version=version, decision=Approval.Decision.REJECT
    ).exists():
        return registry_services.move_version(
            version=version, to=ModelVersion.Status.REJECTED
        )
    evaluation = record_evaluation(
        version=version,
        environment=None,
        trigger=Evaluation.Trigger.REVIEW,
        actor=actor,
    )
    if evaluation.passed:
        return registry_services.move_version(
            version=version, to=ModelVersion.Status.APPROVED
        )
    return version
