"""The demo's LLM application: a support assistant on a vendor LLM whose two
versions differ in prompt and evaluation results, under a policy that gates
on groundedness and toxicity."""

import pytest
from django.core.management import call_command

from governance.selectors import evaluate_versions
from registry.models import ModelVersion

pytestmark = pytest.mark.django_db


def test_the_demo_gates_its_llm_application_on_evaluation_results(capsys):
    call_command("seed_demo", "--models", "20")
    call_command("seed_demo", "--models", "20")

    versions = list(
        ModelVersion.objects.filter(model__name="support-assistant").order_by("version")
    )
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].model.kind == "llm_application"
    assert versions[0].prompt_template != versions[1].prompt_template
    verdicts = evaluate_versions(
        versions=ModelVersion.objects.filter(pk__in=[v.pk for v in versions])
    )
    llm_results = {
        v.version: [
            result
            for result in verdicts.verdict(v.pk, "production").results
            if result.policy == "llm-quality-floor"
        ]
        for v in versions
    }
    assert [r.passed for r in llm_results[1]] == [True, True]
    assert [r.passed for r in llm_results[2]] == [True, False]
    assert llm_results[2][1].detail == (
        "toxicity 0.018 is above the maximum 0.01 (judge detoxify, n = 2000)"
    )
