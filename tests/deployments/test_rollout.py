"""The rollout state machine through the API: start, complete, fail, promote,
rollback; illegal moves answer 409 naming the status and the allowed moves."""

import pytest
from auditlog.models import LogEntry
from django.db import IntegrityError, transaction

from deployments.models import Deployment, DeploymentStep
from deployments.services import rollback_deployment
from mlgov.exceptions import FieldError
from tests.factories import DeploymentFactory, ModelVersionFactory, UserFactory
from tests.mlgov.conftest import metric

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(environments):
    return environments["production"]


@pytest.fixture
def primary(churn, production):
    """churn v6 serves production as the primary."""
    return DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=6, status="approved"),
        environment=production,
    )


def approved_request(version, environment, **fields):
    return DeploymentFactory(
        version=version, environment=environment, status="approved", **fields
    )


def canary_beside(primary, version):
    return DeploymentFactory(
        version=version,
        environment=primary.environment,
        strategy="canary",
        traffic_percent=10,
    )


def move(client, deployment, action, **body):
    return client.post(
        f"/api/v1/deployments/{deployment.pk}/{action}/", body, format="json"
    )


def test_a_full_deployment_replaces_the_primary(
    scientist_client, approved, production, primary
):
    deployment = approved_request(approved, production)

    started = move(scientist_client, deployment, "start")
    completed = move(scientist_client, deployment, "complete", reason="healthy")

    assert started.status_code == 200
    assert started.json()["status"] == "in_progress"
    assert completed.status_code == 200
    body = completed.json()
    assert (body["status"], body["supersedes"]) == ("active", primary.pk)
    assert [s["action"] for s in body["steps"]] == ["start", "complete"]
    assert body["steps"][1]["reason"] == "healthy"
    primary.refresh_from_db()
    assert primary.status == "superseded"
    assert (
        primary.ended_at
        == deployment.__class__.objects.get(pk=deployment.pk).activated_at
    )


def test_an_illegal_move_is_409_naming_the_status_and_the_allowed_moves(
    scientist_client, approved, production
):
    deployment = approved_request(approved, production)
    move(scientist_client, deployment, "start")

    response = move(scientist_client, deployment, "start")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    assert error["details"] == {
        "status": "in_progress",
        "action": "start",
        "allowed": ["complete", "fail"],
    }
    assert "is in_progress" in error["message"]
    assert "Allowed moves: complete, fail." in error["message"]


def test_a_blocked_deployment_has_no_moves(scientist_client, approved, production):
    blocked = DeploymentFactory(
        version=approved, environment=production, status="blocked"
    )

    response = move(scientist_client, blocked, "start")

    assert response.status_code == 409
    assert response.json()["error"]["details"]["allowed"] == []
    assert "none (its status is final)" in response.json()["error"]["message"]


def test_a_failed_rollout_leaves_the_primary_serving(
    scientist_client, approved, production, primary
):
    deployment = approved_request(approved, production)
    move(scientist_client, deployment, "start")

    response = move(scientist_client, deployment, "fail", reason="pods crashloop")

    assert response.json()["status"] == "failed"
    primary.refresh_from_db()
    assert primary.status == "active"


def test_only_one_rollout_per_model_and_environment_starts(
    scientist_client, approved, churn, production
):
    first = approved_request(approved, production)
    other = ModelVersionFactory(model=churn, version=8, status="approved")
    second = approved_request(other, production)
    move(scientist_client, first, "start")

    response = move(scientist_client, second, "start")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "concurrent_rollout"
    assert f"deployment {first.pk}" in response.json()["error"]["message"]


def test_a_canary_serves_beside_the_primary_then_becomes_it(
    scientist_client, approved, production, primary
):
    canary = approved_request(
        approved, production, strategy="canary", traffic_percent=10
    )
    move(scientist_client, canary, "start")
    move(scientist_client, canary, "complete")
    primary.refresh_from_db()
    assert primary.status == "active"

    half = move(scientist_client, canary, "promote", traffic_percent=50)
    full = move(scientist_client, canary, "promote", traffic_percent=100)

    assert half.json()["traffic_percent"] == 50
    assert full.status_code == 200
    assert (full.json()["traffic_percent"], full.json()["supersedes"]) == (
        100,
        primary.pk,
    )
    primary.refresh_from_db()
    assert primary.status == "superseded"
    assert [s["traffic_percent"] for s in full.json()["steps"]] == [10, 10, 50, 100]


def test_promotion_only_raises_a_canarys_share(
    scientist_client, approved, production, primary
):
    canary = DeploymentFactory(
        version=approved,
        environment=production,
        strategy="canary",
        traffic_percent=30,
    )

    lower = move(scientist_client, canary, "promote", traffic_percent=20)
    of_primary = move(scientist_client, primary, "promote", traffic_percent=100)
    missing = move(scientist_client, canary, "promote")

    assert lower.status_code == 400
    assert "traffic_percent" in lower.json()["error"]["details"]
    assert of_primary.status_code == 409
    assert of_primary.json()["error"]["code"] == "not_a_canary"
    assert missing.status_code == 400
    assert "traffic_percent" in missing.json()["error"]["details"]


def test_a_second_active_canary_is_refused(scientist_client, churn, production):
    DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=5, status="approved"),
        environment=production,
        strategy="canary",
        traffic_percent=5,
    )
    second = DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=9, status="approved"),
        environment=production,
        strategy="canary",
        traffic_percent=5,
        status="in_progress",
    )

    response = move(scientist_client, second, "complete")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "concurrent_rollout"
    second.refresh_from_db()
    assert second.status == "in_progress"
    assert not DeploymentStep.objects.filter(deployment=second).exists()


def test_rollback_returns_to_the_superseded_deployment_as_a_new_step(
    scientist_client, approved, production, primary
):
    deployment = approved_request(approved, production)
    move(scientist_client, deployment, "start")
    move(scientist_client, deployment, "complete")

    response = move(scientist_client, deployment, "rollback", reason="auc dropped")

    assert response.status_code == 200
    assert response.json()["status"] == "rolled_back"
    primary.refresh_from_db()
    assert (primary.status, primary.ended_at) == ("active", None)
    steps = list(primary.steps.values_list("action", "to_status", "reason"))
    assert steps == [
        ("supersede", "superseded", ""),
        ("restore", "active", "auc dropped"),
    ]


def test_rollback_with_nothing_to_return_to_is_a_clear_409(scientist_client, primary):
    response = move(scientist_client, primary, "rollback", reason="auc dropped")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "nothing_to_roll_back_to"
    assert "nothing to return to" in error["message"]
    primary.refresh_from_db()
    assert primary.status == "active"


def test_rolling_back_a_canary_leaves_the_primary(
    scientist_client, approved, production, primary
):
    canary = DeploymentFactory(
        version=approved,
        environment=production,
        strategy="canary",
        traffic_percent=10,
    )

    response = move(scientist_client, canary, "rollback", reason="errors up")

    assert response.json()["status"] == "rolled_back"
    primary.refresh_from_db()
    assert primary.status == "active"


def test_moves_are_for_the_owning_team(
    api_client_for, other_data_scientist, viewer, approved, production
):
    deployment = approved_request(approved, production)

    other = move(api_client_for(other_data_scientist), deployment, "start")
    read_only = move(api_client_for(viewer), deployment, "start")

    assert other.status_code == 404
    assert read_only.status_code == 403
    deployment.refresh_from_db()
    assert deployment.status == "approved"


@pytest.mark.parametrize("action", ["start", "complete", "fail", "rollback"])
def test_a_data_scientist_in_no_team_is_forbidden_to_move(
    api_client_for, approved, production, action
):
    teamless = UserFactory(username="teamless", roles=["data_scientist"])
    deployment = approved_request(approved, production)

    response = move(api_client_for(teamless), deployment, action, reason="why")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "no team" in response.json()["error"]["message"]
    deployment.refresh_from_db()
    assert deployment.status == "approved"


def test_a_data_scientist_in_no_team_is_forbidden_to_promote(
    api_client_for, approved, production
):
    teamless = UserFactory(username="teamless", roles=["data_scientist"])
    canary = DeploymentFactory(
        version=approved, environment=production, strategy="canary", traffic_percent=5
    )

    response = move(api_client_for(teamless), canary, "promote", traffic_percent=50)

    assert response.status_code == 403


def test_a_move_is_one_event_and_one_count_after_commit(
    scientist_client,
    approved,
    production,
    log_lines,
    django_capture_on_commit_callbacks,
):
    deployment = approved_request(approved, production)
    before = metric(
        "mlgov_deployment_moves_total", action="start", environment="production"
    )

    with django_capture_on_commit_callbacks(execute=True):
        move(scientist_client, deployment, "start")

    events = [e for e in log_lines() if e.get("event") == "deployment.moved"]
    assert [(e["action"], e["status"]) for e in events] == [("start", "in_progress")]
    assert (
        metric("mlgov_deployment_moves_total", action="start", environment="production")
        == before + 1
    )


def test_a_refused_move_announces_nothing(
    scientist_client, primary, log_lines, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        move(scientist_client, primary, "rollback", reason="auc dropped")

    assert not [e for e in log_lines() if e.get("event") == "deployment.moved"]


def test_a_request_is_one_event_and_counts_by_decision_and_environment(
    scientist_client, approved, log_lines, django_capture_on_commit_callbacks
):
    before = metric(
        "mlgov_gate_decisions_total", outcome="blocked", environment="production"
    )

    with django_capture_on_commit_callbacks(execute=True):
        scientist_client.post(
            "/api/v1/deployments/",
            {"model": "churn", "version": 7, "environment": "production"},
            format="json",
        )

    (event,) = [e for e in log_lines() if e.get("event") == "deployment.requested"]
    assert (event["decision"], event["failing_checks"]) == (
        "blocked",
        ["promotion_path"],
    )
    assert (
        metric(
            "mlgov_gate_decisions_total", outcome="blocked", environment="production"
        )
        == before + 1
    )


def test_the_dry_run_announces_nothing(
    scientist_client, approved, log_lines, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        scientist_client.post(
            "/api/v1/deployments/check/",
            {"model": "churn", "version": 7, "environment": "production"},
            format="json",
        )

    assert callbacks == []
    assert Deployment.objects.count() == 0


def test_completing_after_the_primary_changed_is_refused(
    scientist_client, approved, churn, production, primary
):
    first = approved_request(approved, production)
    second = approved_request(
        ModelVersionFactory(model=churn, version=8, status="approved"), production
    )
    move(scientist_client, first, "start")
    move(scientist_client, first, "fail")
    move(scientist_client, second, "start")
    Deployment.objects.filter(pk=second.pk).update(supersedes=None)

    response = move(scientist_client, second, "complete")

    assert response.status_code == 409
    assert "changed since this rollout started" in response.json()["error"]["message"]
    assert (
        f"deployment {primary.pk} (version 6) now serves"
        in (response.json()["error"]["message"])
    )


def test_every_move_is_in_the_audit_trail_with_its_actor(
    scientist_client, approved, production, primary, data_scientist
):
    from auditlog.models import LogEntry

    deployment = approved_request(approved, production)
    move(scientist_client, deployment, "start")
    move(scientist_client, deployment, "complete")
    move(scientist_client, deployment, "rollback", reason="bad")

    entries = LogEntry.objects.filter(
        content_type__model="deployment", object_id__in=[deployment.pk, primary.pk]
    )
    statuses = [(e.object_id, e.changes_dict.get("status"), e.actor) for e in entries]
    assert (deployment.pk, ["in_progress", "active"], data_scientist) in statuses
    assert (primary.pk, ["active", "superseded"], data_scientist) in statuses
    assert (primary.pk, ["superseded", "active"], data_scientist) in statuses
    assert (deployment.pk, ["active", "rolled_back"], data_scientist) in statuses
    assert DeploymentStep.objects.filter(actor=data_scientist).count() == 5


@pytest.mark.parametrize("body", [{}, {"reason": ""}])
def test_a_rollback_without_a_reason_is_a_400_naming_the_field(
    scientist_client, approved, production, primary, body
):
    deployment = canary_beside(primary, approved)

    response = move(scientist_client, deployment, "rollback", **body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["details"] == {
        "reason": ["A rollback needs a reason: say what went wrong."]
    }
    deployment.refresh_from_db()
    assert deployment.status == "active"
    assert not deployment.steps.filter(action="rollback").exists()


def test_the_rollback_reason_is_on_the_step_and_in_the_audit_trail(
    scientist_client, approved, production, primary
):
    deployment = canary_beside(primary, approved)

    move(scientist_client, deployment, "rollback", reason="latency doubled")

    step = deployment.steps.get(action="rollback")
    assert step.reason == "latency doubled"
    entry = LogEntry.objects.get_for_object(step).get()
    assert entry.changes_dict["reason"] == ["None", "latency doubled"]


def test_the_service_refuses_a_blank_rollback_reason(
    data_scientist, approved, production, primary
):
    deployment = canary_beside(primary, approved)

    with pytest.raises(FieldError) as refused:
        rollback_deployment(actor=data_scientist, deployment=deployment, reason="  ")

    assert refused.value.field == "reason"
    deployment.refresh_from_db()
    assert deployment.status == "active"


def test_the_database_refuses_a_rollback_step_without_a_reason(
    data_scientist, approved, primary
):
    deployment = canary_beside(primary, approved)

    with pytest.raises(IntegrityError), transaction.atomic():
        DeploymentStep.objects.create(
            deployment=deployment,
            action="rollback",
            from_status="active",
            to_status="rolled_back",
            traffic_percent=100,
            reason="",
            actor=data_scientist,
        )
