"""Review assignments and the comment thread: who may assign and comment,
four eyes kept by the service and by the database, nothing half written,
and every change in the audit trail."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.db import IntegrityError, transaction

from governance.exceptions import NotInReviewError, ReviewerNotIndependentError
from governance.models import ReviewAssignment, VersionComment
from governance.services import add_comment, assign_reviewer
from mlgov.exceptions import FieldError, PermissionDeniedError
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(team, data_scientist):
    model = MLModelFactory(name="churn", team=team, risk_tier="high")
    return ModelVersionFactory(
        model=model, version=1, status="in_review", created_by=data_scientist
    )


# --- assignments ---------------------------------------------------------------


def test_a_governance_admin_assigns_a_reviewer(version, governance_admin, reviewer):
    assignment = assign_reviewer(
        actor=governance_admin, version=version, reviewer=reviewer
    )

    assert (assignment.version, assignment.reviewer) == (version, reviewer)
    assert assignment.assigned_by == governance_admin


def test_assigning_the_same_reviewer_again_changes_nothing(
    version, governance_admin, reviewer
):
    first = assign_reviewer(actor=governance_admin, version=version, reviewer=reviewer)
    again = assign_reviewer(actor=governance_admin, version=version, reviewer=reviewer)

    assert again.pk == first.pk
    assert ReviewAssignment.objects.count() == 1


@pytest.mark.parametrize("role_fixture", ["reviewer", "data_scientist", "viewer"])
def test_only_governance_admins_assign(version, second_reviewer, role_fixture, request):
    actor = request.getfixturevalue(role_fixture)

    with pytest.raises(PermissionDeniedError):
        assign_reviewer(actor=actor, version=version, reviewer=second_reviewer)

    assert not ReviewAssignment.objects.exists()


def test_the_assigned_user_must_hold_the_reviewer_role(
    version, governance_admin, viewer
):
    with pytest.raises(FieldError) as error:
        assign_reviewer(actor=governance_admin, version=version, reviewer=viewer)

    assert error.value.field == "reviewer"
    assert not ReviewAssignment.objects.exists()


def test_the_versions_creator_is_never_its_reviewer(
    team, data_scientist, governance_admin, reviewer
):
    version = ModelVersionFactory(
        model=MLModelFactory(team=team),
        status="in_review",
        created_by=reviewer,
        submitted_by=data_scientist,
    )

    with pytest.raises(ReviewerNotIndependentError):
        assign_reviewer(actor=governance_admin, version=version, reviewer=reviewer)

    assert not ReviewAssignment.objects.exists()


def test_the_versions_submitter_is_never_its_reviewer(
    version, governance_admin, reviewer
):
    version.submitted_by = reviewer
    version.save(update_fields=["submitted_by"])

    with pytest.raises(ReviewerNotIndependentError):
        assign_reviewer(actor=governance_admin, version=version, reviewer=reviewer)


def test_the_database_refuses_an_author_assigned_directly(version, governance_admin):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewAssignment.objects.create(
            version=version, reviewer=version.created_by, assigned_by=governance_admin
        )

    assert not ReviewAssignment.objects.exists()


def test_the_database_refuses_one_reviewer_assigned_twice(
    version, governance_admin, reviewer
):
    ReviewAssignment.objects.create(
        version=version, reviewer=reviewer, assigned_by=governance_admin
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewAssignment.objects.create(
            version=version, reviewer=reviewer, assigned_by=governance_admin
        )


@pytest.mark.parametrize("status", ["draft", "approved", "rejected"])
def test_only_a_version_in_review_gets_reviewers(
    team, data_scientist, governance_admin, reviewer, status
):
    version = ModelVersionFactory(
        model=MLModelFactory(team=team), status=status, created_by=data_scientist
    )

    with pytest.raises(NotInReviewError):
        assign_reviewer(actor=governance_admin, version=version, reviewer=reviewer)


def test_an_assignment_is_audited_and_attributed(version, governance_admin, reviewer):
    with set_actor(governance_admin):
        assignment = assign_reviewer(
            actor=governance_admin, version=version, reviewer=reviewer
        )

    entry = LogEntry.objects.get_for_object(assignment).get()
    assert entry.actor == governance_admin
    assert entry.changes_dict["reviewer"][1] == str(reviewer.pk)


# --- comments --------------------------------------------------------------------


@pytest.mark.parametrize(
    "author_fixture", ["reviewer", "governance_admin", "data_scientist"]
)
def test_reviewers_admins_and_the_models_team_comment(version, author_fixture, request):
    author = request.getfixturevalue(author_fixture)

    comment = add_comment(author=author, version=version, body="  Why 0.78?  ")

    assert comment.body == "Why 0.78?"
    assert list(VersionComment.objects.values_list("author", flat=True)) == [author.pk]


@pytest.mark.parametrize(
    "author_fixture", ["viewer", "executive", "auditor", "other_data_scientist"]
)
def test_readers_and_other_teams_do_not_comment(version, author_fixture, request):
    author = request.getfixturevalue(author_fixture)

    with pytest.raises(PermissionDeniedError):
        add_comment(author=author, version=version, body="Looks fine to me.")

    assert not VersionComment.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n\t "])
def test_an_empty_comment_is_refused(version, reviewer, body):
    with pytest.raises(FieldError) as error:
        add_comment(author=reviewer, version=version, body=body)

    assert error.value.field == "body"
    assert not VersionComment.objects.exists()


def test_the_database_refuses_an_empty_comment(version, reviewer):
    with pytest.raises(IntegrityError), transaction.atomic():
        VersionComment.objects.create(version=version, author=reviewer, body="")


def test_a_comment_too_long_is_refused(version, reviewer):
    with pytest.raises(FieldError):
        add_comment(author=reviewer, version=version, body="x" * 5001)

    assert not VersionComment.objects.exists()


def test_a_comment_is_audited_and_attributed(version, reviewer):
    with set_actor(reviewer):
        comment = add_comment(author=reviewer, version=version, body="Checked.")

    entry = LogEntry.objects.get_for_object(comment).get()
    assert entry.actor == reviewer
    assert entry.changes_dict["body"][1] == "Checked."
