"""Review assignments: governance admins ask reviewers to decide."""

from django.db import transaction

from governance.exceptions import NotInReviewError, ReviewerNotIndependentError
from governance.models import ReviewAssignment
from mlgov.actors import Actor
from mlgov.events import announce
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_assign_reviewers, can_review, is_author
from registry.models import ModelVersion


def _check_assignment(
    *, actor: Actor, version: ModelVersion, reviewer: Actor
) -> ModelVersion:
    """The version, locked; or the reason `actor` may not assign `reviewer`."""
    if not can_assign_reviewers(actor):
        raise PermissionDeniedError("Reviewers are assigned by governance admins.")
    if not reviewer.is_active or not can_review(reviewer):
        raise FieldError("reviewer", f"{reviewer} does not hold the reviewer role.")
    locked = (
        ModelVersion.objects.select_for_update()
        .select_related("model")
        .get(pk=version.pk)
    )
    if locked.status != ModelVersion.Status.IN_REVIEW:
        raise NotInReviewError(locked)
    if is_author(reviewer, locked):
        raise ReviewerNotIndependentError(locked, reviewer)
    return locked


@transaction.atomic
def assign_reviewer(
    *, actor: Actor, version: ModelVersion, reviewer: Actor
) -> ReviewAssignment:
    """Ask `reviewer` to decide on a version in review; assigning the same
    reviewer again returns the existing assignment. The one place an
    assignment is made."""
    locked = _check_assignment(actor=actor, version=version, reviewer=reviewer)
    assignment, created = ReviewAssignment.objects.get_or_create(
        version=locked, reviewer=reviewer, defaults={"assigned_by": actor}
    )
    if created:
        announce(
            "review.assigned",
            model=locked.model.name,
            version=locked.version,
            version_id=locked.pk,
            reviewer_id=reviewer.pk,
            actor_id=actor.pk,
        )
    return assignment
