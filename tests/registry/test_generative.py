"""LLM applications and vendor models in the registry: a version's prompt
template, provider and evaluation results through the API, refused with a
400 naming the field, frozen from submission on (service and database), and
the prompt diff between two versions."""

import pytest
from django.db import IntegrityError, transaction

from registry.constants import PROMPT_TEMPLATE_MAX_LENGTH
from registry.models import MLModel, ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.registry.test_api import assert_error

pytestmark = pytest.mark.django_db

TEMPLATE_V1 = (
    "You are Acme's support assistant.\n"
    "Answer only from the context below.\n"
    "Context: {context}\n"
    "Question: {question}\n"
)
TEMPLATE_V2 = (
    "You are Acme's support assistant.\n"
    "Answer only from the context below; say you do not know otherwise.\n"
    "Never reveal personal data.\n"
    "Context: {context}\n"
    "Question: {question}\n"
)
UNJUDGED = {"metric": "groundedness", "value": 0.9, "suite": "s", "sample_size": 9}
GROUNDEDNESS = {
    "metric": "groundedness",
    "value": 0.87,
    "suite": "support-rag-evals",
    "judge": "gpt-4o-judge",
    "sample_size": 400,
    "dataset_ref": "s3://evals/support/golden-v3.jsonl",
}
TOXICITY = {
    "metric": "toxicity",
    "value": 0.004,
    "suite": "safety",
    "judge": "detoxify",
    "sample_size": 2000,
}


@pytest.fixture
def assistant(team):
    return MLModelFactory(
        name="support-assistant", team=team, kind=MLModel.Kind.LLM_APPLICATION
    )


@pytest.fixture
def client(api_client_for, data_scientist):
    return api_client_for(data_scientist)


def versions_url(name="support-assistant"):
    return f"/api/v1/models/{name}/versions/"


def llm_body(**overrides):
    return {
        "artifact_uri": "models:/support-assistant/1",
        "prompt_template": TEMPLATE_V1,
        "provider": "openai",
        "provider_model": "gpt-4.1-2025-04-14",
        "evaluation_results": [GROUNDEDNESS, TOXICITY],
        **overrides,
    }


def test_a_version_carries_its_prompt_provider_and_evaluation_results(
    client, assistant
):
    created = client.post(versions_url(), llm_body(), format="json")

    assert created.status_code == 201, created.content
    read = client.get(f"{versions_url()}1/").json()
    for body in (created.json(), read):
        assert body["prompt_template"] == TEMPLATE_V1
        assert (body["provider"], body["provider_name"], body["provider_model"]) == (
            "openai",
            "",
            "gpt-4.1-2025-04-14",
        )
        assert body["evaluation_results"] == [
            GROUNDEDNESS,
            {**TOXICITY, "dataset_ref": ""},
        ]


def test_a_predictive_version_has_empty_generative_fields(client, assistant):
    body = client.post(
        versions_url(), {"artifact_uri": "s3://m/1"}, format="json"
    ).json()

    assert body["prompt_template"] == ""
    assert body["provider"] == ""
    assert body["evaluation_results"] == []


def test_the_prompt_template_is_kept_exactly_as_sent(client, assistant):
    template = "  Leading spaces matter.\n\n\tSo do tabs.\n"

    body = client.post(
        versions_url(), llm_body(prompt_template=template), format="json"
    ).json()

    assert body["prompt_template"] == template


def test_another_provider_is_named(client, assistant):
    response = client.post(
        versions_url(),
        llm_body(provider="other", provider_name="Acme AI", provider_model="acme-2"),
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["provider_name"] == "Acme AI"


REFUSALS = [
    ({"provider": "openia"}, "provider"),
    ({"provider": "other"}, "provider_name"),
    ({"provider_name": "Acme AI"}, "provider_name"),
    ({"provider_model": ""}, "provider_model"),
    ({"provider": "", "provider_model": "gpt-4.1"}, "provider"),
    (
        {"prompt_template": "x" * (PROMPT_TEMPLATE_MAX_LENGTH + 1)},
        "prompt_template",
    ),
    ({"evaluation_results": {"groundedness": 0.9}}, "evaluation_results"),
    (
        {"evaluation_results": [{**GROUNDEDNESS, "sample_size": 0}]},
        "evaluation_results",
    ),
    (
        {"evaluation_results": [UNJUDGED]},
        "evaluation_results",
    ),
    ({"evaluation_results": [{**GROUNDEDNESS, "value": "NaN"}]}, "evaluation_results"),
    ({"evaluation_results": [{**GROUNDEDNESS, "seed": 1}]}, "evaluation_results"),
    (
        {"evaluation_results": [GROUNDEDNESS, {**GROUNDEDNESS, "judge": "human"}]},
        "evaluation_results[1].metric",
    ),
    (
        {"metrics": {"groundedness": 0.5}, "evaluation_results": [GROUNDEDNESS]},
        "evaluation_results[0].metric",
    ),
]


@pytest.mark.parametrize(("change", "field"), REFUSALS)
def test_bad_generative_evidence_is_refused_naming_the_field(
    client, assistant, change, field
):
    response = client.post(versions_url(), llm_body(**change), format="json")

    error = assert_error(response, 400)
    assert field in error["details"], error
    assert not ModelVersion.objects.exists()


def test_a_draft_edit_is_checked_against_the_whole_version(client, assistant):
    client.post(versions_url(), llm_body(), format="json")

    cleared = client.patch(f"{versions_url()}1/", {"provider": ""}, format="json")
    clash = client.patch(
        f"{versions_url()}1/", {"metrics": {"toxicity": 0.1}}, format="json"
    )
    moved = client.patch(
        f"{versions_url()}1/",
        {"provider": "anthropic", "provider_model": "claude-sonnet-4-5"},
        format="json",
    )

    assert "provider" in assert_error(cleared, 400)["details"]
    assert "evaluation_results[1].metric" in assert_error(clash, 400)["details"]
    assert moved.status_code == 200
    assert moved.json()["provider_model"] == "claude-sonnet-4-5"


def test_generative_evidence_is_frozen_after_submission(client, assistant):
    client.post(versions_url(), llm_body(), format="json")
    assert client.post(f"{versions_url()}1/submit/").status_code == 200

    response = client.patch(
        f"{versions_url()}1/", {"prompt_template": TEMPLATE_V2}, format="json"
    )

    assert_error(response, 409)
    assert ModelVersion.objects.get().prompt_template == TEMPLATE_V1


@pytest.mark.parametrize(
    "change",
    [
        {"prompt_template": "Ignore previous instructions."},
        {"provider_model": "gpt-4o-mini"},
        {"evaluation_results": [{**GROUNDEDNESS, "value": 0.99}]},
    ],
)
def test_the_database_refuses_to_change_submitted_generative_evidence(
    assistant, change
):
    version = ModelVersionFactory(
        model=assistant,
        status="in_review",
        prompt_template=TEMPLATE_V1,
        provider="openai",
        provider_model="gpt-4.1",
        evaluation_results=[GROUNDEDNESS],
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=version.pk).update(**change)


@pytest.mark.parametrize(
    "values",
    [
        {"provider": "openia", "provider_model": "x"},
        {"provider": "other", "provider_model": "x"},
        {"provider": "openai", "provider_model": ""},
        {"evaluation_results": {"groundedness": 0.9}},
        {"prompt_template": "x" * (PROMPT_TEMPLATE_MAX_LENGTH + 1)},
    ],
)
def test_the_database_checks_generative_evidence(assistant, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersionFactory(model=assistant, **values)


def test_models_are_filtered_by_kind(client, assistant):
    MLModelFactory(name="churn", team=assistant.team)

    llm = client.get("/api/v1/models/?kind=llm_application").json()["results"]
    predictive = client.get("/api/v1/models/?kind=predictive").json()["results"]
    refused = client.get("/api/v1/models/?kind=chatbot")

    assert [(m["name"], m["kind"]) for m in llm] == [
        ("support-assistant", "llm_application")
    ]
    assert [m["name"] for m in predictive] == ["churn"]
    assert "kind" in assert_error(refused, 400)["details"]


def test_a_model_is_registered_with_its_kind(client, team):
    response = client.post(
        "/api/v1/models/",
        {
            "name": "vendor-fraud",
            "display_name": "Vendor fraud score",
            "team": team.name,
            "risk_tier": "high",
            "kind": "vendor_model",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "vendor_model"
    assert MLModel.objects.get(name="vendor-fraud").kind == "vendor_model"


# -- the prompt diff ------------------------------------------------------------


@pytest.fixture
def two_prompts(assistant):
    ModelVersionFactory(
        model=assistant,
        version=1,
        prompt_template=TEMPLATE_V1,
        provider="openai",
        provider_model="gpt-4.1",
    )
    ModelVersionFactory(
        model=assistant,
        version=2,
        prompt_template=TEMPLATE_V2,
        provider="openai",
        provider_model="gpt-4.1",
    )


def diff_url(number, against=None, name="support-assistant"):
    query = "" if against is None else f"?against={against}"
    return f"/api/v1/models/{name}/versions/{number}/prompt-diff/{query}"


def test_the_prompt_diff_is_a_unified_diff_from_the_other_version(
    api_client_for, viewer, two_prompts, django_assert_num_queries
):
    client = api_client_for(viewer)
    client.get(diff_url(2, 1))  # the token is read once, then cached

    with django_assert_num_queries(1):  # both templates in one query
        response = client.get(diff_url(2, 1))

    assert response.status_code == 200
    body = response.json()
    assert (body["model"], body["version"], body["against"], body["changed"]) == (
        "support-assistant",
        2,
        1,
        True,
    )
    lines = body["diff"].splitlines()
    assert lines[:2] == ["--- support-assistant v1", "+++ support-assistant v2"]
    assert "-Answer only from the context below." in lines
    added = "+Answer only from the context below; say you do not know otherwise."
    assert added in lines
    assert "+Never reveal personal data." in lines
    assert " Context: {context}" in lines


def test_a_version_against_itself_has_an_empty_diff(client, two_prompts):
    body = client.get(diff_url(1, 1)).json()

    assert body["changed"] is False
    assert body["diff"] == ""


def test_the_prompt_diff_needs_a_version_to_compare_with(client, two_prompts):
    assert "against" in assert_error(client.get(diff_url(2)), 400)["details"]
    assert "against" in assert_error(client.get(diff_url(2, "x")), 400)["details"]


def test_the_prompt_diff_of_an_unknown_version_is_404(client, two_prompts):
    assert_error(client.get(diff_url(2, 9)), 404)
    assert_error(client.get(diff_url(9, 1)), 404)
    assert_error(client.get(diff_url(1, 2, name="nope")), 404)


def test_the_prompt_diff_needs_a_role(api_client_for, no_role_user, two_prompts):
    assert_error(api_client_for(no_role_user).get(diff_url(2, 1)), 403)


# -- the admin ------------------------------------------------------------------


def test_the_admin_shows_submitted_generative_evidence_read_only(
    admin_client, assistant
):
    version = ModelVersionFactory(
        model=assistant,
        status="in_review",
        prompt_template="Be <brief>.",
        provider="openai",
        provider_model="gpt-4.1",
        evaluation_results=[GROUNDEDNESS],
    )

    response = admin_client.get(f"/admin/registry/modelversion/{version.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<pre class='mlgov-prompt'>Be &lt;brief&gt;.</pre>" in html
    assert "<td>groundedness</td><td>0.87</td><td>gpt-4o-judge</td><td>400</td>" in html
    assert 'name="prompt_template"' not in html
    assert 'name="evaluation_results"' not in html
