"""Each domain decision is one JSON event and one metric, after its commit."""

import pytest
from django.db import transaction

from drift.models import DriftAlert
from governance.services import approve_version, grant_waiver, revoke_waiver
from mlgov.events import announce
from tests.drift.conftest import report_body, shifted_numeric
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import approvals, auc_floor
from tests.mlgov.conftest import metric

pytestmark = pytest.mark.django_db


def events(lines, name):
    return [line for line in lines if line.get("event") == name]


def test_an_approval_is_one_event_and_one_count(
    log_lines, reviewer, team, make_policy, django_capture_on_commit_callbacks
):
    make_policy("review", [approvals(1)])
    version = ModelVersionFactory(
        model=MLModelFactory(team=team, name="churn"), version=1, status="in_review"
    )
    before = metric("mlgov_approvals_total", decision="approve")

    with django_capture_on_commit_callbacks(execute=True):
        approve_version(version=version, reviewer=reviewer, comment="secret-ish text")

    (event,) = events(log_lines(), "approval.recorded")
    assert (event["model"], event["version"], event["status"]) == (
        "churn",
        1,
        "approved",
    )
    assert event["reviewer_id"] == reviewer.pk
    assert "secret-ish text" not in log_lines.raw()
    assert metric("mlgov_approvals_total", decision="approve") == before + 1
    assert events(log_lines(), "evaluation.recorded")[0]["trigger"] == "review"


def test_policy_changes_and_waivers_are_events(
    log_lines, governance_admin, team, make_policy, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        policy = make_policy("floor", [auc_floor()])
        waiver = grant_waiver(
            actor=governance_admin,
            version=ModelVersionFactory(model=MLModelFactory(team=team), version=1),
            policy=policy,
            rule_position=1,
            justification="Known gap, fixed in the next release",
            expires_at=timezone.now() + timedelta(days=3),
        )
        revoke_waiver(actor=governance_admin, waiver=waiver, reason="Fixed")

    lines = log_lines()
    assert events(lines, "policy.created")[0]["policy"] == "floor"
    assert events(lines, "waiver.granted")[0]["waiver_id"] == waiver.pk
    assert events(lines, "waiver.revoked")[0]["actor_id"] == governance_admin.pk


def test_drift_reports_and_alert_moves_are_events(
    log_lines,
    api_client_for,
    data_scientist,
    reviewer,
    team,
    django_capture_on_commit_callbacks,
):
    ModelVersionFactory(
        model=MLModelFactory(name="churn", team=team), version=7, status="approved"
    )
    with django_capture_on_commit_callbacks(execute=True):
        api_client_for(data_scientist).post(
            "/api/v1/drift/reports/",
            report_body([shifted_numeric(shift=8)]),
            format="json",
        )
        alert = DriftAlert.objects.get()
        api_client_for(reviewer).post(
            f"/api/v1/drift/alerts/{alert.pk}/acknowledge/",
            {"note": "x"},
            format="json",
        )

    lines = log_lines()
    (ingested,) = events(lines, "drift.report_ingested")
    assert ingested["alerts_drifting"] == 1
    assert events(lines, "drift.alert_acknowledged")[0]["alert_id"] == alert.pk


def test_a_rolled_back_decision_is_neither_logged_nor_counted(
    log_lines, django_capture_on_commit_callbacks
):
    counted = []

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                announce("approval.recorded", count=lambda: counted.append(1))
                raise RuntimeError("refused later in the transaction")
        except RuntimeError:
            pass

    assert events(log_lines(), "approval.recorded") == []
    assert counted == []


def test_an_evaluation_on_request_is_counted_at_once_without_a_log_line(
    log_lines, team, make_policy
):
    from governance.services import evaluate_version
    from registry.selectors import environment_by_name

    make_policy("floor", [auc_floor(0.99)])
    version = ModelVersionFactory(model=MLModelFactory(team=team), version=1)
    before = metric("mlgov_evaluations_total", outcome="failed", environment="staging")

    verdict = evaluate_version(
        version=version, environment=environment_by_name(name="staging")
    )

    assert not verdict.passed
    assert metric(
        "mlgov_evaluations_total", outcome="failed", environment="staging"
    ) == (before + 1)
    assert events(log_lines(), "evaluation.computed") == []


def test_a_failing_subscriber_neither_fails_the_decision_nor_silences_others(
    log_lines, django_capture_on_commit_callbacks
):
    from mlgov import events as domain_events

    heard = []

    def broken(fields):
        raise RuntimeError("counter exploded")

    domain_events.subscribe("test.event", broken)
    domain_events.subscribe("test.event", heard.append)
    domain_events.subscribe("test.event", heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            announce("test.event", answer=42)
    finally:
        del domain_events.subscribers["test.event"]

    assert heard == [{"answer": 42}]
    assert events(log_lines(), "test.event")[0]["answer"] == 42
