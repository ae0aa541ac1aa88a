"""The admin pages governance staff read: is it deployable, is it drifting,
why, without hopping between pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import Approval, Evaluation
from tests.factories import (
    DriftAlertFactory,
    DriftReportFactory,
    MLModelFactory,
    ModelVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _reviewed_version(team, index=0):
    version = ModelVersionFactory(
        model=MLModelFactory(name=f"churn-{index}", team=team),
        version=1,
        status="approved",
        metrics={"auc": 0.91, "latency_ms": 120},
        params={"max_depth": 6},
        model_card={"intended_use": "Scores churn."},
    )
    reviewer = UserFactory(username=f"rev-{index}")
    Approval.objects.create(
        version=version, reviewer=reviewer, decision="approve", comment="Fine"
    )
    Evaluation.objects.create(
        version=version,
        passed=False,
        trigger="request",
        results=[
            {
                "policy": "floor",
                "revision": 1,
                "rule": 1,
                "kind": "metric_threshold",
                "params": {},
                "enforcement": "enforce",
                "passed": False,
                "waived": False,
                "detail": "auc 0.91 is below the minimum 0.95",
            }
        ],
    )
    DriftAlertFactory(version=version, latest_report__version=version, feature="age")
    return version


def _version_page(client, version):
    return client.get(reverse("admin:registry_modelversion_change", args=[version.pk]))


def test_the_version_page_answers_why(client, staff, team):
    version = _reviewed_version(team)

    page = _version_page(client, version).content.decode()

    assert "auc 0.91 is below the minimum 0.95" in page
    assert "Fine" in page  # the approval's comment
    assert "open drift alerts" in page.lower()
    assert "field-feature" in page and ">age<" in page
    assert "<th scope='row'>latency ms</th><td>120</td>" in page
    assert "<th scope='row'>intended use</th><td>Scores churn.</td>" in page
    assert 'name="metrics"' not in page
    assert 'name="_save"' not in page


def test_a_draft_keeps_its_save_button_and_editable_evidence(client, staff, team):
    draft = ModelVersionFactory(model=MLModelFactory(team=team), version=1)

    page = _version_page(client, draft).content.decode()

    assert 'name="_save"' in page
    assert 'name="metrics"' in page


@pytest.mark.parametrize("count", [1, 5])
def test_the_version_page_query_count_is_constant(
    client, staff, team, django_assert_num_queries, count
):
    version = _reviewed_version(team)
    for index in range(count - 1):
        DriftAlertFactory(version=version, latest_report__version=version)
        Evaluation.objects.create(version=version, passed=True, trigger="request")
        Approval.objects.create(
            version=version,
            reviewer=UserFactory(username=f"extra-{index}"),
            decision="approve",
        )

    # session, user, the version (twice: the Save-button check), four inlines, …
    with django_assert_num_queries(11):
        response = _version_page(client, version)

    assert response.status_code == 200


def test_the_model_list_shows_the_latest_version_and_its_status(client, staff, team):
    model = MLModelFactory(name="churn", team=team)
    ModelVersionFactory(model=model, version=1, status="approved")
    ModelVersionFactory(model=model, version=2, status="in_review")

    page = client.get(reverse("admin:registry_mlmodel_changelist")).content.decode()

    assert '<td class="field-latest_version">2</td>' in page
    assert '<td class="field-latest_status">In review</td>' in page


def _model_list(client) -> str:
    return client.get(reverse("admin:registry_mlmodel_changelist")).content.decode()


def test_the_model_list_counts_open_drift_alerts_by_severity(client, staff, team):
    drifting = MLModelFactory(name="churn", team=team)
    old = ModelVersionFactory(model=drifting, version=1, status="approved")
    new = ModelVersionFactory(model=drifting, version=2, status="approved")
    # Alerts of every version count, worst severity first; acknowledged ones
    # are still open, resolved ones are not.
    DriftAlertFactory(version=old, latest_report__version=old, severity="warning")
    DriftAlertFactory(version=new, latest_report__version=new, severity="critical")
    DriftAlertFactory(
        version=new,
        latest_report__version=new,
        severity="warning",
        status="acknowledged",
        acknowledged_at=timezone.now(),
    )
    DriftAlertFactory(
        version=new,
        latest_report__version=new,
        severity="critical",
        status="resolved",
        resolved_at=timezone.now(),
    )
    calm = MLModelFactory(name="pricing", team=team)
    version = ModelVersionFactory(model=calm, version=1, status="approved")
    DriftAlertFactory(
        version=version,
        latest_report__version=version,
        status="resolved",
        resolved_at=timezone.now(),
    )

    page = _model_list(client)

    assert '<td class="field-open_drift_alerts">1 critical, 2 warning</td>' in page
    assert '<td class="field-open_drift_alerts">none</td>' in page
    assert page.count('class="field-open_drift_alerts"') == 2


def test_drift_reports_are_titled_and_rounded(client, staff, team):
    report = DriftReportFactory(
        version=ModelVersionFactory(
            model=MLModelFactory(name="churn", team=team), version=3
        ),
        drift_share=0.6666667,
    )

    listing = client.get(reverse("admin:drift_driftreport_changelist")).content
    detail = client.get(
        reverse("admin:drift_driftreport_change", args=[report.pk])
    ).content.decode()

    assert b"churn v3 in production" in listing
    assert b"67%" in listing
    assert "churn v3 in production" in detail
    assert 'name="_save"' not in detail


@pytest.mark.parametrize("count", [2, 12])
def test_the_drift_report_list_query_count_is_constant(
    client, staff, team, django_assert_num_queries, count
):
    for index in range(count):
        DriftReportFactory(
            version=ModelVersionFactory(
                model=MLModelFactory(name=f"m-{index}", team=team), version=1
            )
        )

    with django_assert_num_queries(6):
        client.get(reverse("admin:drift_driftreport_changelist"))
