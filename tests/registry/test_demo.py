import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from registry.models import MLModel, ModelVersion

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_portfolio_and_is_idempotent(capsys):
    call_command("seed_demo", "--models", "30")
    first_output = capsys.readouterr().out
    models, versions = MLModel.objects.count(), ModelVersion.objects.count()

    call_command("seed_demo", "--models", "30")
    second_output = capsys.readouterr().out

    assert models == 30
    assert versions >= 30
    assert (MLModel.objects.count(), ModelVersion.objects.count()) == (models, versions)
    assert set(MLModel.objects.values_list("risk_tier", flat=True)) == {
        "low",
        "medium",
        "high",
        "critical",
    }
    assert ModelVersion.objects.filter(parent__isnull=False).exists()
    password = second_output.rsplit(": ", 1)[1].strip()
    assert password not in first_output
    assert authenticate(username="admin", password=password) is not None


def test_seed_demo_grows_an_existing_portfolio():
    call_command("seed_demo", "--models", "10")
    call_command("seed_demo", "--models", "25")

    assert MLModel.objects.count() == 25
    assert not MLModel.objects.filter(versions__isnull=True).exists()
