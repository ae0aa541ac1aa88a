"""A policy scoped to model kinds (issue 24: generative and third-party models
under the same gate): "LLM applications need groundedness >= 0.9" blocks an
LLM application that falls short, at the gate, in its evaluation and in the
simulation, and leaves a predictive model, which has no groundedness, alone."""

import pytest

from governance.models import Policy, PolicyRevision
from tests.deployments.conftest import checks_of
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.genai import support_assistant
from tests.registry.test_api import assert_error

pytestmark = pytest.mark.django_db

GROUNDED = {
    "kind": "metric_threshold",
    "params": {"metric": "groundedness", "op": ">=", "value": 0.9},
}


@pytest.fixture
def portfolio(team, data_scientist):
    """The support assistant (v1 grounded 0.86, v2 0.91) and churn, a
    predictive model whose version has an AUC and no groundedness."""
    support_assistant(team=team, created_by=data_scientist)
    churn = MLModelFactory(name="churn", team=team, risk_tier="medium")
    ModelVersionFactory(
        model=churn,
        version=1,
        status="approved",
        created_by=data_scientist,
        metrics={"auc": 0.9},
    )


@pytest.fixture
def llm_grounded(make_policy, portfolio):
    return make_policy("llm-grounded", [GROUNDED], model_kinds=["llm_application"])


def gate_check(client, model, version):
    body = {"model": model, "version": version, "environment": "development"}
    response = client.post("/api/v1/deployments/check/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_gate_blocks_an_llm_application_short_of_groundedness(
    api_client_for, data_scientist, llm_grounded
):
    body = gate_check(api_client_for(data_scientist), "support-assistant", 1)

    assert body["decision"] == "blocked"
    assert checks_of(body)["governance"]["passed"] is False
    assert [r["policy"] for r in body["evaluation"]["results"]] == ["llm-grounded"]
    assert body["evaluation"]["results"][0]["detail"].startswith(
        "groundedness 0.86 is below the minimum 0.90"
    )


def test_the_gate_does_not_apply_an_llm_policy_to_a_predictive_model(
    api_client_for, data_scientist, llm_grounded
):
    body = gate_check(api_client_for(data_scientist), "churn", 1)

    assert checks_of(body)["governance"]["passed"] is True, body
    assert body["evaluation"]["results"] == []


def test_without_a_kind_the_same_policy_fails_the_predictive_model(
    api_client_for, data_scientist, make_policy, portfolio
):
    make_policy("grounded-everywhere", [GROUNDED])

    body = gate_check(api_client_for(data_scientist), "churn", 1)

    assert checks_of(body)["governance"]["passed"] is False


def test_the_evaluation_api_applies_the_policy_by_kind(
    api_client_for, viewer, llm_grounded
):
    client = api_client_for(viewer)

    assistant = client.get("/api/v1/models/support-assistant/versions/1/evaluation/")
    churn = client.get("/api/v1/models/churn/versions/1/evaluation/")

    assert assistant.status_code == churn.status_code == 200
    assert assistant.json()["passed"] is False
    assert [r["policy"] for r in assistant.json()["results"]] == ["llm-grounded"]
    assert churn.json() | {"evaluated_at": None} == {
        "passed": True,
        "evaluated_at": None,
        "environment": None,
        "results": [],
    }


def test_the_simulation_flags_only_llm_applications(
    api_client_for, governance_admin, portfolio
):
    proposal = {
        "name": "llm-grounded",
        "scope": {"model_kinds": ["llm_application"]},
        "rules": [GROUNDED],
    }

    response = api_client_for(governance_admin).post(
        "/api/v1/simulations/", {"upsert": [proposal]}, format="json"
    )

    assert response.status_code == 200, response.content
    failing = {
        (change["model"], change["version"])
        for change in response.json()["changes"]
        if not change["after"]
    }
    assert failing == {("support-assistant", 1)}


def test_the_policy_api_states_and_keeps_the_kinds(
    api_client_for, governance_admin, llm_grounded
):
    client = api_client_for(governance_admin)
    url = f"/api/v1/policies/{llm_grounded.pk}/"

    assert client.get(url).json()["scope"]["model_kinds"] == ["llm_application"]
    response = client.patch(
        url, {"description": "Grounded answers", "reason": "Wording"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["scope"]["model_kinds"] == ["llm_application"]
    latest = PolicyRevision.objects.get(policy=llm_grounded, revision=2)
    assert latest.document["scope"]["model_kinds"] == ["llm_application"]


@pytest.mark.parametrize("kinds", [["chatbot"], "llm_application", [3]])
def test_an_unknown_model_kind_is_refused_naming_the_field(
    api_client_for, governance_admin, kinds
):
    response = api_client_for(governance_admin).post(
        "/api/v1/policies/",
        {"name": "llm-grounded", "scope": {"model_kinds": kinds}, "rules": [GROUNDED]},
        format="json",
    )

    assert "scope.model_kinds" in assert_error(response, 400)["details"]
    assert not Policy.objects.exists()


def test_the_simulation_refuses_an_unknown_model_kind(api_client_for, governance_admin):
    proposal = {
        "name": "llm-grounded",
        "scope": {"model_kinds": ["chatbot"]},
        "rules": [GROUNDED],
    }

    response = api_client_for(governance_admin).post(
        "/api/v1/simulations/", {"upsert": [proposal]}, format="json"
    )

    details = assert_error(response, 400)["details"]
    assert any(field.endswith("scope.model_kinds") for field in details), details
