"""Coverage read from the database: facts, statuses, and constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.documentation.services import generate_technical_document
from compliance.engine import MET, NOT_APPLICABLE, PARTLY_MET, UNMET
from compliance.selectors import (
    coverage_facts,
    coverage_for_model,
    enabled_frameworks,
    portfolio_coverage,
)
from compliance.services import add_custom_obligation, set_framework_enabled
from registry.intake import submit_intake
from registry.models import MLModel
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.registry.intake_answers import answers

pytestmark = pytest.mark.django_db


def statuses(coverage):
    return {result.obligation.id: result.status for result in coverage.obligations}


def test_the_facts_read_oversight_provenance_and_the_newest_document(
    scene, governance_admin
):
    vendor = MLModelFactory(name="assistant", kind="vendor_model")
    ModelVersionFactory(
        model=vendor,
        version=1,
        status="approved",
        provider="openai",
        provider_model="gpt-4o-2024-08-06",
        artifact_sha256="b" * 64,
    )
    submit_intake(actor=governance_admin, model=scene.credit, answers=answers())
    submit_intake(
        actor=governance_admin,
        model=scene.credit,
        answers=answers(
            human_oversight_measures="Officers confirm declines.",
            human_oversight_contact="Head of Credit",
        ),
    )
    generate_technical_document(actor=governance_admin, version=scene.credit_v1)
    second = generate_technical_document(
        actor=governance_admin, version=scene.credit_v1
    )

    facts = coverage_facts(MLModel.objects.all())
    credit = facts[scene.credit.pk]
    assert credit.kind == "predictive" and credit.intake_revision == 2
    assert credit.human_oversight_measures == "Officers confirm declines."
    assert credit.human_oversight_contact == "Head of Credit"
    assert credit.provenance.provider == ""
    assert facts[vendor.pk].kind == "vendor_model"
    assert facts[vendor.pk].provenance.provider_model == "gpt-4o-2024-08-06"
    assert facts[vendor.pk].provenance.artifact_sha256 == "b" * 64
    assert credit.latest_document.revision == 2
    assert credit.latest_document.generated_at == second.generated_at
    # The chatbot: never assessed, nothing documented.
    chatbot = facts[scene.chatbot.pk]
    assert chatbot.intake_revision is None and chatbot.latest_document is None


def test_no_framework_is_enabled_by_default(scene):
    assert enabled_frameworks() == ()
    assert coverage_for_model(name="credit").frameworks == ()


def test_the_facts_of_a_serving_model(scene):
    facts = coverage_facts(MLModel.objects.filter(name="credit"))[scene.credit.pk]

    assert facts.version == 1 and facts.is_serving
    assert facts.independent_approvals == 2
    assert facts.production_deployment_id == scene.deployment_id
    assert facts.latest_production_drift.report_id == scene.report_id
    assert [rule.kind for rule in facts.enforced_rules] == ["metric_threshold"]


def test_eu_coverage_of_the_credit_model_shows_met_and_unmet_obligations(
    scene, eu_pack
):
    (eu,) = coverage_for_model(name="credit").frameworks

    found = statuses(eu)
    assert found["art-6"] == MET
    assert found["art-9"] == PARTLY_MET  # no enforced max_drift_severity rule
    assert found["art-10"] == PARTLY_MET  # ethical considerations blank
    assert found["art-11"] == UNMET
    assert found["art-12"] == MET
    assert found["art-14"] == PARTLY_MET  # no intake documents oversight
    assert found["art-15"] == PARTLY_MET  # no performance report in production
    assert found["art-17"] == PARTLY_MET  # no enforced min_approvals rule
    assert found["art-50"] == NOT_APPLICABLE
    art_11 = next(r for r in eu.obligations if r.obligation.id == "art-11")
    assert art_11.gaps[0].detail == (
        "the model card of v1 serving is missing ethical_considerations"
    )


def test_a_minimal_risk_model_owes_only_the_classification(scene, eu_pack):
    (eu,) = coverage_for_model(name="chatbot").frameworks

    assert [r.obligation.id for r in eu.applicable] == ["art-6"]
    assert eu.counts.met == 1


def test_custom_obligations_follow_their_pack(scene, eu_pack, governance_admin):
    add_custom_obligation(
        actor=governance_admin,
        framework="eu_ai_act",
        document={
            "id": "internal-1",
            "reference": "Internal policy 4.2",
            "title": "Fresh drift monitoring",
            "summary": "Weekly drift reports in production.",
            "evidence": [
                {
                    "kind": "drift_monitoring_in_production",
                    "params": {"max_age_days": 7},
                }
            ],
        },
    )

    (eu,) = coverage_for_model(name="credit").frameworks

    assert eu.obligations[-1].obligation.id == "internal-1"
    assert eu.obligations[-1].obligation.custom
    assert eu.obligations[-1].status == MET


def test_portfolio_coverage_takes_the_same_queries_for_two_models_or_twenty(
    scene, eu_pack, governance_admin
):
    set_framework_enabled(actor=governance_admin, framework="nist_ai_rmf", enabled=True)
    models = MLModel.objects.all()
    with CaptureQueriesContext(connection) as few:
        small = portfolio_coverage(models)
    for index in range(18):
        model = MLModelFactory(name=f"extra-{index:02d}", ai_act_category="high_risk")
        ModelVersionFactory(model=model, version=1, status="approved")
    with CaptureQueriesContext(connection) as many:
        large = portfolio_coverage(MLModel.objects.all())

    assert len(small.models) == 2 and len(large.models) == 20
    assert len(many.captured_queries) == len(few.captured_queries)


def test_portfolio_coverage_queries_are_pinned(
    scene, eu_pack, django_assert_num_queries
):
    # Frameworks 2 (packs, custom obligations), standings 9 (whose subjects'
    # facts, with the latest monitoring reports, coverage reads again without
    # a query), deployments 1, drift reports 1, alerts 1, audit retention 1,
    # the subjects' provenance and newest technical document 1, models (with
    # their current intake's oversight answers) 1.
    with django_assert_num_queries(17):
        portfolio_coverage(MLModel.objects.all())
