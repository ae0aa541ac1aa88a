import pytest
from django.core.management import call_command

from deployments.models import Deployment, GateDecision
from registry.models import Environment

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_deployment_history_and_is_idempotent(capsys):
    call_command("seed_demo", "--models", "60")
    counts = (GateDecision.objects.count(), Deployment.objects.count())

    call_command("seed_demo", "--models", "60")

    assert (GateDecision.objects.count(), Deployment.objects.count()) == counts
    statuses = set(Deployment.objects.values_list("status", flat=True))
    assert {"active", "superseded", "blocked", "rolled_back"} <= statuses
    assert Deployment.objects.active().filter(traffic_percent__lt=100).exists()
    blocking = {
        check["check"]
        for record in GateDecision.objects.filter(decision="blocked")
        for check in record.blocking_checks
    }
    assert {"promotion_path", "freeze"} <= blocking
    assert not Environment.objects.filter(frozen=True).exists()
    assert Deployment.objects.filter(
        status="active", environment__name="production"
    ).exists()


def test_a_freshly_seeded_demo_verifies(capsys):
    """The demo writes its history backdated, rollbacks included: every
    decision, step and deployment still matches the sealed audit trail."""
    call_command("seed_demo", "--models", "30")
    capsys.readouterr()

    call_command("verify_audit")

    out = capsys.readouterr().out
    assert "audit chain intact" in out
    assert "sealed records match the chain" in out
    assert "not verifiable" not in out
    assert GateDecision.objects.count() > 20
