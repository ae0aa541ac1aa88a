"""Events reach the outbox in the transaction of their change, only for
subscriptions that want them."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from drift.services import resolve_alert
from governance.services import (
    approve_version,
    grant_waiver,
    reject_version,
    submit_for_review,
)
from integrations.models import WebhookDelivery, WebhookEvent
from integrations.services import notify_expiring_waivers, update_subscription
from tests.drift.conftest import report_body, shifted_numeric
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import approvals, auc_floor

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:18799/hook"


@pytest.fixture
def version(team, data_scientist):
    model = MLModelFactory(name="churn", team=team, risk_tier="high")
    return ModelVersionFactory(
        model=model,
        version=3,
        status="in_review",
        created_by=data_scientist,
        submitted_by=data_scientist,
        metrics={"auc": 0.9},
    )


def test_an_approval_that_settles_the_version_is_one_outbox_event(
    subscribe, version, reviewer, make_policy
):
    make_policy("review", [approvals(1)])
    subscription = subscribe(URL, ["version.approved", "version.rejected"])

    approve_version(version=version, reviewer=reviewer)

    (event,) = WebhookEvent.objects.all()
    assert event.event_type == "version.approved"
    assert event.payload["data"] == {
        "model": "churn",
        "version": 3,
        "status": "approved",
        "decided_by": "reviewer",
    }
    assert event.payload["id"] == str(event.id)
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.subscription, delivery.status) == (subscription, "pending")


def test_an_approval_that_leaves_the_version_in_review_is_no_event(
    subscribe, version, reviewer, make_policy
):
    make_policy("review", [approvals(2)])
    subscribe(URL, ["version.approved"])

    approve_version(version=version, reviewer=reviewer)

    assert not WebhookEvent.objects.exists()


def test_a_rejection_is_a_version_rejected_event(subscribe, version, reviewer):
    subscribe(URL, ["version.rejected"])

    reject_version(version=version, reviewer=reviewer, comment="no")

    assert WebhookEvent.objects.get().event_type == "version.rejected"


def test_a_rolled_back_decision_leaves_no_event(
    subscribe, version, reviewer, make_policy
):
    make_policy("review", [approvals(1)])
    subscribe(URL, ["version.approved"])

    with pytest.raises(RuntimeError), transaction.atomic():
        approve_version(version=version, reviewer=reviewer)
        raise RuntimeError("the request failed after the decision")

    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()
    version.refresh_from_db()
    assert version.status == "in_review"


def test_events_nobody_subscribed_to_write_nothing(
    subscribe, version, reviewer, make_policy
):
    make_policy("review", [approvals(1)])
    subscribe(URL, ["drift_alert.opened"])

    approve_version(version=version, reviewer=reviewer)

    assert not WebhookEvent.objects.exists()


def test_a_disabled_subscription_gets_no_new_events(
    subscribe, version, reviewer, governance_admin, make_policy
):
    make_policy("review", [approvals(1)])
    subscription = subscribe(URL, ["version.approved"])
    update_subscription(
        actor=governance_admin, subscription=subscription, is_active=False
    )

    approve_version(version=version, reviewer=reviewer)

    assert not WebhookEvent.objects.exists()


def test_each_subscriber_gets_its_own_delivery_of_one_event(
    subscribe, team, data_scientist
):
    subscribe(URL, ["version.submitted"], name="one")
    subscribe(URL, ["version.submitted", "version.approved"], name="two")
    draft = ModelVersionFactory(
        model=MLModelFactory(team=team, name="fraud-score"),
        version=1,
        created_by=data_scientist,
    )

    submit_for_review(actor=data_scientist, version=draft)

    event = WebhookEvent.objects.get()
    assert event.payload["data"]["submitted_by"] == "scientist"
    assert sorted(
        WebhookDelivery.objects.values_list("subscription__name", flat=True)
    ) == ["one", "two"]


def test_drift_alerts_opened_escalated_and_resolved_are_events(
    subscribe, team, data_scientist, reviewer, api_client_for, settings
):
    settings.NOTIFICATION_BASE_URL = "http://127.0.0.1:8000"
    model = MLModelFactory(name="churn", team=team)
    ModelVersionFactory(model=model, version=7, status="approved")
    subscribe(
        URL,
        ["drift_alert.opened", "drift_alert.escalated", "drift_alert.resolved"],
    )
    client = api_client_for(data_scientist)

    mild = client.post(
        "/api/v1/drift/reports/",
        report_body([shifted_numeric(shift=1.5)]),
        format="json",
    )
    strong = client.post(
        "/api/v1/drift/reports/",
        report_body([shifted_numeric(shift=30)]),
        format="json",
    )

    assert (mild.status_code, strong.status_code) == (201, 201)
    opened, escalated = WebhookEvent.objects.order_by("created_at")
    assert opened.event_type == "drift_alert.opened"
    assert opened.payload["data"]["severity"] == "warning"
    assert opened.payload["data"]["feature"] == "age"
    assert escalated.event_type == "drift_alert.escalated"
    assert escalated.payload["data"]["severity"] == "critical"
    assert escalated.payload["data"]["report_id"] == strong.json()["id"]
    assert escalated.payload["data"]["links"] == {
        "api": "http://127.0.0.1:8000/api/v1/drift/alerts/"
        "?model=churn&version=7&environment=production",
        "report": f"http://127.0.0.1:8000/api/v1/drift/reports/{strong.json()['id']}/",
        "page": "http://127.0.0.1:8000/models/churn/",
    }

    from drift.models import DriftAlert

    resolve_alert(actor=reviewer, alert=DriftAlert.objects.get(), note="retrained")

    resolved = WebhookEvent.objects.order_by("created_at").last()
    assert resolved.event_type == "drift_alert.resolved"
    assert resolved.payload["data"]["resolved_by"] == "reviewer"
    assert resolved.payload["data"]["resolution_note"] == "retrained"


def test_an_expiring_waiver_is_announced_once(
    subscribe, version, governance_admin, make_policy
):
    policy = make_policy("floor", [auc_floor(0.95)])
    subscribe(URL, ["waiver.expiring"])
    now = timezone.now()
    soon = grant_waiver(
        actor=governance_admin,
        version=version,
        policy=policy,
        rule_position=1,
        justification="Retraining with this week's data",
        expires_at=now + timedelta(days=2),
    )
    grant_waiver(
        actor=governance_admin,
        version=ModelVersionFactory(model=version.model, version=4),
        policy=policy,
        rule_position=1,
        justification="Accepted until the next release",
        expires_at=now + timedelta(days=60),
    )

    first = notify_expiring_waivers()
    second = notify_expiring_waivers()

    assert [w.pk for w in first] == [soon.pk]
    assert second == []
    event = WebhookEvent.objects.get()
    assert event.event_type == "waiver.expiring"
    assert event.payload["data"]["waiver_id"] == soon.pk
    assert event.payload["data"]["policy"] == "floor"


def test_the_scheduled_command_says_what_it_announced(
    subscribe, version, governance_admin, make_policy
):
    import io

    from django.core.management import call_command

    policy = make_policy("floor", [auc_floor(0.95)])
    grant_waiver(
        actor=governance_admin,
        version=version,
        policy=policy,
        rule_position=1,
        justification="Short-lived gap, retraining underway",
        expires_at=timezone.now() + timedelta(hours=5),
    )
    out = io.StringIO()

    call_command("notify_expiring_waivers", stdout=out)
    call_command("notify_expiring_waivers", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("waiver ")
    assert "floor rule 1" in lines[0]
    assert lines[1] == "1 expiring waiver(s) announced."
    assert lines[2] == "0 expiring waiver(s) announced."


def test_gate_decisions_and_deployment_moves_are_events(
    subscribe, team, data_scientist
):
    from deployments.services import request_deployment, start_deployment
    from registry.models import Environment

    subscribe(URL, ["gate.decision", "deployment.moved"])
    model = MLModelFactory(name="scorer", team=team)
    approved = ModelVersionFactory(model=model, version=1, status="approved")
    draft = ModelVersionFactory(model=model, version=2)
    development = Environment.objects.get(name="development")

    blocked = request_deployment(
        actor=data_scientist, version=draft, environment=development
    )
    allowed = request_deployment(
        actor=data_scientist, version=approved, environment=development
    )
    start_deployment(actor=data_scientist, deployment=allowed)

    first, second, moved = WebhookEvent.objects.order_by("created_at")
    assert (first.event_type, first.payload["data"]["decision"]) == (
        "gate.decision",
        "blocked",
    )
    assert first.payload["data"]["deployment_id"] == blocked.pk
    assert "version_status" in first.payload["data"]["failing_checks"]
    assert first.payload["data"]["requested_by"] == "scientist"
    assert second.payload["data"]["decision"] == "approved"
    assert moved.event_type == "deployment.moved"
    assert moved.payload["data"]["action"] == "start"
    assert moved.payload["data"]["status"] == "in_progress"
    assert moved.payload["data"]["moved_by"] == "scientist"
