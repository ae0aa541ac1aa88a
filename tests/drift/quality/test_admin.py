"""The admin of monitoring beyond drift: reviewers resolve monitoring alerts
with a note; governance admins set an environment's limits, whose direction
the database checks."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse

from drift.models import MonitoringAlert, MonitoringThreshold
from drift.quality import parse_fairness
from drift.services import ingest_fairness_report
from registry.models import Environment
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(team, data_scientist):
    version = ModelVersionFactory(model=MLModelFactory(team=team), version=1)
    ingested = ingest_fairness_report(
        actor=data_scientist,
        version=version,
        environment=Environment.objects.get(name="production"),
        window_start=version.created_at,
        window_end=version.created_at + timedelta(days=1),
        data=parse_fairness(
            {
                "attribute": "sex",
                "group_counts": {
                    "men": {"tp": 40, "fp": 20, "tn": 30, "fn": 10},
                    "women": {"tp": 20, "fp": 0, "tn": 70, "fn": 10},
                },
            },
            max_rows=1,
        ),
    )
    (opened,) = ingested.alerts
    return opened


def test_a_reviewer_resolves_a_monitoring_alert_with_a_note(client, reviewer, alert):
    reviewer.is_staff = True
    reviewer.save()
    client.force_login(reviewer)
    url = reverse("admin:drift_monitoringalert_changelist")
    assert client.get(url).status_code == 200

    refused = client.post(
        url,
        {"action": "resolve", "_selected_action": [alert.pk], "note": ""},
        follow=True,
    )
    assert b"Say what was found or done" in refused.content
    client.post(
        url, {"action": "resolve", "_selected_action": [alert.pk], "note": "Fixed"}
    )

    resolved = MonitoringAlert.objects.get()
    assert (resolved.status, resolved.resolved_by) == ("resolved", reviewer)


@pytest.mark.parametrize(
    "page",
    [
        "admin:drift_monitoringthreshold_changelist",
        "admin:drift_performancereport_changelist",
        "admin:drift_fairnessreport_changelist",
    ],
)
def test_the_pages_load_for_a_governance_admin(client, governance_admin, alert, page):
    governance_admin.is_staff = True
    governance_admin.save()
    client.force_login(governance_admin)
    assert client.get(reverse(page)).status_code == 200


def test_a_critical_bound_on_the_wrong_side_is_refused_by_the_database():
    production = Environment.objects.get(name="production")
    with pytest.raises(IntegrityError):
        MonitoringThreshold.objects.create(
            environment=production, metric="auc", warning=0.7, critical=0.8
        )


def test_a_maximum_takes_its_critical_bound_above():
    production = Environment.objects.get(name="production")
    MonitoringThreshold.objects.create(
        environment=production, metric="ece", warning=0.05, critical=0.1
    )
    with pytest.raises(IntegrityError):
        MonitoringThreshold.objects.create(
            environment=production,
            metric="demographic_parity_difference",
            warning=0.2,
            critical=0.1,
        )
