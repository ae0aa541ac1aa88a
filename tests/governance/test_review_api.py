"""The review record through the API: a version's approvals and stored
evaluations, the verdict in submit/approve answers, and the rationale rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import Approval, Evaluation, Waiver
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import approvals, auc_floor
from tests.registry.test_api import assert_error

pytestmark = pytest.mark.django_db

VERSION = "/api/v1/models/churn/versions/1/"


@pytest.fixture
def in_review(team, data_scientist):
    model = MLModelFactory(name="churn", team=team, risk_tier="high")
    return ModelVersionFactory(
        model=model, version=1, status="in_review", created_by=data_scientist
    )


@pytest.fixture
def draft(team, data_scientist):
    model = MLModelFactory(name="churn", team=team, risk_tier="high")
    return ModelVersionFactory(model=model, version=1, created_by=data_scientist)


# -- verdict in the answers ------------------------------------------------------


def test_submit_answers_with_the_recorded_evaluation_and_review_progress(
    api_client_for, data_scientist, draft, make_policy
):
    make_policy("review", [auc_floor(0.95), approvals(2)])

    response = api_client_for(data_scientist).post(f"{VERSION}submit/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_review"
    stored = Evaluation.objects.get(version=draft)
    assert body["evaluation"]["id"] == stored.pk
    assert body["evaluation"]["passed"] is False
    assert body["evaluation"]["trigger"] == "submission"
    assert body["evaluation"]["environment"] is None
    assert [r["kind"] for r in body["evaluation"]["results"]] == [
        "metric_threshold",
        "min_approvals",
    ]
    assert body["review"] == {
        "status": "in_review",
        "approvals": 0,
        "required_approvals": 2,
        "summary": "0 of 2 required approvals",
    }


def test_approve_answers_one_of_two_required_approvals(
    api_client_for, reviewer, second_reviewer, in_review, make_policy
):
    make_policy("review", [approvals(2)])

    first = api_client_for(reviewer).post(f"{VERSION}approve/", {}, format="json")
    second = api_client_for(second_reviewer).post(
        f"{VERSION}approve/", {}, format="json"
    )

    assert first.status_code == 201, first.content
    assert first.json()["review"]["summary"] == "1 of 2 required approvals"
    assert first.json()["evaluation"]["passed"] is False
    assert first.json()["evaluation"]["trigger"] == "review"
    assert first.json()["version_status"] == "in_review"
    assert second.json()["review"] == {
        "status": "approved",
        "approvals": 2,
        "required_approvals": 2,
        "summary": "2 of 2 required approvals",
    }
    assert second.json()["evaluation"]["passed"] is True


def test_reject_answers_without_an_evaluation(api_client_for, reviewer, in_review):
    response = api_client_for(reviewer).post(
        f"{VERSION}reject/", {"comment": "Target leak"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["evaluation"] is None
    assert response.json()["review"]["status"] == "rejected"


# -- rationale --------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"comment": ""}, {"comment": "  "}])
def test_a_rejection_without_a_comment_is_refused(
    api_client_for, reviewer, in_review, body
):
    response = api_client_for(reviewer).post(f"{VERSION}reject/", body, format="json")

    assert "comment" in assert_error(response, 400)["details"]
    assert not Approval.objects.exists()
    in_review.refresh_from_db()
    assert in_review.status == "in_review"


def test_an_unknown_version_is_404_before_the_body_is_checked(api_client_for, reviewer):
    response = api_client_for(reviewer).post(
        "/api/v1/models/ghost/versions/1/reject/", {}, format="json"
    )

    assert_error(response, 404)


@pytest.fixture
def waiver_body(in_review, make_policy):
    in_review.status = "approved"
    in_review.save()
    make_policy("floor", [auc_floor(0.99)])
    return {
        "model": "churn",
        "version": 1,
        "policy": "floor",
        "rule": 1,
        "justification": "Calibration fix ships next sprint",
        "expires_at": (timezone.now() + timedelta(days=10)).isoformat(),
    }


def test_a_waiver_justification_has_a_minimum_length(
    api_client_for, governance_admin, waiver_body
):
    response = api_client_for(governance_admin).post(
        "/api/v1/waivers/", {**waiver_body, "justification": "because"}, format="json"
    )

    details = assert_error(response, 400)["details"]
    assert "20 characters" in details["justification"][0]
    assert not Waiver.objects.exists()


def test_a_waiver_carries_an_optional_ticket(
    api_client_for, governance_admin, waiver_body
):
    client = api_client_for(governance_admin)

    with_ticket = client.post(
        "/api/v1/waivers/", {**waiver_body, "ticket": "RISK-142"}, format="json"
    )

    assert with_ticket.status_code == 201, with_ticket.content
    assert with_ticket.json()["ticket"] == "RISK-142"
    assert Waiver.objects.get().ticket == "RISK-142"


def test_the_schema_states_the_rationale_rules(api_client_for, viewer):
    schema = api_client_for(viewer).get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]

    rejection = next(
        body for name, body in components.items() if name.startswith("Rejection")
    )
    assert rejection["required"] == ["comment"]
    grant = next(
        body for name, body in components.items() if name.startswith("WaiverGrant")
    )
    assert "ticket" not in grant["required"]
    assert "20 characters" in grant["properties"]["justification"]["description"]


# -- approvals and evaluations lists ---------------------------------------------


def test_a_versions_approvals_are_listed_newest_first(
    api_client_for, viewer, reviewer, second_reviewer, in_review, make_policy
):
    make_policy("review", [approvals(2)])
    api_client_for(reviewer).post(f"{VERSION}approve/", {"comment": "A"}, format="json")
    api_client_for(second_reviewer).post(
        f"{VERSION}approve/", {"comment": "B"}, format="json"
    )

    response = api_client_for(viewer).get(f"{VERSION}approvals/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["reviewer"], row["comment"]) for row in rows] == [
        ("reviewer2", "B"),
        ("reviewer", "A"),
    ]


def test_a_versions_stored_evaluations_are_listed_newest_first(
    api_client_for, viewer, data_scientist, reviewer, draft, make_policy
):
    make_policy("review", [approvals(1)])
    api_client_for(data_scientist).post(f"{VERSION}submit/")
    api_client_for(reviewer).post(f"{VERSION}approve/", {}, format="json")

    response = api_client_for(viewer).get(f"{VERSION}evaluations/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["trigger"], row["passed"]) for row in rows] == [
        ("review", True),
        ("submission", False),
    ]
    assert rows[0]["requested_by"] == "reviewer"
    assert rows[0]["results"][0]["detail"]


def test_evaluations_filter_by_trigger_and_environment(
    api_client_for, viewer, data_scientist, draft, make_policy
):
    make_policy("review", [approvals(1)])
    api_client_for(data_scientist).post(f"{VERSION}submit/")
    client = api_client_for(viewer)

    by_trigger = client.get(f"{VERSION}evaluations/?trigger=review")
    approval = client.get(f"{VERSION}evaluations/?environment=approval")
    production = client.get(f"{VERSION}evaluations/?environment=production")

    assert by_trigger.json()["results"] == []
    assert len(approval.json()["results"]) == 1
    assert production.json()["results"] == []


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("approvals/?decision=maybe", "decision"),
        ("approvals/?status=approved", "status"),
        ("evaluations/?trigger=whenever", "trigger"),
        ("evaluations/?passed=true", "passed"),
    ],
)
def test_review_lists_refuse_bad_parameters(
    api_client_for, viewer, in_review, url, parameter
):
    response = api_client_for(viewer).get(f"{VERSION}{url}")

    assert parameter in assert_error(response, 400)["details"]


@pytest.mark.parametrize("kind", ["approvals", "evaluations"])
def test_review_lists_of_an_unknown_version_are_404(api_client_for, viewer, kind):
    assert_error(
        api_client_for(viewer).get(f"/api/v1/models/ghost/versions/1/{kind}/"), 404
    )


@pytest.mark.parametrize("kind", ["approvals", "evaluations"])
def test_review_lists_need_authentication(anonymous_client, in_review, kind):
    assert_error(anonymous_client.get(f"{VERSION}{kind}/"), 401)


@pytest.mark.parametrize("count", [1, 8])
def test_review_list_query_counts_are_constant(
    api_client_for, viewer, in_review, django_assert_num_queries, count
):
    for index in range(count):
        reviewer = ModelVersionFactory.created_by.get_factory()(username=f"r{index}")
        Approval.objects.create(
            version=in_review, reviewer=reviewer, decision="approve"
        )
        Evaluation.objects.create(
            version=in_review, passed=True, trigger="request", requested_by=reviewer
        )
    client = api_client_for(viewer)

    # token + user, roles, version, page
    with django_assert_num_queries(4):
        approvals_page = client.get(f"{VERSION}approvals/")
    with django_assert_num_queries(4):
        evaluations_page = client.get(f"{VERSION}evaluations/")

    assert len(approvals_page.json()["results"]) == count
    assert len(evaluations_page.json()["results"]) == count
