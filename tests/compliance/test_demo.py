"""The demo enables the EU AI Act pack and shows real coverage."""

import pytest
from django.core.management import call_command

from command_center.selectors import portfolio_summary
from compliance.engine import MET
from compliance.models import FrameworkPack, TechnicalDocument
from compliance.selectors import coverage_for_model
from registry.models import MLModel

pytestmark = pytest.mark.django_db


def test_the_demo_enables_the_eu_pack_with_met_and_unmet_obligations(capsys):
    call_command("seed_demo", "--models", "30")
    call_command("seed_demo", "--models", "30")

    pack = FrameworkPack.objects.get(framework="eu_ai_act")
    assert pack.enabled and pack.changed_by.username == "gina"
    assert MLModel.objects.filter(ai_act_category="high_risk").exists()
    (eu,) = portfolio_summary()["obligation_coverage"]
    assert eu["framework"] == "eu_ai_act"
    assert eu["met"] > 0 and eu["unmet"] + eu["partly_met"] > 0
    assert "EU AI Act pack enabled" in capsys.readouterr().out


def test_the_demo_ends_the_worked_example(capsys):
    call_command("seed_demo", "--models", "30")

    model = MLModel.objects.get(name="pd-00001")
    first, second = model.intakes.order_by("revision")
    assert first.summary == "high-risk (Annex III 5(b), creditworthiness)"
    assert first.human_oversight_measures == ""
    assert second.human_oversight_contact == "Head of Credit Decisioning"
    assert second.answered_by == model.owner
    eu = {
        result.obligation.id: result.status
        for result in coverage_for_model(name="pd-00001").frameworks[0].obligations
    }
    assert eu["art-14"] == MET and eu["art-10"] == MET
    (document,) = TechnicalDocument.objects.filter(version__model=model)
    assert document.generated_by == model.owner
    assert "pd-00001: its human oversight answered and its Annex IV" in (
        capsys.readouterr().out
    )
