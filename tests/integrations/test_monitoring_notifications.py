"""A critical performance or fairness alert in production e-mails the
model's owners, as critical drift does; a warning, another environment, a
version not serving production or a muted kind e-mails nobody."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from drift.models import MonitoringAlert, MonitoringThreshold
from drift.services import ingest_performance_report, parse_performance_payload
from integrations.models import EmailNotification, NotificationKind
from integrations.services import send_due_emails, set_notification_preferences
from registry.models import Environment
from tests.factories import (
    DeploymentFactory,
    MLModelFactory,
    ModelVersionFactory,
    UserFactory,
)
from tests.integrations.test_monitoring_webhooks import (
    VERSION,
    WINDOW,
    confusion,
    group_counts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", email="owner@example.com")


@pytest.fixture
def version(team, owner):
    model = MLModelFactory(name="churn", team=team, owner=owner)
    return ModelVersionFactory(model=model, version=7, status="approved")


def serve(version, environment="production"):
    DeploymentFactory(
        version=version, environment=Environment.objects.get(name=environment)
    )


@pytest.fixture
def floors(db):
    """Accuracy floors in production and staging: a warning under 0.8, critical
    under 0.6."""
    for name in ("production", "staging"):
        MonitoringThreshold.objects.create(
            environment=Environment.objects.get(name=name),
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


def test_a_critical_performance_alert_in_production_tells_the_owner(
    mail_server, version, floors, post_report
):
    serve(version)

    post_report(**confusion(70))
    assert not EmailNotification.objects.exists(), "a warning e-mails nobody"
    post_report(**confusion(50))
    post_report(**confusion(45))  # still critical: no second e-mail
    send_due_emails()

    (message,) = mail_server.to("owner@example.com")
    assert message["Subject"] == "Critical performance alert: churn v7, accuracy"
    body = message.get_content()
    assert "The accuracy of churn v7, which serves production, is 0.5 in " in body
    assert "past its critical floor of 0.6" in body
    assert "/models/churn/" in body
    assert EmailNotification.objects.get().kind == "critical_monitoring"
    assert mail_server.received == [message], "the team's members are not told"


def test_a_critical_fairness_alert_names_the_attribute_and_its_maximum(
    mail_server, version, post_report
):
    serve(version)
    MonitoringThreshold.objects.create(
        environment=Environment.objects.get(name="production"),
        metric="demographic_parity_difference",
        warning=0.1,
        critical=0.3,
    )

    post_report(
        kind="fairness", attribute="sex", group_counts=group_counts(women_selected=20)
    )
    send_due_emails()

    # The four-fifths rule's alert is a warning: only the gap is critical.
    (message,) = mail_server.to("owner@example.com")
    assert message["Subject"] == (
        "Critical fairness alert: churn v7, demographic_parity_difference by sex"
    )
    assert "past its critical maximum of 0.3" in message.get_content()


def test_a_critical_alert_in_staging_tells_nobody(version, floors, post_report):
    serve(version)
    serve(version, "staging")

    post_report(environment="staging", **confusion(50))

    assert not EmailNotification.objects.exists()


def test_a_critical_alert_on_a_version_not_serving_production_tells_nobody(
    version, floors, post_report
):
    serve(version, "staging")

    report = post_report(**confusion(50))

    assert report["alerts"][0]["severity"] == "critical"
    assert not EmailNotification.objects.exists()


def test_an_owner_who_muted_the_kind_is_not_told(owner, version, floors, post_report):
    serve(version)
    set_notification_preferences(
        actor=owner,
        kinds=[k for k in NotificationKind.values if k != "critical_monitoring"],
        delivery="immediate",
    )

    post_report(**confusion(50))

    assert not EmailNotification.objects.exists()


def test_a_digest_owner_gets_it_held_for_the_digest(
    owner, version, floors, post_report
):
    serve(version)
    set_notification_preferences(
        actor=owner, kinds=NotificationKind.values, delivery="digest"
    )

    post_report(**confusion(50))

    notification = EmailNotification.objects.get()
    assert (notification.kind, notification.state) == ("critical_monitoring", "held")


def test_a_rolled_back_report_leaves_no_email(version, floors, data_scientist):
    serve(version)
    start = timezone.now() - timedelta(days=7)

    with pytest.raises(RuntimeError), transaction.atomic():
        ingest_performance_report(
            actor=data_scientist,
            version=version,
            environment=Environment.objects.get(name="production"),
            window_start=start,
            window_end=start + timedelta(days=7),
            data=parse_performance_payload(confusion(50)),
        )
        raise RuntimeError("the request failed after the report")

    assert not MonitoringAlert.objects.exists()
    assert not EmailNotification.objects.exists()
