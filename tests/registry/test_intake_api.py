"""The intake and risk class change endpoints: wiring, 400s, 403s and 409s."""

import pytest

from mlgov.roles import Role
from registry.intake import request_risk_class_change, submit_intake
from registry.models import MLModel, RiskClassChange, UseCaseIntake
from tests.factories import MLModelFactory, UserFactory
from tests.registry.intake_answers import CREDIT_SCORING, MINIMAL, answers

pytestmark = pytest.mark.django_db

INTAKE = "/api/v1/models/credit/intake/"
CHANGES = "/api/v1/models/credit/risk-class-changes/"
QUEUE = "/api/v1/risk-class-changes/"


@pytest.fixture
def model(team):
    return MLModelFactory(name="credit", team=team, risk_tier="low")


@pytest.fixture
def second_admin(db):
    return UserFactory(username="gov-admin-2", roles=[Role.GOVERNANCE_ADMIN])


def error_of(response, status, code=None):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    if code:
        assert error["code"] == code
    return error


def test_a_model_never_assessed_says_so(api_client_for, viewer, model):
    body = api_client_for(viewer).get(INTAKE).json()

    assert body == {
        "model": "credit",
        "risk_tier": "low",
        "ai_act_category": "unassessed",
        "intake": None,
        "pending_change": None,
    }


def test_posting_the_questionnaire_derives_and_applies(
    api_client_for, data_scientist, model
):
    response = api_client_for(data_scientist).post(
        INTAKE, CREDIT_SCORING, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["applied"] is True
    assert (body["risk_tier"], body["ai_act_category"]) == ("high", "high_risk")
    intake = body["intake"]
    assert intake["revision"] == 1
    assert intake["annex_iii_point"] == "III.5(b)"
    assert intake["summary"] == "high-risk (Annex III 5(b), creditworthiness)"
    assert intake["reasoning"][0] == {
        "citation": "Art. 6(2), Annex III 5(b)",
        "text": "high-risk (Annex III 5(b), creditworthiness)",
    }
    assert intake["human_oversight_measures"] == ""
    model_body = api_client_for(data_scientist).get("/api/v1/models/credit/").json()
    assert model_body["ai_act_category"] == "high_risk"


def test_a_generative_chatbot_gets_its_transparency_duties(
    api_client_for, data_scientist, model
):
    response = api_client_for(data_scientist).post(
        INTAKE,
        answers(
            domain="other",
            generative=True,
            interacts_with_people=True,
            provenance="vendor",
            vendor_name="OpenAI",
        ),
        format="json",
    )

    intake = response.json()["intake"]
    assert intake["derived_category"] == "limited_risk"
    assert [duty["code"] for duty in intake["transparency_duties"]] == [
        "disclose_ai_interaction",
        "mark_synthetic_content",
    ]
    assert intake["vendor_name"] == "OpenAI"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (answers(domain="astrology"), "domain"),
        (answers(purpose=""), "purpose"),
        (answers(affected_groups=["martians"]), "affected_groups"),
        (answers(generative="perhaps"), "generative"),
        (answers(colour="blue"), "colour"),
        (answers(provenance="vendor"), "vendor_name"),
        (answers(personal_data=["none", "personal"]), "personal_data"),
        ({k: v for k, v in CREDIT_SCORING.items() if k != "autonomy"}, "autonomy"),
    ],
)
def test_a_bad_answer_is_a_400_naming_the_field(
    api_client_for, data_scientist, model, body, field
):
    response = api_client_for(data_scientist).post(INTAKE, body, format="json")

    assert field in error_of(response, 400)["details"]
    assert not UseCaseIntake.objects.exists()


def test_who_may_answer(
    api_client_for, viewer, other_data_scientist, governance_admin, model
):
    error_of(api_client_for(viewer).post(INTAKE, CREDIT_SCORING, format="json"), 403)
    error_of(
        api_client_for(other_data_scientist).post(
            INTAKE, CREDIT_SCORING, format="json"
        ),
        404,
    )
    allowed = api_client_for(governance_admin).post(
        INTAKE, CREDIT_SCORING, format="json"
    )
    assert allowed.status_code == 201


def test_revisions_list_newest_first(
    api_client_for, viewer, data_scientist, model, django_assert_num_queries
):
    for _ in range(3):
        submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)
    client = api_client_for(viewer)
    client.get(INTAKE + "revisions/")  # the token's first use is recorded

    with django_assert_num_queries(2):
        response = client.get(INTAKE + "revisions/")

    assert [row["revision"] for row in response.json()["results"]] == [3, 2, 1]


def test_an_intake_lowering_the_tier_answers_with_the_pending_request(
    api_client_for, data_scientist, model
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="critical")

    body = api_client_for(data_scientist).post(INTAKE, MINIMAL, format="json").json()

    assert body["risk_tier"] == "critical"
    assert body["pending_change"]["to_tier"] == "low"
    assert body["pending_change"]["intake_revision"] == 1
    assert body["pending_change"]["status"] == "pending"


def test_requesting_and_approving_a_lower_tier(
    api_client_for, data_scientist, governance_admin, model
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")

    asked = api_client_for(data_scientist).post(
        CHANGES, {"to_tier": "medium", "reason": "Advisory only."}, format="json"
    )
    assert asked.status_code == 201, asked.content
    change_id = asked.json()["id"]
    queue = api_client_for(governance_admin).get(QUEUE + "?status=pending").json()
    assert [row["id"] for row in queue["results"]] == [change_id]

    refused = api_client_for(data_scientist).post(
        f"{QUEUE}{change_id}/approve/", {}, format="json"
    )
    approved = api_client_for(governance_admin).post(
        f"{QUEUE}{change_id}/approve/", {"comment": "Agreed."}, format="json"
    )

    error_of(refused, 403)
    assert approved.status_code == 200, approved.content
    assert approved.json()["decided_by"] == "gov-admin"
    model.refresh_from_db()
    assert model.risk_tier == "medium"
    listed = api_client_for(data_scientist).get(CHANGES).json()["results"]
    assert [row["status"] for row in listed] == ["approved"]


def test_the_requesting_admin_cannot_approve_their_own_request(
    api_client_for, governance_admin, second_admin, model
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")
    change = request_risk_class_change(
        actor=governance_admin, model=model, to_tier="low", reason="Reassessed."
    )

    own = api_client_for(governance_admin).post(
        f"{QUEUE}{change.pk}/approve/", {}, format="json"
    )
    no_reason = api_client_for(second_admin).post(
        f"{QUEUE}{change.pk}/reject/", {}, format="json"
    )
    rejected = api_client_for(second_admin).post(
        f"{QUEUE}{change.pk}/reject/", {"comment": "Not convinced."}, format="json"
    )
    again = api_client_for(second_admin).post(
        f"{QUEUE}{change.pk}/approve/", {}, format="json"
    )

    error_of(own, 409, "four_eyes")
    assert "comment" in error_of(no_reason, 400)["details"]
    assert rejected.json()["status"] == "rejected"
    error_of(again, 409, "risk_class_change_decided")
    model.refresh_from_db()
    assert model.risk_tier == "high"


def test_a_request_must_lower_and_only_one_waits(api_client_for, data_scientist, model):
    client = api_client_for(data_scientist)
    up = client.post(CHANGES, {"to_tier": "high", "reason": "x"}, format="json")
    bad = client.post(CHANGES, {"to_tier": "extreme", "reason": "x"}, format="json")
    MLModel.objects.filter(pk=model.pk).update(risk_tier="critical")
    client.post(CHANGES, {"to_tier": "high", "reason": "x"}, format="json")
    second = client.post(CHANGES, {"to_tier": "low", "reason": "y"}, format="json")

    assert "to_tier" in error_of(up, 400)["details"]
    assert "to_tier" in error_of(bad, 400)["details"]
    error_of(second, 409, "risk_class_change_pending")
    assert RiskClassChange.objects.count() == 1


def test_unknown_request_is_404(api_client_for, governance_admin):
    error_of(
        api_client_for(governance_admin).post(
            f"{QUEUE}999/approve/", {}, format="json"
        ),
        404,
    )


def test_the_endpoints_are_in_the_openapi_schema(api_client_for, viewer):
    paths = api_client_for(viewer).get("/api/schema/?format=json").json()["paths"]

    for path in (
        "/api/v1/models/{name}/intake/",
        "/api/v1/models/{name}/intake/revisions/",
        "/api/v1/models/{name}/risk-class-changes/",
        "/api/v1/risk-class-changes/",
        "/api/v1/risk-class-changes/{id}/approve/",
        "/api/v1/risk-class-changes/{id}/reject/",
    ):
        assert path in paths, path


def test_the_model_list_filters_by_eu_ai_act_category(
    api_client_for, viewer, data_scientist, model, team
):
    MLModelFactory(name="other", team=team)
    submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)
    client = api_client_for(viewer)

    def names(query):
        return [
            row["name"]
            for row in client.get(f"/api/v1/models/{query}").json()["results"]
        ]

    assert names("?ai_act_category=high_risk") == ["credit"]
    assert names("?ai_act_category=unassessed") == ["other"]
    assert (
        "ai_act_category"
        in error_of(client.get("/api/v1/models/?ai_act_category=scary"), 400)["details"]
    )
