"""The gate at the moment of a move: a move that puts a version into service
(start, complete, promote) re-checks the freeze and the governance verdict,
an approval expires if not started in time, and every such refusal is
recorded; a rollback still runs during a freeze."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from deployments.exceptions import ApprovalExpiredError, GateRecheckError
from deployments.models import Deployment, MoveRefusal
from deployments.services import (
    complete_deployment,
    promote_deployment,
    rollback_deployment,
    start_deployment,
)
from registry.services import freeze_environment
from tests.factories import DeploymentFactory, MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

FROZEN_PREFIX = "production is frozen since "
FROZEN_SUFFIX = " by gov-admin: Quarter-end close"


@pytest.fixture
def production(environments):
    return environments["production"]


@pytest.fixture
def freeze(governance_admin, production):
    def do():
        freeze_environment(
            actor=governance_admin, environment=production, reason="Quarter-end close"
        )

    return do


@pytest.fixture
def primary(churn, production):
    """churn v6 serves production as the primary."""
    return DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=6, status="approved"),
        environment=production,
    )


def deployment_in(status, version, environment, **fields):
    return DeploymentFactory(
        version=version, environment=environment, status=status, **fields
    )


def move(client, deployment, action, **body):
    return client.post(
        f"/api/v1/deployments/{deployment.pk}/{action}/", body, format="json"
    )


def assert_refused_by_freeze(response, deployment, action, status):
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "gate_check_failed"
    assert error["message"].startswith(f"Deployment {deployment.pk} cannot {action}: ")
    assert FROZEN_PREFIX in error["message"]
    assert error["message"].endswith(FROZEN_SUFFIX + ".")
    assert error["details"]["check"] == "freeze"
    deployment.refresh_from_db()
    assert deployment.status == status


def refusals_of(deployment):
    return list(
        MoveRefusal.objects.filter(deployment=deployment).values_list(
            "action", "status", "failed_check", "actor__username"
        )
    )


# ------------------------------------------------------------- the freeze


def test_a_request_approved_before_a_freeze_cannot_start_inside_it(
    scientist_client, approved, production, freeze
):
    deployment = deployment_in("approved", approved, production)
    freeze()

    response = move(scientist_client, deployment, "start")

    assert_refused_by_freeze(response, deployment, "start", "approved")
    assert not deployment.steps.exists()
    assert refusals_of(deployment) == [("start", "approved", "freeze", "scientist")]


def test_a_rollout_started_before_a_freeze_cannot_complete_inside_it(
    scientist_client, approved, production, primary, freeze
):
    deployment = deployment_in("approved", approved, production)
    assert move(scientist_client, deployment, "start").status_code == 200
    freeze()

    response = move(scientist_client, deployment, "complete")

    assert_refused_by_freeze(response, deployment, "complete", "in_progress")
    primary.refresh_from_db()
    assert primary.status == "active"
    assert refusals_of(deployment) == [
        ("complete", "in_progress", "freeze", "scientist")
    ]


def test_an_active_canary_cannot_be_promoted_inside_a_freeze(
    scientist_client, approved, production, primary, freeze
):
    canary = deployment_in(
        "active", approved, production, strategy="canary", traffic_percent=10
    )
    freeze()

    half = move(scientist_client, canary, "promote", traffic_percent=50)
    full = move(scientist_client, canary, "promote", traffic_percent=100)

    assert_refused_by_freeze(half, canary, "promote", "active")
    assert_refused_by_freeze(full, canary, "promote", "active")
    canary.refresh_from_db()
    primary.refresh_from_db()
    assert (canary.traffic_percent, primary.status) == (10, "active")
    assert [r[0] for r in refusals_of(canary)] == ["promote", "promote"]


def test_a_rollback_still_runs_during_a_freeze(
    scientist_client, approved, production, primary, freeze
):
    deployment = deployment_in("approved", approved, production)
    move(scientist_client, deployment, "start")
    move(scientist_client, deployment, "complete")
    freeze()

    response = move(scientist_client, deployment, "rollback", reason="auc dropped")

    assert response.status_code == 200
    assert response.json()["status"] == "rolled_back"
    primary.refresh_from_db()
    assert primary.status == "active"
    assert not MoveRefusal.objects.exists()


def test_a_failed_rollout_may_be_reported_during_a_freeze(
    scientist_client, approved, production, freeze
):
    deployment = deployment_in("approved", approved, production)
    move(scientist_client, deployment, "start")
    freeze()

    response = move(scientist_client, deployment, "fail", reason="pods crashloop")

    assert response.status_code == 200
    assert response.json()["status"] == "failed"


def test_a_freeze_of_another_environment_does_not_stop_the_move(
    scientist_client, approved, production, governance_admin, environments
):
    deployment = deployment_in("approved", approved, production)
    freeze_environment(
        actor=governance_admin, environment=environments["staging"], reason="Drill"
    )

    assert move(scientist_client, deployment, "start").status_code == 200


def test_the_services_refuse_the_same_moves_inside_a_freeze(
    data_scientist, approved, churn, production, primary, freeze
):
    starting = deployment_in("approved", approved, production)
    completing = deployment_in(
        "in_progress",
        ModelVersionFactory(
            model=MLModelFactory(name="fraud-score", team=churn.team),
            version=1,
            status="approved",
        ),
        production,
    )
    canary = deployment_in(
        "active",
        ModelVersionFactory(model=churn, version=9, status="approved"),
        production,
        strategy="canary",
        traffic_percent=10,
    )
    freeze()

    for service, deployment, extra in (
        (start_deployment, starting, {}),
        (complete_deployment, completing, {}),
        (promote_deployment, canary, {"traffic_percent": 100}),
    ):
        with pytest.raises(GateRecheckError) as refused:
            service(actor=data_scientist, deployment=deployment, **extra)
        assert refused.value.code == "gate_check_failed"
        assert FROZEN_PREFIX in refused.value.message

    assert sorted(r.action for r in MoveRefusal.objects.all()) == [
        "complete",
        "promote",
        "start",
    ]
    rolled_back = rollback_deployment(
        actor=data_scientist, deployment=canary, reason="errors up"
    )
    assert rolled_back.status == "rolled_back"


# ------------------------------------------------------------- governance


@pytest.fixture
def tightened(make_policy):
    """After the approval: production now needs an AUC of 0.95 (v7 has 0.90)."""

    def do():
        make_policy(
            "production-floor",
            [
                {
                    "kind": "metric_threshold",
                    "params": {"metric": "auc", "op": ">=", "value": 0.95},
                }
            ],
            environments=["production"],
        )

    return do


def test_a_policy_tightened_after_approval_stops_the_start(
    scientist_client, approved, production, tightened
):
    deployment = deployment_in("approved", approved, production)
    tightened()

    response = move(scientist_client, deployment, "start")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "gate_check_failed"
    assert error["details"]["check"] == "governance"
    assert (
        "the evaluation for production fails 1 enforced rule: production-floor: "
        "auc 0.90 is below the minimum 0.95" in error["message"]
    )
    deployment.refresh_from_db()
    assert deployment.status == "approved"
    assert refusals_of(deployment) == [("start", "approved", "governance", "scientist")]


def test_a_policy_tightened_after_the_start_stops_completion_and_promotion(
    data_scientist, approved, churn, production, tightened
):
    completing = deployment_in("in_progress", approved, production)
    canary = deployment_in(
        "active",
        ModelVersionFactory(model=churn, version=9, status="approved"),
        production,
        strategy="canary",
        traffic_percent=10,
    )
    tightened()

    with pytest.raises(GateRecheckError, match="production-floor"):
        complete_deployment(actor=data_scientist, deployment=completing)
    with pytest.raises(GateRecheckError, match="production-floor"):
        promote_deployment(actor=data_scientist, deployment=canary, traffic_percent=50)


def test_a_policy_for_another_environment_does_not_stop_the_start(
    scientist_client, approved, production, make_policy
):
    deployment = deployment_in("approved", approved, production)
    make_policy(
        "staging-floor",
        [
            {
                "kind": "metric_threshold",
                "params": {"metric": "auc", "op": ">=", "value": 0.99},
            }
        ],
        environments=["staging"],
    )

    assert move(scientist_client, deployment, "start").status_code == 200


# ---------------------------------------------------------------- expiry


def test_an_approval_older_than_its_lifetime_cannot_start(
    scientist_client, approved, production, settings
):
    settings.DEPLOYMENT_APPROVAL_TTL_HOURS = 24
    deployment = deployment_in(
        "approved",
        approved,
        production,
        requested_at=timezone.now() - timedelta(hours=25),
    )

    response = move(scientist_client, deployment, "start")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "approval_expired"
    assert "approved more than 24 h ago" in error["message"]
    assert "request the deployment again" in error["message"]
    deployment.refresh_from_db()
    assert deployment.status == "approved"
    assert refusals_of(deployment) == [
        ("start", "approved", "approval_expiry", "scientist")
    ]


def test_the_approval_lifetime_is_a_setting(
    data_scientist, approved, production, settings
):
    deployment = deployment_in(
        "approved",
        approved,
        production,
        requested_at=timezone.now() - timedelta(hours=25),
    )

    settings.DEPLOYMENT_APPROVAL_TTL_HOURS = 1
    with pytest.raises(ApprovalExpiredError, match="more than 1 h ago"):
        start_deployment(actor=data_scientist, deployment=deployment)

    settings.DEPLOYMENT_APPROVAL_TTL_HOURS = 48
    started = start_deployment(actor=data_scientist, deployment=deployment)
    assert started.status == "in_progress"


def test_the_lifetime_is_24_hours_by_default():
    from django.conf import settings

    assert settings.DEPLOYMENT_APPROVAL_TTL_HOURS == 24


def test_a_started_rollout_does_not_expire(
    scientist_client, approved, production, primary, settings
):
    settings.DEPLOYMENT_APPROVAL_TTL_HOURS = 24
    deployment = deployment_in(
        "in_progress",
        approved,
        production,
        requested_at=timezone.now() - timedelta(hours=30),
        supersedes=primary,
    )

    assert move(scientist_client, deployment, "complete").status_code == 200


# -------------------------------------------------------------- the record


def test_a_refusal_is_in_the_audit_trail_with_its_actor_and_sentence(
    scientist_client, approved, production, freeze, data_scientist
):
    deployment = deployment_in("approved", approved, production)
    freeze()

    move(scientist_client, deployment, "start", reason="window opened")

    refusal = MoveRefusal.objects.get()
    assert (refusal.actor, refusal.reason) == (data_scientist, "window opened")
    assert refusal.detail.startswith(FROZEN_PREFIX)
    entry = LogEntry.objects.get(content_type__model="moverefusal")
    assert entry.actor == data_scientist
    assert entry.changes_dict["failed_check"][1] == "freeze"


def test_a_refusal_is_one_event(
    scientist_client,
    approved,
    production,
    freeze,
    log_lines,
    django_capture_on_commit_callbacks,
):
    deployment = deployment_in("approved", approved, production)
    freeze()

    with django_capture_on_commit_callbacks(execute=True):
        move(scientist_client, deployment, "start")

    events = [e for e in log_lines() if e.get("event", "").startswith("deployment.")]
    assert [(e["event"], e["action"], e["check"]) for e in events] == [
        ("deployment.move_refused", "start", "freeze")
    ]


def test_refusals_are_never_changed_or_deleted(
    data_scientist, approved, production, freeze
):
    from django.db import IntegrityError, transaction

    deployment = deployment_in("approved", approved, production)
    freeze()
    with pytest.raises(GateRecheckError):
        start_deployment(actor=data_scientist, deployment=deployment)

    with pytest.raises(IntegrityError), transaction.atomic():
        MoveRefusal.objects.update(detail="nothing happened")
    with pytest.raises(IntegrityError), transaction.atomic():
        MoveRefusal.objects.all().delete()
    assert MoveRefusal.objects.count() == 1


def test_a_move_refused_by_its_status_is_not_a_gate_refusal(
    scientist_client, approved, production
):
    deployment = deployment_in("approved", approved, production)

    response = move(scientist_client, deployment, "complete")

    assert response.json()["error"]["code"] == "invalid_transition"
    assert not MoveRefusal.objects.exists()
    assert Deployment.objects.get(pk=deployment.pk).status == "approved"
