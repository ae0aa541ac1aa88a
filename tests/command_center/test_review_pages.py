"""The reviewers' workspace: the queue per user, the review page with the
reasons, and its actions (approve, reject with a reason, comment, assign,
waive a failing rule by choosing it), each refused where the role or the
four-eyes rule says so, and their query counts."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from governance.models import Approval, ReviewAssignment, VersionComment, Waiver
from registry.models import ModelVersion
from tests.factories import (
    DriftAlertFactory,
    MLModelFactory,
    ModelVersionFactory,
    UserFactory,
)
from tests.governance.conftest import approvals, auc_floor

pytestmark = pytest.mark.django_db

CHURN_V2 = "/reviews/churn/v2/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def in_review(model, number, *, author, days_ago, auc=0.9, **fields):
    return ModelVersionFactory(
        model=model,
        version=number,
        status="in_review",
        created_by=author,
        submitted_by=author,
        submitted_at=timezone.now() - timedelta(days=days_ago),
        metrics={"auc": auc, "f1": 0.6},
        **fields,
    )


@pytest.fixture
def workspace(team, data_scientist, reviewer, second_reviewer, make_policy):
    """churn v2 (high, 5-day SLA) waits 6 days: overdue; its auc 0.78 fails
    the floor. pricing v1 (critical, 3 days) waits 1 day. scoring v1 was
    created by `reviewer`; ledger v1 was already approved by `reviewer`."""
    make_policy("floor", [auc_floor(0.8)])
    make_policy("review", [approvals(2)])
    churn = MLModelFactory(name="churn", team=team, risk_tier="high")
    ModelVersionFactory(
        model=churn, version=1, status="approved", metrics={"auc": 0.85, "f1": 0.6}
    )
    in_review(
        churn,
        2,
        author=data_scientist,
        days_ago=6,
        auc=0.78,
        training_data_ref="s3://data/churn/2026-11",
    )
    pricing = MLModelFactory(name="pricing", team=team, risk_tier="critical")
    in_review(pricing, 1, author=data_scientist, days_ago=1)
    scoring = MLModelFactory(name="scoring", team=team, risk_tier="low")
    in_review(scoring, 1, author=reviewer, days_ago=1)
    ledger = MLModelFactory(name="ledger", team=team, risk_tier="medium")
    decided = in_review(ledger, 1, author=data_scientist, days_ago=2)
    Approval.objects.create(version=decided, reviewer=reviewer, decision="approve")


def churn_v2() -> ModelVersion:
    return ModelVersion.objects.get(model__name="churn", version=2)


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the queue -------------------------------------------------------------------


def test_the_queue_lists_what_the_reviewer_may_decide_soonest_due_first(
    workspace, reviewer
):
    response = client_for(reviewer).get("/reviews/")

    assert response.status_code == 200
    rows = response.context["page"].object_list
    assert [(row.model, row.number) for row in rows] == [("churn", 2), ("pricing", 1)]
    assert [row.clock.overdue for row in rows] == [True, False]
    html = response.content.decode()
    assert 'data-number="queue_overdue">1<' in html
    assert '<span class="pill bad">overdue</span>' in html
    assert 'href="/reviews/churn/v2/"' in html


def test_another_reviewer_sees_the_versions_the_first_created_or_decided(
    workspace, second_reviewer
):
    rows = client_for(second_reviewer).get("/reviews/").context["page"].object_list

    assert [(row.model, row.number) for row in rows] == [
        ("churn", 2),
        ("pricing", 1),
        ("ledger", 1),
        ("scoring", 1),
    ]


def test_versions_of_archived_models_leave_the_queue_and_the_count(workspace, reviewer):
    churn = churn_v2().model
    churn.archived_at = timezone.now()
    churn.save(update_fields=["archived_at"])
    client = client_for(reviewer)

    rows = client.get("/reviews/").context["page"].object_list

    assert [(row.model, row.number) for row in rows] == [("pricing", 1)]
    assert 'data-number="reviews_past_due">0<' in client.get("/").content.decode()


def test_assigned_to_me_shows_only_my_assignments(
    workspace, reviewer, second_reviewer, governance_admin
):
    ReviewAssignment.objects.create(
        version=churn_v2(), reviewer=reviewer, assigned_by=governance_admin
    )
    client = client_for(reviewer)

    mine = client.get("/reviews/?assigned=me").context["page"].object_list
    everything = client.get("/reviews/").context["page"].object_list

    assert [(row.model, row.assigned) for row in mine] == [("churn", ("reviewer",))]
    assert len(everything) == 2
    assert (
        client_for(second_reviewer).get("/reviews/?assigned=me").context["total"] == 0
    )


def test_an_unknown_queue_filter_is_refused_by_name(workspace, reviewer):
    response = client_for(reviewer).get("/reviews/?assigned=everyone")

    assert response.status_code == 400
    assert "assigned" in response.context["filter_errors"]


@pytest.mark.parametrize("role_fixture", ["viewer", "data_scientist", "executive"])
def test_the_queue_is_for_reviewers_and_governance_admins(
    workspace, role_fixture, request
):
    user = request.getfixturevalue(role_fixture)
    response = client_for(user).get("/reviews/")

    assert response.status_code == 403
    assert b">Reviews</a>" not in client_for(user).get("/").content


def test_the_navigation_links_the_queue_for_reviewers(workspace, reviewer):
    html = client_for(reviewer).get("/").content.decode()

    assert '<a href="/reviews/">Reviews</a>' in html


def test_anonymous_visitors_are_sent_to_sign_in(workspace):
    response = Client().get("/reviews/")

    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


# --- the review page ----------------------------------------------------------


def test_the_review_page_shows_the_failing_rule_and_the_evidence(workspace, reviewer):
    response = client_for(reviewer).get(CHURN_V2)

    assert response.status_code == 200
    html = response.content.decode()
    assert "auc 0.78 is below the minimum 0.80" in html
    page = response.context["page"]
    auc = next(line for line in page.metrics if line.name == "auc")
    assert (auc.value, auc.previous) == (0.78, 0.85)
    assert auc.delta == pytest.approx(-0.07)
    assert '<td class="num delta">-0.07</td>' in html
    assert "s3://data/churn/2026-11" in html
    assert page.clock is not None and page.clock.overdue
    assert page.permissions.can_decide
    assert not page.permissions.can_assign


def test_a_reader_opens_the_review_page_without_the_forms(workspace, viewer):
    response = client_for(viewer).get(CHURN_V2)

    assert response.status_code == 200
    html = response.content.decode()
    assert "auc 0.78 is below the minimum 0.80" in html
    for form in ("approve-form", "reject-form", "comment-form", "assign-form"):
        assert f'id="{form}"' not in html
    assert 'id="waiver-form"' not in html


def test_an_unknown_version_is_404(workspace, reviewer):
    assert client_for(reviewer).get("/reviews/churn/v9/").status_code == 404


# --- approve and reject ------------------------------------------------------------


def test_approve_records_the_decision_and_shows_it(workspace, reviewer):
    client = client_for(reviewer)

    response = client.post(f"{CHURN_V2}approve/", {"comment": "Drop explained."})

    assert response.status_code == 302
    assert response["Location"] == CHURN_V2
    approval = Approval.objects.get(version=churn_v2())
    assert (approval.reviewer, approval.decision) == (reviewer, "approve")
    assert approval.comment == "Drop explained."
    page = client.get(CHURN_V2)
    # Two approvals are required and the AUC fails the floor: still in review.
    assert "You approved churn v2. It is now in review." in page.content.decode()
    assert "✓ approved</span> by <strong>reviewer</strong>" in page.content.decode()
    assert not page.context["page"].permissions.can_decide


def test_reject_without_a_reason_is_refused_on_the_field(workspace, reviewer):
    response = client_for(reviewer).post(f"{CHURN_V2}reject/", {"comment": "  "})

    assert response.status_code == 400
    assert response.context["reject_form"].errors == {
        "comment": ["Say why the version is rejected."]
    }
    assert "Say why the version is rejected." in response.content.decode()
    assert not Approval.objects.filter(version=churn_v2()).exists()
    assert churn_v2().status == "in_review"


def test_reject_with_a_reason_rejects_the_version(workspace, reviewer):
    response = client_for(reviewer).post(
        f"{CHURN_V2}reject/", {"comment": "AUC fell below the floor."}
    )

    assert response.status_code == 302
    assert churn_v2().status == "rejected"
    assert Approval.objects.get(version=churn_v2()).comment == (
        "AUC fell below the floor."
    )


def test_the_author_cannot_approve_from_the_page(workspace, reviewer):
    response = client_for(reviewer).post("/reviews/scoring/v1/approve/", {})

    assert response.status_code == 302
    assert any("independent reviewer" in text for text in message_texts(response))
    assert not Approval.objects.filter(version__model__name="scoring").exists()


def test_a_viewer_cannot_approve(workspace, viewer):
    response = client_for(viewer).post(f"{CHURN_V2}approve/", {})

    assert response.status_code == 302
    assert any("reviewer role" in text for text in message_texts(response))
    assert not Approval.objects.filter(version=churn_v2()).exists()


def test_actions_take_no_get(workspace, reviewer):
    assert client_for(reviewer).get(f"{CHURN_V2}approve/").status_code == 405


# --- comments ----------------------------------------------------------------------


def test_a_comment_is_added_and_shown_to_readers(workspace, data_scientist, viewer):
    response = client_for(data_scientist).post(
        f"{CHURN_V2}comment/", {"body": "The drop is the new holdout."}
    )

    assert response.status_code == 302
    comment = VersionComment.objects.get()
    assert comment.author == data_scientist
    html = client_for(viewer).get(CHURN_V2).content.decode()
    assert "The drop is the new holdout." in html
    assert "<strong>scientist</strong>" in html


def test_an_empty_comment_is_refused_on_the_field(workspace, reviewer):
    response = client_for(reviewer).post(f"{CHURN_V2}comment/", {"body": ""})

    assert response.status_code == 400
    assert response.context["comment_form"].errors == {"body": ["Write the comment."]}
    assert not VersionComment.objects.exists()


def test_a_viewer_cannot_comment(workspace, viewer):
    response = client_for(viewer).post(f"{CHURN_V2}comment/", {"body": "Hi"})

    assert response.status_code == 302
    assert any("Comments are written by" in text for text in message_texts(response))
    assert not VersionComment.objects.exists()


# --- assignment ---------------------------------------------------------------------


def test_a_governance_admin_assigns_a_reviewer_from_the_page(
    workspace, governance_admin, second_reviewer, reviewer
):
    client = client_for(governance_admin)
    page = client.get(CHURN_V2).context["page"]
    assert "reviewer2" in page.assignable
    assert "scientist" not in page.assignable

    response = client.post(f"{CHURN_V2}assign/", {"reviewer": "reviewer2"})

    assert response.status_code == 302
    assert ReviewAssignment.objects.get().reviewer == second_reviewer
    html = client.get(CHURN_V2).content.decode()
    assert "reviewer2 is asked to review churn v2." in html
    assert (
        client_for(second_reviewer).get("/reviews/?assigned=me").context["total"] == 1
    )


def test_the_author_is_not_offered_and_not_accepted_as_reviewer(
    workspace, governance_admin
):
    response = client_for(governance_admin).post(
        "/reviews/scoring/v1/assign/", {"reviewer": "reviewer"}
    )

    assert response.status_code == 400
    assert (
        "not an independent reviewer"
        in (response.context["assign_form"].errors["reviewer"][0])
    )
    assert not ReviewAssignment.objects.exists()


def test_a_reviewer_cannot_assign(workspace, reviewer):
    response = client_for(reviewer).post(
        f"{CHURN_V2}assign/", {"reviewer": "reviewer2"}
    )

    assert response.status_code == 302
    assert any("governance admins" in text for text in message_texts(response))
    assert not ReviewAssignment.objects.exists()


# --- waivers ----------------------------------------------------------------------


def waiver_post(**fields):
    expires = timezone.now() + timedelta(days=30)
    return {
        "rule": "floor#1",
        "justification": "The holdout changed; AUC is not comparable.",
        "expires_at": expires.strftime("%Y-%m-%dT%H:%M"),
        "ticket": "RISK-42",
        **fields,
    }


def test_the_waiver_form_names_each_failing_rule_with_its_reason(
    workspace, governance_admin
):
    html = client_for(governance_admin).get(CHURN_V2).content.decode()

    assert (
        '<option value="floor#1">floor · Metric threshold: '
        "auc 0.78 is below the minimum 0.80</option>"
    ) in html
    assert '<option value="review#1">review · Min approvals: ' in html


def test_a_governance_admin_waives_the_chosen_failing_rule(workspace, governance_admin):
    client = client_for(governance_admin)

    response = client.post(f"{CHURN_V2}waive/", waiver_post())

    assert response.status_code == 302
    waiver = Waiver.objects.get()
    assert (waiver.policy.name, waiver.rule_position) == ("floor", 1)
    assert (waiver.granted_by, waiver.ticket) == (governance_admin, "RISK-42")
    page = client.get(CHURN_V2)
    html = page.content.decode()
    assert '<span class="pill waived">waived</span>' in html
    assert "<strong>floor</strong> · Metric threshold <span" in html
    assert "floor#1" not in [rule.key for rule in page.context["page"].failing_rules]


def test_a_short_justification_is_refused_on_the_field(workspace, governance_admin):
    response = client_for(governance_admin).post(
        f"{CHURN_V2}waive/", waiver_post(justification="Fine.")
    )

    assert response.status_code == 400
    errors = response.context["waiver_form"].errors
    assert "at least 20 characters" in errors["justification"][0]
    assert not Waiver.objects.exists()


def test_a_rule_that_does_not_fail_cannot_be_chosen(workspace, governance_admin):
    response = client_for(governance_admin).post(
        f"{CHURN_V2}waive/", waiver_post(rule="floor#7")
    )

    assert response.status_code == 400
    assert "no longer fails" in response.context["waiver_form"].errors["rule"][0]
    assert not Waiver.objects.exists()


def test_a_reviewer_cannot_waive(workspace, reviewer):
    response = client_for(reviewer).post(f"{CHURN_V2}waive/", waiver_post())

    assert response.status_code == 302
    assert any("governance admins" in text for text in message_texts(response))
    assert not Waiver.objects.exists()


# --- the overview -------------------------------------------------------------------


def test_the_overview_counts_reviews_past_due_and_links_the_queue(workspace, reviewer):
    html = client_for(reviewer).get("/").content.decode()

    assert '<a href="/reviews/" data-number="reviews_past_due">1</a>' in html


def test_readers_see_the_past_due_figure_without_a_link(workspace, executive):
    html = client_for(executive).get("/").content.decode()

    assert '<span data-number="reviews_past_due">1</span>' in html


# --- query counts ---------------------------------------------------------------

# Session, user, roles, then the versions with their models and submitters,
# and the assignments with their reviewers.
REVIEW_QUEUE = 5
# Session, user, roles; the version, the previous one; the evaluation's eight
# (facts, open drift, latest monitoring reports, tags, approvals, policies,
# waivers in force, environments); then one each for approvals, assignments,
# drift reports, open alerts, comments, waivers and the reviewers one may
# assign.
REVIEW_PAGE = 20


def grow(data_scientist, governance_admin, reviewer, count):
    for index in range(count):
        model = MLModelFactory(name=f"extra-{index}", risk_tier="medium")
        version = in_review(model, 1, author=data_scientist, days_ago=index)
        ReviewAssignment.objects.create(
            version=version, reviewer=reviewer, assigned_by=governance_admin
        )
        UserFactory(username=f"commenter-{index}")


def test_the_queue_queries_do_not_grow_with_the_queue(
    workspace, reviewer, data_scientist, governance_admin, django_assert_num_queries
):
    client = client_for(reviewer)
    with django_assert_num_queries(REVIEW_QUEUE):
        client.get("/reviews/")
    grow(data_scientist, governance_admin, reviewer, 5)

    with django_assert_num_queries(REVIEW_QUEUE):
        response = client.get("/reviews/")
    assert response.context["total"] == 7


def add_evidence(version, data_scientist, governance_admin, reviewer, count):
    for index in range(count):
        author = UserFactory(username=f"voice-{index}", roles=["reviewer"])
        VersionComment.objects.create(version=version, author=author, body="Seen.")
        ReviewAssignment.objects.create(
            version=version, reviewer=author, assigned_by=governance_admin
        )
        DriftAlertFactory(latest_report__version=version, severity="warning")
    Approval.objects.create(version=version, reviewer=reviewer, decision="approve")


def test_the_review_page_queries_do_not_grow_with_the_evidence(
    workspace,
    governance_admin,
    data_scientist,
    reviewer,
    second_reviewer,
    django_assert_num_queries,
):
    client = client_for(governance_admin)
    with django_assert_num_queries(REVIEW_PAGE):
        client.get(CHURN_V2)
    add_evidence(churn_v2(), data_scientist, governance_admin, second_reviewer, 4)

    with django_assert_num_queries(REVIEW_PAGE):
        response = client.get(CHURN_V2)
    assert len(response.context["page"].comments) == 4
    assert len(response.context["page"].open_alerts) == 4
