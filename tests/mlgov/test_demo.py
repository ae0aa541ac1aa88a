import stat
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from command_center.selectors.model_page import model_audit_history
from drift.models import DriftAlert, DriftReport
from governance.models import Approval, Policy, Waiver
from mlgov.demo import demo_objects, demo_steps
from registry.demo import LLM_DEMO_MODEL
from registry.models import MLModel, ModelVersion
from tests.factories import ModelVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _password_file(settings, tmp_path):
    settings.DEMO_PASSWORD_FILE = tmp_path / "var" / "demo-password"
    return settings.DEMO_PASSWORD_FILE


def _password(output: str) -> str:
    return output.rsplit(": ", 1)[1].strip()


def test_seed_demo_builds_a_portfolio_and_is_idempotent(capsys):
    call_command("seed_demo", "--models", "30")
    first_output = capsys.readouterr().out
    counts = (MLModel.objects.count(), ModelVersion.objects.count())
    decisions = Approval.objects.count()

    call_command("seed_demo", "--models", "30")
    second_output = capsys.readouterr().out

    # The generated portfolio, plus the worked LLM application.
    assert counts[0] == 30 + 1
    assert MLModel.objects.filter(name=LLM_DEMO_MODEL, kind="llm_application").exists()
    assert counts[1] >= 30
    assert (MLModel.objects.count(), ModelVersion.objects.count()) == counts
    assert Approval.objects.count() == decisions > 0
    assert set(MLModel.objects.values_list("risk_tier", flat=True)) == {
        "low",
        "medium",
        "high",
        "critical",
    }
    assert ModelVersion.objects.filter(parent__isnull=False).exists()
    assert "0 models and 0 versions added" in second_output
    assert authenticate(username="admin", password=_password(first_output))


def test_restarts_keep_the_password_in_a_private_file(capsys, _password_file):
    call_command("seed_demo", "--models", "3")
    first = _password(capsys.readouterr().out)
    call_command("seed_demo", "--models", "3")
    second = _password(capsys.readouterr().out)

    assert first == second
    assert _password_file.read_text().strip() == first
    assert stat.S_IMODE(_password_file.stat().st_mode) == 0o600
    assert authenticate(username="rita", password=second) is not None


def test_a_lost_password_file_gives_the_demo_users_a_new_password(
    capsys, _password_file
):
    call_command("seed_demo", "--models", "3")
    old = _password(capsys.readouterr().out)
    _password_file.unlink()

    call_command("seed_demo", "--models", "3")
    new = _password(capsys.readouterr().out)

    assert new != old
    assert authenticate(username="gina", password=new) is not None
    assert authenticate(username="gina", password=old) is None


def test_seed_demo_grows_an_existing_portfolio():
    call_command("seed_demo", "--models", "10")
    call_command("seed_demo", "--models", "25")

    assert MLModel.objects.exclude(name=LLM_DEMO_MODEL).count() == 25
    assert not MLModel.objects.filter(versions__isnull=True).exists()


def test_the_demo_never_decides_on_a_users_own_version():
    author = UserFactory(username="alice")
    version = ModelVersionFactory(
        status=ModelVersion.Status.IN_REVIEW,
        created_by=author,
        submitted_by=author,
        submitted_at=timezone.now() - timedelta(days=3),
        model__risk_tier="low",
    )
    approved = ModelVersionFactory(
        status=ModelVersion.Status.APPROVED,
        submitted_at=timezone.now() - timedelta(days=3),
        metrics={"auc": 0.9, "latency_ms": 900},
    )

    call_command("seed_demo", "--models", "40")

    for mine in (version, approved):
        assert not mine.approvals.exists()
        assert not Waiver.objects.filter(version=mine).exists()
        assert not DriftReport.objects.filter(version=mine).exists()
    assert not demo_objects(ModelVersion).filter(pk=version.pk).exists()


def test_the_demo_leaves_a_users_alerts_and_policies_alone(governance_admin):
    from governance.documents import parse_policy_document
    from governance.services import create_policy, known_environment_names

    document = parse_policy_document(
        {
            "name": "production-floor",
            "description": "Ours, stricter.",
            "enforcement": "advisory",
            "scope": {"risk_tiers": [], "environments": [], "tags": []},
            "rules": [{"kind": "min_approvals", "params": {"count": 3}}],
        },
        environments=known_environment_names(),
    )
    policy = create_policy(
        actor=governance_admin, document=document, reason="Our own floor"
    )

    call_command("seed_demo", "--models", "20")

    policy.refresh_from_db()
    assert (policy.revision, policy.description) == (1, "Ours, stricter.")
    assert not demo_objects(Policy).filter(pk=policy.pk).exists()
    assert not Waiver.objects.filter(policy=policy).exists()
    assert Policy.objects.filter(name="independent-review").exists()


def test_a_same_named_user_is_not_the_demos(capsys):
    rita = UserFactory(username="rita")
    rita.set_password("her own")
    rita.save()

    call_command("seed_demo", "--models", "10")
    output = capsys.readouterr().out

    assert authenticate(username="rita", password="her own") is not None
    assert not Approval.objects.filter(reviewer=rita).exists()
    assert "rita" in output.split("left alone", 1)[1]


def test_no_seeded_record_is_dated_in_the_future():
    call_command("seed_demo", "--models", "60")
    now = timezone.now()

    assert Approval.objects.count() > 0
    assert not Approval.objects.filter(created_at__gt=now).exists()
    assert not ModelVersion.objects.filter(submitted_at__gt=now).exists()
    assert not Waiver.objects.filter(granted_at__gt=now).exists()
    assert not DriftReport.objects.filter(window_end__gt=now).exists()


def test_seeded_decisions_keep_four_eyes_and_the_review_policy():
    call_command("seed_demo", "--models", "60")

    for approval in Approval.objects.select_related("version"):
        assert approval.reviewer_id not in (
            approval.version.created_by_id,
            approval.version.submitted_by_id,
        )
    # A version still in review has fewer approvals than its policy needs.
    in_review = ModelVersion.objects.filter(status=ModelVersion.Status.IN_REVIEW)
    for version in in_review.select_related("model"):
        needed = 2 if version.model.risk_tier in ("high", "critical") else 1
        assert version.approvals.count() < needed


def test_seeded_rows_are_attributed_in_the_audit_trail():
    call_command("seed_demo", "--models", "60")

    waivers = list(Waiver.objects.select_related("granted_by"))
    approvals = list(Approval.objects.select_related("reviewer"))
    assert waivers and approvals
    for row in [*waivers, *approvals]:
        entry = LogEntry.objects.get_for_object(row).get(action=LogEntry.Action.CREATE)
        expected = row.granted_by if isinstance(row, Waiver) else row.reviewer
        assert entry.actor == expected
    assert DriftAlert.objects.exists()


def test_seeded_models_and_versions_have_their_creation_in_the_audit_trail():
    call_command("seed_demo", "--models", "12")

    models = list(demo_objects(MLModel).select_related("owner"))
    versions = list(demo_objects(ModelVersion).select_related("created_by"))
    assert models and versions
    for row in [*models, *versions]:
        entry = LogEntry.objects.get_for_object(row).get(action=LogEntry.Action.CREATE)
        expected = row.owner if isinstance(row, MLModel) else row.created_by
        assert entry.actor == expected
    history = model_audit_history(model_id=models[0].pk)
    kinds = {entry.content_type.model for entry in history}
    assert {"mlmodel", "modelversion"} <= kinds


def test_every_app_registers_its_demo_step_in_app_order():
    """Drift's step comes after the deployment history it reports on."""
    assert [name for name, _ in demo_steps()][:4] == [
        "registry",
        "governance",
        "deployments",
        "drift",
    ]


def test_the_demo_reports_performance_and_the_credit_models_fairness():
    from drift.models import FairnessReport, PerformanceReport

    call_command("seed_demo", "--models", "60")
    reports = PerformanceReport.objects.count()
    now = timezone.now()

    assert reports > 0
    assert not PerformanceReport.objects.filter(window_end__gt=now).exists()
    fairness = FairnessReport.objects.select_related("version__model")
    assert fairness.exists()
    assert {report.version.model.name[:3] for report in fairness} == {"pd-"}
    assert {report.attribute for report in fairness} == {"age_band"}
    assert FairnessReport.objects.filter(four_fifths_passed=False).exists()
    call_command("seed_demo", "--models", "60")
    assert PerformanceReport.objects.count() == reports
