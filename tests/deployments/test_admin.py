"""The deployments admin: read-only pages, moves only through the services."""

import pytest
from django.urls import reverse

from tests.factories import DeploymentFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_admin(client, governance_admin):
    governance_admin.is_staff = True
    governance_admin.save()
    client.force_login(governance_admin)
    return governance_admin


@pytest.fixture
def staff_auditor(client, auditor):
    auditor.is_staff = True
    auditor.save()
    client.force_login(auditor)
    return auditor


@pytest.fixture
def deployment(approved, environments):
    return DeploymentFactory(
        version=approved, environment=environments["production"], status="approved"
    )


def test_the_list_filters_and_shows_the_rows(
    client, staff_admin, deployment, environments
):
    DeploymentFactory(environment=environments["staging"])
    url = reverse("admin:deployments_deployment_changelist")

    response = client.get(
        url, {"status__exact": "approved", "decision__exact": "approved"}
    )

    assert response.status_code == 200
    assert "churn" in response.content.decode()
    for parameter in ("environment__id__exact", "model__id__exact"):
        assert parameter in response.content.decode()


def test_a_deployment_page_lists_the_gate_sentences_read_only(
    client, staff_admin, deployment
):
    response = client.get(
        reverse("admin:deployments_deployment_change", args=[deployment.pk])
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<li>✓ <strong>version_status</strong>: …</li>" in page
    assert 'name="_save"' not in page


def test_admin_actions_move_deployments_through_the_services(
    client, staff_admin, deployment
):
    response = client.post(
        reverse("admin:deployments_deployment_changelist"),
        {"action": "start", "_selected_action": [deployment.pk], "note": "window"},
        follow=True,
    )

    assert response.status_code == 200
    deployment.refresh_from_db()
    assert deployment.status == "in_progress"
    step = deployment.steps.get()
    assert (step.action, step.reason, step.actor) == ("start", "window", staff_admin)


def test_a_refused_move_is_a_message(client, staff_admin, deployment):
    response = client.post(
        reverse("admin:deployments_deployment_changelist"),
        {"action": "rollback", "_selected_action": [deployment.pk], "note": "bad"},
        follow=True,
    )

    assert "it cannot rollback" in response.content.decode()
    deployment.refresh_from_db()
    assert deployment.status == "approved"


def test_the_admin_rollback_needs_a_reason(client, staff_admin, approved, environments):
    deployment = DeploymentFactory(
        version=approved, environment=environments["production"]
    )

    response = client.post(
        reverse("admin:deployments_deployment_changelist"),
        {"action": "rollback", "_selected_action": [deployment.pk], "note": " "},
        follow=True,
    )

    assert "A rollback needs a reason" in response.content.decode()
    deployment.refresh_from_db()
    assert deployment.status == "active"
    assert not deployment.steps.exists()


def test_nothing_is_added_or_deleted_in_the_admin(client, staff_admin, deployment):
    assert client.get(reverse("admin:deployments_deployment_add")).status_code == 403
    assert (
        client.get(
            reverse("admin:deployments_gatedecision_delete", args=[deployment.pk])
        ).status_code
        == 403
    )


def test_an_auditor_reads_decisions_but_cannot_move_anything(
    client, staff_auditor, deployment
):
    listing = client.get(reverse("admin:deployments_deployment_changelist"))
    record = client.get(
        reverse(
            "admin:deployments_gatedecision_change", args=[deployment.gate_decision_id]
        )
    )

    assert listing.status_code == 200
    assert 'value="start"' not in listing.content.decode()
    assert record.status_code == 200


def test_the_list_costs_the_same_with_more_rows(
    client, staff_admin, deployment, churn, environments, django_assert_max_num_queries
):
    url = reverse("admin:deployments_deployment_changelist")
    client.get(url)
    for number in range(10, 20):
        DeploymentFactory(
            version=ModelVersionFactory(model=churn, version=number, status="approved"),
            environment=environments["development"],
            status="blocked",
        )

    with django_assert_max_num_queries(20):
        response = client.get(url)

    assert response.status_code == 200


def test_a_start_inside_a_freeze_is_a_message_and_a_recorded_refusal(
    client, staff_admin, deployment, environments
):
    from deployments.models import MoveRefusal
    from registry.services import freeze_environment

    freeze_environment(
        actor=staff_admin, environment=environments["production"], reason="Close"
    )

    response = client.post(
        reverse("admin:deployments_deployment_changelist"),
        {"action": "start", "_selected_action": [deployment.pk], "note": "window"},
        follow=True,
    )

    assert "cannot start: production is frozen since" in response.content.decode()
    deployment.refresh_from_db()
    assert deployment.status == "approved"
    refusal = MoveRefusal.objects.get()
    assert (refusal.actor, refusal.reason, refusal.failed_check) == (
        staff_admin,
        "window",
        "freeze",
    )
    page = client.get(
        reverse("admin:deployments_deployment_change", args=[deployment.pk])
    )
    assert "refused moves" in page.content.decode().lower()
    listing = client.get(reverse("admin:deployments_moverefusal_changelist"))
    assert listing.status_code == 200
