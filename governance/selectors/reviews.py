"""Reads for reviews: the reviewers' queue and workspace, a version's
decisions and their progress against the rules, and reviews past their
deadline."""

from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from governance.engine import (
    OverdueReview,
    ReviewClock,
    approvals_required,
    count_independent_approvals,
    review_clock,
)
from governance.models import Approval, Evaluation, ReviewAssignment, VersionComment
from mlgov.actors import Actor
from mlgov.exceptions import FieldError
from mlgov.roles import Role, groups_granting
from registry.constants import VERSION_IN_REVIEW
from registry.models import MLModel, ModelVersion


def _review_clocks(
    versions: QuerySet[ModelVersion], *, now: datetime
) -> Iterator[tuple[int, int, ReviewClock]]:
    """(model id, version number, review clock) of each of `versions` in
    review, oldest submission first, in one query (few are in review at any
    time)."""
    rows = (
        versions.filter(status=VERSION_IN_REVIEW, submitted_at__isnull=False)
        .order_by("submitted_at", "pk")
        .values_list("model_id", "version", "submitted_at", "model__risk_tier")
    )
    for model_id, number, submitted_at, risk_tier in rows:
        assert submitted_at is not None  # the filter leaves out unsubmitted ones
        yield (
            model_id,
            number,
            review_clock(submitted_at, risk_tier, settings.REVIEW_SLA_DAYS, now),
        )


def overdue_review_count(*, now: datetime) -> int:
    """Versions of inventory models whose review is past its deadline."""
    versions = ModelVersion.objects.filter(model__archived_at__isnull=True)
    return sum(clock.overdue for _, _, clock in _review_clocks(versions, now=now))


def overdue_reviews_by_model(
    models: QuerySet[MLModel], *, now: datetime
) -> dict[int, OverdueReview]:
    """Per model id of `models`, its version in review longest past its
    deadline (settings.REVIEW_SLA_DAYS); models with none are left out."""
    versions = ModelVersion.objects.filter(model__in=models.values("pk"))
    found: dict[int, OverdueReview] = {}
    seen: set[int] = set()
    for model_id, number, clock in _review_clocks(versions, now=now):
        # A model's versions share its tier: its oldest submission is due first.
        if model_id in seen:
            continue
        seen.add(model_id)
        if clock.overdue:
            found[model_id] = OverdueReview(number, clock.days_overdue)
    return found


def version_approvals(*, version: ModelVersion) -> QuerySet[Approval]:
    """A version's review decisions with the rows their list shows."""
    return Approval.objects.filter(version=version).select_related(
        "version__model", "reviewer"
    )


def review_progress(
    *, version: ModelVersion, evaluation: Evaluation | None
) -> dict[str, object]:
    """Independent approvals counted against the most any enforced, unwaived
    `min_approvals` rule of `evaluation` requires: "1 of 2 required approvals"."""
    approver_ids = frozenset(
        Approval.objects.filter(
            version=version, decision=Approval.Decision.APPROVE
        ).values_list("reviewer_id", flat=True)
    )
    approvals = count_independent_approvals(
        approver_ids, version.created_by_id, version.submitted_by_id
    )
    required = approvals_required(evaluation.verdict) if evaluation else 0
    return {
        "status": version.status,
        "approvals": approvals,
        "required_approvals": required,
        "summary": f"{approvals} of {required} required approvals",
    }


def versions_awaiting_review(*, reviewer: Actor) -> QuerySet[ModelVersion]:
    """Versions in review of inventory models that `reviewer` may still
    decide on: not created or submitted by them, not decided by them; with
    their assignments."""
    return (
        ModelVersion.objects.filter(
            status=ModelVersion.Status.IN_REVIEW, model__archived_at__isnull=True
        )
        .exclude(created_by=reviewer)
        .exclude(submitted_by=reviewer)
        .exclude(approvals__reviewer=reviewer)
        .select_related("model", "submitted_by")
        .prefetch_related(
            Prefetch(
                "review_assignments",
                queryset=ReviewAssignment.objects.select_related("reviewer"),
            )
        )
    )


def version_assignments(*, version: ModelVersion) -> QuerySet[ReviewAssignment]:
    """A version's assigned reviewers, first assigned first."""
    return (
        ReviewAssignment.objects.filter(version=version)
        .select_related("version__model", "reviewer", "assigned_by")
        .order_by("assigned_at", "id")
    )


def version_comments(*, version: ModelVersion) -> QuerySet[VersionComment]:
    """A version's comment thread, oldest first."""
    return (
        VersionComment.objects.filter(version=version)
        .select_related("version__model", "author")
        .order_by("created_at", "id")
    )


def reviewers() -> QuerySet:
    """Active users holding the reviewer role, directly, by inclusion (a
    governance admin) or as superusers."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(groups__name__in=groups_granting(Role.REVIEWER)) | Q(is_superuser=True)
        )
        .distinct()
    )


def assignable_reviewers(*, version: ModelVersion) -> QuerySet:
    """Reviewers independent of the version (neither its creator nor its
    submitter), by username."""
    authors = [pk for pk in (version.created_by_id, version.submitted_by_id) if pk]
    return reviewers().exclude(pk__in=authors).order_by("username")


def reviewer_by_username(*, username: str) -> Actor:
    """The active user named `username`, or a FieldError on `reviewer`."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise FieldError("reviewer", f"No active user named {username!r}.")
    return user
