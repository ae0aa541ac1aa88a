"""Assigned reviewers and the comment thread through the API: the wiring
(who may write, the status codes, the service's effect), cursor pages and
their query counts."""

import pytest

from governance.models import ReviewAssignment, VersionComment
from tests.factories import MLModelFactory, ModelVersionFactory, UserFactory
from tests.registry.test_api import assert_error

pytestmark = pytest.mark.django_db

REVIEWERS = "/api/v1/models/churn/versions/1/reviewers/"
COMMENTS = "/api/v1/models/churn/versions/1/comments/"


@pytest.fixture
def in_review(team, data_scientist):
    model = MLModelFactory(name="churn", team=team, risk_tier="high")
    return ModelVersionFactory(
        model=model, version=1, status="in_review", created_by=data_scientist
    )


# --- reviewers ---------------------------------------------------------------------


def test_a_governance_admin_assigns_a_reviewer(
    api_client_for, governance_admin, reviewer, in_review
):
    response = api_client_for(governance_admin).post(
        REVIEWERS, {"reviewer": "reviewer"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("model", "version", "reviewer", "assigned_by")} == {
        "model": "churn",
        "version": 1,
        "reviewer": "reviewer",
        "assigned_by": "gov-admin",
    }
    assert ReviewAssignment.objects.get().reviewer == reviewer


def test_assigning_again_answers_200_with_the_same_assignment(
    api_client_for, governance_admin, reviewer, in_review
):
    client = api_client_for(governance_admin)
    first = client.post(REVIEWERS, {"reviewer": "reviewer"}, format="json")

    again = client.post(REVIEWERS, {"reviewer": "reviewer"}, format="json")

    assert again.status_code == 200
    assert again.json()["assigned_at"] == first.json()["assigned_at"]
    assert ReviewAssignment.objects.count() == 1


def test_the_author_is_refused_as_reviewer_with_409(
    api_client_for, governance_admin, data_scientist, in_review
):
    response = api_client_for(governance_admin).post(
        REVIEWERS, {"reviewer": "scientist"}, format="json"
    )

    # The author is a data scientist: no reviewer role, named on the field.
    assert_error(response, 400, "invalid")
    assert "reviewer" in response.json()["error"]["details"]
    in_review.created_by = UserFactory(username="rev-author", roles=["reviewer"])
    in_review.submitted_by = in_review.created_by
    in_review.save()

    response = api_client_for(governance_admin).post(
        REVIEWERS, {"reviewer": "rev-author"}, format="json"
    )

    assert_error(response, 409, "reviewer_not_independent")
    assert not ReviewAssignment.objects.exists()


def test_an_unknown_reviewer_is_named_on_the_field(
    api_client_for, governance_admin, in_review
):
    response = api_client_for(governance_admin).post(
        REVIEWERS, {"reviewer": "ghost"}, format="json"
    )

    assert_error(response, 400, "invalid")
    assert response.json()["error"]["details"]["reviewer"] == [
        "No active user named 'ghost'."
    ]


def test_a_reviewer_may_not_assign(api_client_for, reviewer, in_review):
    response = api_client_for(reviewer).post(
        REVIEWERS, {"reviewer": "reviewer"}, format="json"
    )

    assert_error(response, 403)
    assert not ReviewAssignment.objects.exists()


def test_everyone_reads_the_assigned_reviewers(
    api_client_for, viewer, governance_admin, reviewer, second_reviewer, in_review
):
    for user in (reviewer, second_reviewer):
        ReviewAssignment.objects.create(
            version=in_review, reviewer=user, assigned_by=governance_admin
        )

    response = api_client_for(viewer).get(REVIEWERS)

    assert response.status_code == 200
    assert [row["reviewer"] for row in response.json()["results"]] == [
        "reviewer",
        "reviewer2",
    ]


# --- comments ---------------------------------------------------------------------


def test_the_models_team_comments(api_client_for, data_scientist, in_review):
    response = api_client_for(data_scientist).post(
        COMMENTS, {"body": "The holdout changed."}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["author"] == "scientist"
    assert response.json()["body"] == "The holdout changed."
    assert VersionComment.objects.get().author == data_scientist


def test_a_blank_comment_is_refused_by_field(api_client_for, reviewer, in_review):
    response = api_client_for(reviewer).post(COMMENTS, {"body": "  "}, format="json")

    assert_error(response, 400)
    assert "body" in response.json()["error"]["details"]
    assert not VersionComment.objects.exists()


def test_another_teams_scientist_may_not_comment(
    api_client_for, other_data_scientist, in_review
):
    response = api_client_for(other_data_scientist).post(
        COMMENTS, {"body": "Looks fine."}, format="json"
    )

    assert_error(response, 403, "permission_denied")
    assert not VersionComment.objects.exists()


def test_an_unknown_field_is_refused(api_client_for, reviewer, in_review):
    response = api_client_for(reviewer).post(
        COMMENTS, {"body": "Fine.", "author": "someone"}, format="json"
    )

    assert_error(response, 400)
    assert not VersionComment.objects.exists()


def test_the_comments_are_cursor_paged_oldest_first_in_constant_queries(
    api_client_for, viewer, reviewer, in_review, django_assert_num_queries
):
    client = api_client_for(viewer)
    client.get(COMMENTS)
    for index in range(5):
        VersionComment.objects.create(
            version=in_review, author=reviewer, body=f"Note {index}."
        )

    with django_assert_num_queries(COMMENT_LIST):
        first = client.get(COMMENTS, {"page_size": 3})
    second = client.get(first.json()["next"])

    assert [row["body"] for row in first.json()["results"]] == [
        "Note 0.",
        "Note 1.",
        "Note 2.",
    ]
    assert [row["body"] for row in second.json()["results"]] == ["Note 3.", "Note 4."]


def test_the_reviewer_list_queries_are_constant(
    api_client_for, viewer, governance_admin, in_review, django_assert_num_queries
):
    client = api_client_for(viewer)
    client.get(REVIEWERS)
    for index in range(4):
        ReviewAssignment.objects.create(
            version=in_review,
            reviewer=UserFactory(username=f"r{index}", roles=["reviewer"]),
            assigned_by=governance_admin,
        )

    with django_assert_num_queries(REVIEWER_LIST):
        response = client.get(REVIEWERS)
    assert len(response.json()["results"]) == 4


# The token's owner and roles are cached after the first call: the version,
# then the page with its rows' users.
COMMENT_LIST = 2
REVIEWER_LIST = 2
