"""The demo tells one story on one timeline: a version is created, submitted,
decided and only then deployed; every seeded row and its audit entry carry
the time it happened; the last 30 days hold gate decisions; nothing is left
frozen; drift, performance and fairness are reported only where, and while, a
version served; every gate decision stored the evaluation it made; and the
worked example pd-00001 ends with its monitoring evidence in place."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from compliance.engine import MET
from compliance.models import TechnicalDocument
from compliance.selectors import coverage_for_model
from deployments.models import Deployment, DeploymentStep, GateDecision
from drift.models import DriftAlert, DriftReport, FairnessReport, PerformanceReport
from governance.models import Approval, Evaluation, Policy, Waiver
from registry.models import Environment, MLModel, ModelVersion, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(capsys):
    """The demo, loaded between two readings of the clock."""
    before = timezone.now()
    call_command("seed_demo", "--models", "60")
    capsys.readouterr()
    return before, timezone.now()


def created_entry(row) -> LogEntry:
    return LogEntry.objects.get_for_object(row).get(action=LogEntry.Action.CREATE)


def test_versions_are_created_before_they_are_submitted_decided_and_deployed(
    seeded,
):
    versions = ModelVersion.objects.select_related("model", "parent").annotate(
        first_decision=Min("approvals__created_at"),
        last_decision=Max("approvals__created_at"),
        first_request=Min("gate_decisions__requested_at"),
    )
    assert versions.filter(first_request__isnull=False).count() > 20
    for version in versions:
        assert version.model.created_at < version.created_at
        if version.parent is not None:
            assert version.parent.created_at < version.created_at
        if version.submitted_at is not None:
            assert version.created_at < version.submitted_at
        if version.first_decision is not None:
            assert version.submitted_at < version.first_decision
        if version.first_request is not None:
            assert version.last_decision < version.first_request, version


def test_every_seeded_row_and_its_audit_entry_carry_its_time(seeded):
    before, after = seeded
    dated = [
        *((row, row.created_at) for row in Approval.objects.all()),
        *((row, row.granted_at) for row in Waiver.objects.all()),
        *((row, row.requested_at) for row in GateDecision.objects.all()),
        *((row, row.requested_at) for row in Deployment.objects.all()),
        *((row, row.created_at) for row in DriftReport.objects.all()),
        *((row, row.first_seen_at) for row in DriftAlert.objects.all()),
        *((row, row.created_at) for row in Policy.objects.all()),
        *((row, row.created_at) for row in MLModel.objects.all()),
        *((row, row.created_at) for row in ModelVersion.objects.all()),
    ]
    kinds = {type(row) for row, _ in dated}
    assert kinds == {
        MLModel,
        ModelVersion,
        Approval,
        Waiver,
        GateDecision,
        Deployment,
        DriftReport,
        DriftAlert,
        Policy,
    }
    for row, when in dated:
        assert when < before, row
        assert created_entry(row).timestamp == when, row
    for step in DeploymentStep.objects.all():
        assert LogEntry.objects.get_for_object(step).get().timestamp == step.at
    first_model = MLModel.objects.aggregate(first=Min("created_at"))["first"]
    for team in Team.objects.all():
        assert created_entry(team).timestamp < first_model
    for policy in Policy.objects.all():
        assert policy.created_at < first_model
        assert {revision.created_at for revision in policy.revisions.all()} == {
            policy.created_at
        }
    assert not LogEntry.objects.filter(timestamp__gt=after).exists()


def test_moved_alerts_are_moved_after_they_were_seen(seeded):
    moved = DriftAlert.objects.exclude(status="open")
    assert moved.exists()
    for alert in moved:
        at = alert.acknowledged_at or alert.resolved_at
        assert alert.last_seen_at < at < seeded[0]
        entry = LogEntry.objects.get_for_object(alert).filter(
            action=LogEntry.Action.UPDATE, changes__has_key="status"
        )
        assert entry.get().timestamp == at


def test_the_last_30_days_hold_gate_decisions_and_nothing_is_left_frozen(seeded):
    before, _ = seeded
    recent = GateDecision.objects.filter(requested_at__gte=before - timedelta(days=30))

    assert recent.filter(decision="approved").exists()
    assert not Environment.objects.filter(frozen=True).exists()
    # The freeze is history: a request it blocked at the time.
    assert any(
        check["check"] == "freeze"
        for record in GateDecision.objects.filter(decision="blocked")
        for check in record.blocking_checks
    )


def test_drift_is_reported_only_where_and_while_the_version_served(seeded):
    reports = DriftReport.objects.select_related("version", "environment")
    assert reports.count() > 10
    for report in reports:
        served = DeploymentStep.objects.filter(
            deployment__version=report.version,
            deployment__environment=report.environment,
            deployment__status="active",
            to_status="active",
            at__lte=report.window_start,
        )
        assert served.exists(), report
        assert report.window_end < report.created_at < seeded[0]


def test_performance_and_fairness_are_reported_only_while_the_version_served(
    seeded,
):
    reports: list[PerformanceReport | FairnessReport] = [
        *PerformanceReport.objects.select_related("version", "environment"),
        *FairnessReport.objects.select_related("version", "environment"),
    ]
    assert len(reports) > 10
    for report in reports:
        served = DeploymentStep.objects.filter(
            deployment__version=report.version,
            deployment__environment=report.environment,
            deployment__status="active",
            to_status="active",
            at__lte=report.window_start,
        )
        assert served.exists(), report
        assert report.window_end < report.created_at < seeded[0]


def test_every_gate_decision_stored_the_evaluation_it_made(seeded):
    decisions = GateDecision.objects.all()
    evaluations = Evaluation.objects.filter(trigger=Evaluation.Trigger.GATE)
    assert decisions.count() > 20
    assert evaluations.count() == decisions.count()
    for decision in decisions:
        evaluation = evaluations.get(
            version=decision.version_id,
            environment=decision.environment_id,
            evaluated_at=decision.requested_at,
        )
        assert evaluation.requested_by_id == decision.requested_by_id
        assert evaluation.passed == decision.evaluation["passed"]
        assert evaluation.results == decision.evaluation["results"]


def test_the_worked_example_ends_with_its_monitoring_evidence(seeded):
    before, _ = seeded
    serving = Deployment.objects.select_related("version").get(
        model__name="pd-00001",
        environment__name="production",
        status="active",
        traffic_percent=100,
    )
    since = serving.steps.filter(to_status="active").latest("at").at
    for reports in (PerformanceReport.objects, FairnessReport.objects):
        report = reports.filter(version=serving.version).latest("created_at")
        assert since <= report.window_start < report.window_end
        assert report.window_end < report.created_at < before

    eu = {
        result.obligation.reference: result.status
        for result in coverage_for_model(name="pd-00001").frameworks[0].obligations
    }
    # Data governance, accuracy and post-market monitoring rest on the
    # serving version's performance and fairness reports.
    assert eu["Art. 10"] == eu["Art. 15"] == eu["Art. 72"] == MET
    # The model card the demo gives the version has no caveats (Art. 11, 13).
    assert eu["Art. 14"] == MET

    document = TechnicalDocument.objects.get(version=serving.version)
    gaps = {gap["item"] for gap in document.gaps}
    assert not gaps & {
        "Fairness reports",
        "Performance reports",
        "Governance evaluations",
    }
    assert "never evaluated against the policies" not in document.html


def test_a_second_load_adds_nothing_to_the_story(seeded, capsys):
    story = (
        LogEntry,
        GateDecision,
        Deployment,
        DriftReport,
        PerformanceReport,
        FairnessReport,
        Evaluation,
        Approval,
        Waiver,
    )
    counts = [model.objects.count() for model in story]

    call_command("seed_demo", "--models", "60")

    assert [model.objects.count() for model in story] == counts
