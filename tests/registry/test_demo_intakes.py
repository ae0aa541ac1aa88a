"""The demo's intakes: the worked example of issue 24 and one timeline."""

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command

from registry.models import MLModel, UseCaseIntake

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(capsys):
    call_command("seed_demo", "--models", "30")
    capsys.readouterr()


def test_the_credit_scoring_model_is_high_risk_with_oversight_answered_later(
    seeded,
):
    intake, later = UseCaseIntake.objects.filter(model__name="pd-00001").order_by(
        "revision"
    )

    assert intake.summary == "high-risk (Annex III 5(b), creditworthiness)"
    assert intake.human_oversight_measures == ""
    # The compliance step: the team answers oversight in a second revision.
    assert later.has_oversight_measures and later.human_oversight_contact
    assert later.summary == intake.summary
    assert intake.answered_at < later.answered_at
    assert MLModel.objects.get(name="pd-00001").ai_act_category == "high_risk"
    others = UseCaseIntake.objects.filter(domain="creditworthiness").exclude(
        model__name="pd-00001"
    )
    assert others.exists()
    assert all(other.has_oversight_measures for other in others)


def test_intakes_are_answered_by_the_owner_after_registration(seeded):
    intakes = UseCaseIntake.objects.select_related("model")
    assert {i.derived_category for i in intakes} >= {
        "high_risk",
        "limited_risk",
        "minimal",
    }
    for intake in intakes:
        assert intake.answered_by == intake.model.owner
        assert intake.model.created_at < intake.answered_at
        entry = LogEntry.objects.get_for_object(intake).get()
        assert entry.timestamp == intake.answered_at
        assert entry.actor == intake.model.owner


def test_a_second_load_answers_nothing_again(seeded, capsys):
    count = UseCaseIntake.objects.count()

    call_command("seed_demo", "--models", "30")

    assert UseCaseIntake.objects.count() == count
