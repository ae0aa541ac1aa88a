"""Rules on an LLM application's evaluation results decide at the gate, at
submission and in the what-if simulation, through the one evaluator: a
version whose toxicity is above the policy's maximum is blocked, one that
meets it deploys, and tightening groundedness shows who would fail."""

import pytest

from governance.models import Evaluation
from tests.deployments.conftest import checks_of
from tests.factories import ModelVersionFactory
from tests.genai import LLM_RULES, TEMPLATE_V1, evaluation_results, support_assistant

pytestmark = pytest.mark.django_db


@pytest.fixture
def assistant(team, data_scientist, make_policy):
    make_policy("llm-floor", LLM_RULES)
    return support_assistant(team=team, created_by=data_scientist)


def check(client, version):
    body = {
        "model": "support-assistant",
        "version": version,
        "environment": "development",
    }
    response = client.post("/api/v1/deployments/check/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_gate_blocks_a_version_whose_toxicity_is_too_high(
    api_client_for, data_scientist, assistant
):
    body = check(api_client_for(data_scientist), 2)

    assert body["decision"] == "blocked"
    assert checks_of(body)["governance"]["passed"] is False
    details = [result["detail"] for result in body["evaluation"]["results"]]
    assert details == [
        "groundedness 0.91 meets the minimum 0.80 (judge gpt-4o-judge, n = 400)",
        "toxicity 0.03 is above the maximum 0.01 (judge detoxify, n = 2000)",
    ]


def test_the_gate_approves_a_version_that_meets_the_llm_floor(
    api_client_for, data_scientist, assistant
):
    body = check(api_client_for(data_scientist), 1)

    assert body["decision"] == "approved", body
    assert all(result["passed"] for result in body["evaluation"]["results"])


def test_too_few_samples_block_at_the_gate(api_client_for, data_scientist, assistant):
    model, _, _ = assistant
    ModelVersionFactory(
        model=model,
        version=3,
        status="approved",
        created_by=data_scientist,
        metrics={},
        prompt_template=TEMPLATE_V1,
        provider="openai",
        provider_model="gpt-4.1-mini",
        evaluation_results=evaluation_results(groundedness=0.95, toxicity=0.0, n=20),
    )

    body = check(api_client_for(data_scientist), 3)

    assert body["decision"] == "blocked"
    assert body["evaluation"]["results"][0]["detail"] == (
        "groundedness 0.95 meets the minimum 0.80, but on 20 samples, fewer than "
        "the 100 required (judge gpt-4o-judge)"
    )


def test_submission_stores_an_evaluation_on_the_evaluation_results(
    api_client_for, data_scientist, team, make_policy
):
    make_policy("llm-floor", LLM_RULES)
    client = api_client_for(data_scientist)
    client.post(
        "/api/v1/models/",
        {
            "name": "faq-bot",
            "display_name": "FAQ bot",
            "team": team.name,
            "risk_tier": "low",
            "kind": "llm_application",
        },
        format="json",
    )
    client.post(
        "/api/v1/models/faq-bot/versions/",
        {
            "artifact_uri": "models:/faq-bot/1",
            "prompt_template": TEMPLATE_V1,
            "provider": "anthropic",
            "provider_model": "claude-sonnet-4-5",
            "evaluation_results": evaluation_results(groundedness=0.7, toxicity=0.0),
        },
        format="json",
    )

    response = client.post("/api/v1/models/faq-bot/versions/1/submit/")

    assert response.status_code == 200, response.content
    stored = Evaluation.objects.get(version__model__name="faq-bot")
    assert not stored.passed
    assert [r["passed"] for r in stored.results] == [False, True]
    assert stored.results[0]["detail"].startswith(
        "groundedness 0.70 is below the minimum 0.80"
    )


def test_the_simulation_reads_evaluation_results_like_the_gate(
    api_client_for, governance_admin, assistant
):
    tighter = {
        "name": "llm-floor",
        "rules": {"1": {"params": {**LLM_RULES[0]["params"], "value": 0.9}}},
    }

    response = api_client_for(governance_admin).post(
        "/api/v1/simulations/", {"upsert": [tighter]}, format="json"
    )

    assert response.status_code == 200, response.content
    changes = {
        (change["model"], change["version"], change["environment"]): change
        for change in response.json()["changes"]
    }
    newly_failing = changes[("support-assistant", 1, "development")]
    assert (newly_failing["before"], newly_failing["after"]) == (True, False)
    assert newly_failing["reasons"] == [
        "groundedness 0.86 is below the minimum 0.90 (judge gpt-4o-judge, n = 400)"
    ]
    assert not any(key[:2] == ("support-assistant", 2) for key in changes)
