"""The demo's technical documents: the credit-scoring model's serving
version and the LLM application, generated once, fed by their intakes,
coverage and monitoring."""

import pytest
from django.core.management import call_command

from compliance.documentation.builder import TechnicalDocumentation
from compliance.models import TechnicalDocument
from deployments.models import Deployment
from registry.models import MLModel

pytestmark = pytest.mark.django_db


def fields(document: TechnicalDocument, key: str) -> dict[str, str | None]:
    content = TechnicalDocumentation.from_dict(document.content)
    (section,) = [s for s in content.sections if s.key == key]
    return {field.label: field.value for field in section.fields}


def test_the_demo_documents_the_credit_model_and_the_llm_application(capsys):
    call_command("seed_demo", "--models", "30")
    output = capsys.readouterr().out

    credit = MLModel.objects.get(name="pd-00001")
    serving = Deployment.objects.active().get(
        model=credit, environment__name="production", traffic_percent=100
    )
    (document,) = TechnicalDocument.objects.filter(version__model=credit)
    assert document.version == serving.version
    # The worked example's end: its owner documents the serving version.
    assert document.generated_by == credit.owner
    assert fields(document, "intended_purpose")["Domain"] == (
        "Creditworthiness and credit scoring of natural persons (Annex III 5(b))"
    )
    coverage_gaps = [g for g in document.gaps if g["section"] == "risk_management"]
    assert coverage_gaps and all(
        g["item"].startswith("EU AI Act") for g in coverage_gaps
    )
    assert "Obligation coverage" not in [g["item"] for g in document.gaps]

    (llm,) = TechnicalDocument.objects.filter(version__model__name="support-assistant")
    development = fields(llm, "development")
    assert len(development["Prompt template SHA-256"] or "") == 64
    assert fields(llm, "general_description")["Kind"] == "LLM application"
    assert "pd-00001: its human oversight answered and its Annex IV" in output
    assert "technical documentation generated for support-assistant v" in output

    call_command("seed_demo", "--models", "30")
    assert TechnicalDocument.objects.count() == 2
    assert "no new technical document" in capsys.readouterr().out
