import pytest
from django.urls import reverse

from drift.models import DriftAlert
from tests.factories import DriftAlertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_reviewer(reviewer):
    reviewer.is_staff = True
    reviewer.save()
    return reviewer


def test_admin_acknowledge_action_needs_a_note(client, staff_reviewer):
    alert = DriftAlertFactory()
    client.force_login(staff_reviewer)
    url = reverse("admin:drift_driftalert_changelist")

    refused = client.post(
        url,
        {"action": "acknowledge", "_selected_action": [alert.pk], "note": ""},
        follow=True,
    )
    alert.refresh_from_db()
    assert alert.status == "open"
    assert b"Say what was found or done" in refused.content

    client.post(
        url, {"action": "acknowledge", "_selected_action": [alert.pk], "note": "On it"}
    )
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", staff_reviewer)


def test_admin_resolve_action(client, staff_reviewer):
    alert = DriftAlertFactory()
    client.force_login(staff_reviewer)

    client.post(
        reverse("admin:drift_driftalert_changelist"),
        {"action": "resolve", "_selected_action": [alert.pk], "note": "Fixed upstream"},
    )

    assert DriftAlert.objects.get().status == "resolved"


@pytest.mark.parametrize(
    "page", ["admin:drift_driftreport_changelist", "admin:drift_driftalert_changelist"]
)
def test_drift_admin_pages_load(client, staff_reviewer, page):
    DriftAlertFactory()
    client.force_login(staff_reviewer)

    assert client.get(reverse(page)).status_code == 200


def test_report_pages_are_read_only(client, staff_reviewer):
    alert = DriftAlertFactory()
    client.force_login(staff_reviewer)

    page = client.get(
        reverse("admin:drift_driftreport_change", args=[alert.latest_report_id])
    )

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
