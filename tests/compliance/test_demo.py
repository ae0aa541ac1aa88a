"""The demo enables the EU AI Act pack and shows real coverage."""

import pytest
from django.core.management import call_command

from command_center.selectors import portfolio_summary
from compliance.models import FrameworkPack
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
