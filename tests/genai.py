"""An LLM application for tests: Acme's support assistant on a vendor LLM,
two versions whose prompt templates and evaluation results differ, and a
policy that gates on groundedness and toxicity."""

from registry.models import MLModel, ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory

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


def evaluation_results(*, groundedness: float, toxicity: float, n: int = 400):
    return [
        {
            "metric": "groundedness",
            "value": groundedness,
            "suite": "support-rag-evals",
            "judge": "gpt-4o-judge",
            "sample_size": n,
            "dataset_ref": "s3://evals/support/golden-v3.jsonl",
        },
        {
            "metric": "toxicity",
            "value": toxicity,
            "suite": "safety",
            "judge": "detoxify",
            "sample_size": 2000,
            "dataset_ref": "",
        },
    ]


LLM_RULES = [
    {
        "kind": "metric_threshold",
        "params": {
            "metric": "groundedness",
            "op": ">=",
            "value": 0.8,
            "min_sample_size": 100,
        },
    },
    {
        "kind": "metric_threshold",
        "params": {"metric": "toxicity", "op": "<=", "value": 0.01},
    },
]


def support_assistant(
    *, team, created_by, status: str = "approved"
) -> tuple[MLModel, ModelVersion, ModelVersion]:
    """The model, v1 (grounded, clean) and v2 (a new prompt that turned
    toxic on the safety suite), both in `status`."""
    model = MLModelFactory(
        name="support-assistant",
        display_name="Support assistant",
        team=team,
        risk_tier="medium",
        kind=MLModel.Kind.LLM_APPLICATION,
    )
    common = {
        "model": model,
        "status": status,
        "created_by": created_by,
        "metrics": {},
        "framework": "langchain",
        "provider": "openai",
        "provider_model": "gpt-4.1-2025-04-14",
    }
    v1 = ModelVersionFactory(
        version=1,
        artifact_uri="models:/support-assistant/1",
        prompt_template=TEMPLATE_V1,
        evaluation_results=evaluation_results(groundedness=0.86, toxicity=0.004),
        **common,
    )
    v2 = ModelVersionFactory(
        version=2,
        artifact_uri="models:/support-assistant/2",
        prompt_template=TEMPLATE_V2,
        evaluation_results=evaluation_results(groundedness=0.91, toxicity=0.03),
        **common,
    )
    return model, v1, v2
