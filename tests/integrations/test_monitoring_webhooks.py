"""Performance and fairness alerts reach webhook receivers the way drift
alerts do: opened, escalated and resolved, signed, with what a receiver needs
to act (the subject, value, limit, severity and links)."""

import time

import pytest
from django.test import Client

from drift.models import FairnessReport, MonitoringAlert, MonitoringThreshold
from integrations.models import WebhookEvent, WebhookSubscription
from integrations.services import deliver_next
from integrations.signing import verify
from registry.models import Environment
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cret-signing-key-123"
VERSION = "/api/v1/models/churn/versions/7/"
WINDOW = {
    "environment": "production",
    "window_start": "2026-11-01T00:00:00Z",
    "window_end": "2026-11-08T00:00:00Z",
}
ALERTS = "/api/v1/monitoring/alerts/"
HOOK = "http://127.0.0.1:18799/hook"  # written to the outbox, never delivered


def confusion(accuracy_percent: int) -> dict:
    """A confusion matrix of 100 rows with the given accuracy."""
    right, wrong = accuracy_percent, 100 - accuracy_percent
    return {
        "confusion_matrix": {
            "tp": right // 2,
            "tn": right - right // 2,
            "fp": wrong // 2,
            "fn": wrong - wrong // 2,
        }
    }


def group_counts(women_selected: int) -> dict:
    return {
        "men": {"tp": 40, "fp": 20, "tn": 30, "fn": 10},
        "women": {
            "tp": women_selected // 2,
            "fp": women_selected - women_selected // 2,
            "tn": 100 - women_selected - 10,
            "fn": 10,
        },
    }


@pytest.fixture
def version(team):
    model = MLModelFactory(name="churn", team=team)
    return ModelVersionFactory(model=model, version=7, status="approved")


@pytest.fixture
def accuracy_floor(db):
    """Accuracy must stay at or above 0.8 in production (critical under 0.6)."""
    return MonitoringThreshold.objects.create(
        environment=Environment.objects.get(name="production"),
        metric="accuracy",
        warning=0.8,
        critical=0.6,
    )


@pytest.fixture
def post_report(api_client_for, data_scientist, version):
    client = api_client_for(data_scientist)

    def post(kind="performance", environment="production", **body):
        response = client.post(
            f"{VERSION}{kind}-reports/",
            {**WINDOW, "environment": environment, **body},
            format="json",
        )
        assert response.status_code == 201, response.content
        return response.json()

    return post


def test_an_accuracy_under_its_floor_is_a_signed_opened_delivery(
    receiver, subscribe, post_report, accuracy_floor, settings
):
    settings.NOTIFICATION_BASE_URL = "https://mlgov.example.com/"
    subscribe(receiver.url, ["monitoring_alert.opened"], secret=SECRET)

    report = post_report(**confusion(50))
    deliver_next()

    (request,) = receiver.received
    assert verify(
        secret=SECRET,
        timestamp=request.headers["X-Mlgov-Timestamp"],
        body=request.body,
        signature=request.headers["X-Mlgov-Signature"],
        now=int(time.time()),
    )
    assert request.json["type"] == "monitoring_alert.opened"
    alert = MonitoringAlert.objects.get()
    assert request.json["data"] == {
        "alert_id": alert.pk,
        "kind": "performance",
        "model": "churn",
        "version": 7,
        "environment": "production",
        "metric": "accuracy",
        "attribute": None,
        "value": 0.5,
        "limit": 0.6,
        "limit_is_maximum": False,
        "severity": "critical",
        "status": "open",
        "report_id": report["id"],
        "links": {
            "api": "https://mlgov.example.com/api/v1/monitoring/alerts/"
            "?model=churn&version=7&environment=production&kind=performance",
            "report": "https://mlgov.example.com/api/v1/models/churn/versions/7/"
            f"performance-reports/{report['id']}/",
            "page": "https://mlgov.example.com/models/churn/",
        },
    }


def test_the_links_of_a_delivery_answer(
    subscribe, post_report, accuracy_floor, api_client_for, reviewer, settings
):
    settings.NOTIFICATION_BASE_URL = "http://testserver"
    subscribe(HOOK, ["monitoring_alert.opened"])
    post_report(**confusion(50))
    links = WebhookEvent.objects.get().payload["data"]["links"]
    client = api_client_for(reviewer)

    (listed,) = client.get(links["api"]).json()["results"]
    report = client.get(links["report"])

    assert listed["id"] == MonitoringAlert.objects.get().pk
    assert report.status_code == 200
    assert report.json()["accuracy"] == 0.5


def test_a_subscriber_to_drift_alerts_only_receives_nothing(
    subscribe, post_report, accuracy_floor
):
    subscribe(
        HOOK,
        ["drift_alert.opened", "drift_alert.escalated", "drift_alert.resolved"],
    )

    post_report(**confusion(50))

    assert MonitoringAlert.objects.get().severity == "critical"
    assert not WebhookEvent.objects.exists()


def test_a_report_within_every_limit_is_no_event(
    subscribe, post_report, accuracy_floor
):
    subscribe(HOOK, ["monitoring_alert.opened"])

    post_report(**confusion(90))

    assert not MonitoringAlert.objects.exists()
    assert not WebhookEvent.objects.exists()


def test_a_rising_severity_is_escalated_and_a_steady_one_is_silent(
    subscribe, post_report, accuracy_floor
):
    subscribe(
        HOOK,
        ["monitoring_alert.opened", "monitoring_alert.escalated"],
    )

    first = post_report(**confusion(70))
    post_report(**confusion(75))  # still a warning: nothing new to say
    worse = post_report(**confusion(50))
    post_report(**confusion(55))  # still critical

    opened, escalated = WebhookEvent.objects.order_by("created_at")
    assert opened.event_type == "monitoring_alert.opened"
    assert opened.payload["data"]["severity"] == "warning"
    assert opened.payload["data"]["limit"] == 0.8
    assert opened.payload["data"]["report_id"] == first["id"]
    assert escalated.event_type == "monitoring_alert.escalated"
    assert escalated.payload["data"]["alert_id"] == opened.payload["data"]["alert_id"]
    assert escalated.payload["data"]["severity"] == "critical"
    assert escalated.payload["data"]["value"] == 0.5
    assert escalated.payload["data"]["limit"] == 0.6
    assert escalated.payload["data"]["report_id"] == worse["id"]


def test_a_recovered_alert_that_worsens_again_is_escalated(
    subscribe, post_report, accuracy_floor
):
    subscribe(HOOK, ["monitoring_alert.escalated"])

    post_report(**confusion(70))
    post_report(**confusion(90))  # ok again, still open until someone resolves it
    post_report(**confusion(70))

    (escalated,) = WebhookEvent.objects.all()
    assert escalated.payload["data"]["severity"] == "warning"
    assert MonitoringAlert.objects.get().status == "open"


def test_resolving_is_an_event_and_acknowledging_is_not(
    subscribe, post_report, accuracy_floor, api_client_for, reviewer
):
    subscribe(HOOK, ["monitoring_alert.resolved"])
    post_report(**confusion(50))
    alert = MonitoringAlert.objects.get()
    client = api_client_for(reviewer)

    client.post(f"{ALERTS}{alert.pk}/acknowledge/", {"note": "on it"}, format="json")
    assert not WebhookEvent.objects.exists()
    resolved = client.post(
        f"{ALERTS}{alert.pk}/resolve/", {"note": "labels were late"}, format="json"
    )

    assert resolved.status_code == 200, resolved.content
    (event,) = WebhookEvent.objects.all()
    assert event.event_type == "monitoring_alert.resolved"
    data = event.payload["data"]
    assert (data["alert_id"], data["status"]) == (alert.pk, "resolved")
    assert (data["metric"], data["kind"]) == ("accuracy", "performance")
    assert data["resolved_by"] == "reviewer"
    assert data["resolution_note"] == "labels were late"


def test_a_refused_resolution_is_no_event(
    subscribe, post_report, accuracy_floor, api_client_for, data_scientist
):
    subscribe(HOOK, ["monitoring_alert.resolved"])
    post_report(**confusion(50))
    alert = MonitoringAlert.objects.get()

    refused = api_client_for(data_scientist).post(
        f"{ALERTS}{alert.pk}/resolve/", {"note": "mine"}, format="json"
    )

    assert refused.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_a_fairness_alert_carries_its_attribute(subscribe, post_report):
    subscribe(HOOK, ["monitoring_alert.opened"])

    report = post_report(
        kind="fairness", attribute="sex", group_counts=group_counts(women_selected=20)
    )

    # Without a configured limit, the four-fifths rule is the only one.
    (event,) = WebhookEvent.objects.all()
    data = event.payload["data"]
    assert data["kind"] == "fairness"
    assert (data["metric"], data["attribute"]) == ("disparate_impact_ratio", "sex")
    assert data["severity"] == "warning"
    assert data["limit"] == 0.8 and data["value"] < 0.8
    assert data["links"]["report"].endswith(f"/fairness-reports/{report['id']}/")
    assert data["links"]["api"].endswith("kind=fairness")
    assert FairnessReport.objects.get().pk == report["id"]


def test_a_maximum_is_named_as_one(subscribe, post_report):
    MonitoringThreshold.objects.create(
        environment=Environment.objects.get(name="production"),
        metric="demographic_parity_difference",
        warning=0.1,
        critical=0.3,
    )
    subscribe(HOOK, ["monitoring_alert.opened"])

    post_report(
        kind="fairness", attribute="sex", group_counts=group_counts(women_selected=20)
    )

    by_metric = {
        event.payload["data"]["metric"]: event.payload["data"]
        for event in WebhookEvent.objects.all()
    }
    gap = by_metric["demographic_parity_difference"]
    assert gap["limit_is_maximum"] is True
    assert gap["severity"] == "critical" and gap["value"] > 0.3
    assert by_metric["disparate_impact_ratio"]["limit_is_maximum"] is False


def test_subscriptions_accept_the_monitoring_events_and_refuse_unknown_ones(
    api_client_for, governance_admin, loopback_allowed
):
    client = api_client_for(governance_admin)
    body = {"name": "oncall", "url": "https://hooks.example.com/mlgov"}

    created = client.post(
        "/api/v1/webhooks/",
        {
            **body,
            "event_types": [
                "monitoring_alert.opened",
                "monitoring_alert.escalated",
                "monitoring_alert.resolved",
            ],
        },
        format="json",
    )
    refused = client.post(
        "/api/v1/webhooks/",
        {**body, "name": "other", "event_types": ["monitoring_alert.acknowledged"]},
        format="json",
    )

    assert created.status_code == 201, created.content
    assert sorted(created.json()["event_types"]) == [
        "monitoring_alert.escalated",
        "monitoring_alert.opened",
        "monitoring_alert.resolved",
    ]
    assert refused.status_code == 400
    assert "event_types" in refused.json()["error"]["details"]


def test_the_schema_lists_the_monitoring_events(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    enums = [
        component["enum"]
        for component in schema["components"]["schemas"].values()
        if "drift_alert.opened" in component.get("enum", [])
    ]

    assert enums
    for enum in enums:
        assert {
            "monitoring_alert.opened",
            "monitoring_alert.escalated",
            "monitoring_alert.resolved",
        } <= set(enum)


def test_the_admin_offers_and_accepts_the_monitoring_events(governance_admin):
    governance_admin.is_staff = True
    governance_admin.save()
    browser = Client()
    browser.force_login(governance_admin)
    form = browser.get("/admin/integrations/webhooksubscription/add/")
    assert "Performance or fairness alert escalated" in form.content.decode()

    browser.post(
        "/admin/integrations/webhooksubscription/add/",
        {
            "name": "oncall",
            "url": "https://hooks.example.com/oncall",
            "event_types": ["monitoring_alert.opened", "monitoring_alert.resolved"],
        },
    )

    assert sorted(WebhookSubscription.objects.get().event_types) == [
        "monitoring_alert.opened",
        "monitoring_alert.resolved",
    ]
