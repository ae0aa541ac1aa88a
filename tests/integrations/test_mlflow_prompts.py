"""MLflow 3's registered prompts, imported by name against a real MLflow
server: the prompt becomes an LLM application, each prompt version a draft
carrying its template, which the prompt diff then compares."""

import pytest

from integrations.mlflow_answers import IS_PROMPT_TAG, PROMPT_TEXT_TAG
from registry.models import MLModel, ModelVersion
from tests.integrations.test_mlflow_import import run_import

pytestmark = pytest.mark.django_db

FIRST = "Answer {{question}} from {{context}}."
SECOND = "Answer {{question}} only from {{context}}; otherwise say so."


def register_prompt(mlflow, base: str, templates: list[str]) -> str:
    """A registered prompt with one version per template, as MLflow's own
    client registers it (mlflow.genai.register_prompt)."""
    name = mlflow.name(base)
    mlflow.post(
        "registered-models/create",
        {"name": name, "tags": [{"key": IS_PROMPT_TAG, "value": "true"}]},
    )
    for template in templates:
        mlflow.post(
            "model-versions/create",
            {
                "name": name,
                "source": "dummy-source",
                "tags": [
                    {"key": IS_PROMPT_TAG, "value": "true"},
                    {"key": PROMPT_TEXT_TAG, "value": template},
                ],
            },
        )
    return name


def test_a_registered_prompt_arrives_as_an_llm_application(mlflow, data_scientist):
    name = register_prompt(mlflow, "support-prompt", [FIRST, SECOND])

    output = run_import(mlflow.uri, name)

    model = MLModel.objects.get(name=name)
    assert model.kind == "llm_application"
    v1, v2 = ModelVersion.objects.filter(model=model).order_by("version")
    assert (v1.status, v1.prompt_template) == ("draft", FIRST)
    assert v2.prompt_template == SECOND
    assert v1.artifact_uri == f"models:/{name}/1"
    assert "1→v1, 2→v2" in output


def test_a_second_import_of_a_prompt_adds_only_its_new_versions(mlflow, data_scientist):
    name = register_prompt(mlflow, "faq-prompt", [FIRST])
    run_import(mlflow.uri, name)
    mlflow.post(
        "model-versions/create",
        {
            "name": name,
            "source": "dummy-source",
            "tags": [
                {"key": IS_PROMPT_TAG, "value": "true"},
                {"key": PROMPT_TEXT_TAG, "value": SECOND},
            ],
        },
    )

    run_import(mlflow.uri, name)

    templates = list(
        ModelVersion.objects.filter(model__name=name)
        .order_by("version")
        .values_list("prompt_template", flat=True)
    )
    assert templates == [FIRST, SECOND]
