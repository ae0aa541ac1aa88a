"""Freezing and unfreezing environments: governance admins, with a reason and
who did it, through the API and the admin."""

import pytest
from auditlog.models import LogEntry

from registry.models import Environment

pytestmark = pytest.mark.django_db


def freeze(client, name="production", reason="Quarter-end close"):
    return client.post(
        f"/api/v1/environments/{name}/freeze/", {"reason": reason}, format="json"
    )


def test_a_governance_admin_freezes_and_unfreezes_with_reasons(
    api_client_for, governance_admin
):
    client = api_client_for(governance_admin)

    frozen = freeze(client)

    assert frozen.status_code == 200
    body = frozen.json()
    assert (body["frozen"], body["freeze_reason"], body["frozen_by"]) == (
        True,
        "Quarter-end close",
        "gov-admin",
    )
    assert body["frozen_at"]
    unfrozen = client.post(
        "/api/v1/environments/production/unfreeze/",
        {"reason": "Close done"},
        format="json",
    )
    assert unfrozen.status_code == 200
    assert (unfrozen.json()["frozen"], unfrozen.json()["frozen_by"]) == (False, None)
    entries = LogEntry.objects.get_for_object(
        Environment.objects.get(name="production")
    ).order_by("timestamp")
    assert [e.additional_data for e in entries] == [
        {"reason": "Quarter-end close"},
        {"reason": "Close done"},
    ]
    assert {e.actor for e in entries} == {governance_admin}


def test_the_environment_list_shows_the_freeze(api_client_for, governance_admin):
    client = api_client_for(governance_admin)
    client.get("/api/v1/environments/")  # cached before the freeze

    freeze(client)

    rows = {e["name"]: e for e in client.get("/api/v1/environments/").json()["results"]}
    assert rows["production"]["frozen_by"] == "gov-admin"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_freeze_needs_a_reason(api_client_for, governance_admin, reason):
    response = freeze(api_client_for(governance_admin), reason=reason)

    assert response.status_code == 400
    assert "reason" in response.json()["error"]["details"]
    assert not Environment.objects.get(name="production").frozen


def test_freezing_twice_or_unfreezing_an_open_environment_is_409(
    api_client_for, governance_admin
):
    client = api_client_for(governance_admin)
    freeze(client)

    again = freeze(client)
    open_ = client.post(
        "/api/v1/environments/staging/unfreeze/", {"reason": "x"}, format="json"
    )

    assert again.status_code == 409
    assert open_.status_code == 409


@pytest.mark.parametrize("role", ["data_scientist", "reviewer", "viewer", "auditor"])
def test_only_governance_admins_freeze(api_client_for, request, role):
    response = freeze(api_client_for(request.getfixturevalue(role)))

    assert response.status_code == 403
    assert not Environment.objects.get(name="production").frozen


def test_an_unknown_environment_is_404(api_client_for, governance_admin):
    assert freeze(api_client_for(governance_admin), name="moon").status_code == 404


def test_the_admin_freezes_with_the_note_as_reason(client, governance_admin):
    governance_admin.is_staff = True
    governance_admin.save()
    client.force_login(governance_admin)
    production = Environment.objects.get(name="production")

    response = client.post(
        "/admin/registry/environment/",
        {
            "action": "freeze",
            "_selected_action": [production.pk],
            "note": "Incident 4711",
        },
        follow=True,
    )

    assert response.status_code == 200
    production.refresh_from_db()
    assert (production.frozen, production.freeze_reason, production.frozen_by) == (
        True,
        "Incident 4711",
        governance_admin,
    )


def test_the_admin_refuses_a_freeze_without_a_note(client, governance_admin):
    governance_admin.is_staff = True
    governance_admin.save()
    client.force_login(governance_admin)
    production = Environment.objects.get(name="production")

    response = client.post(
        "/admin/registry/environment/",
        {"action": "freeze", "_selected_action": [production.pk], "note": ""},
        follow=True,
    )

    assert "Say why the environment is frozen" in response.content.decode()
    production.refresh_from_db()
    assert not production.frozen


def test_the_admin_counts_frozen_environments_in_good_english(client, governance_admin):
    governance_admin.is_staff = True
    governance_admin.save()
    client.force_login(governance_admin)
    production, staging = (
        Environment.objects.get(name=name) for name in ("production", "staging")
    )

    def freeze_in_admin(*environments):
        return client.post(
            "/admin/registry/environment/",
            {
                "action": "freeze",
                "_selected_action": [e.pk for e in environments],
                "note": "Incident 4711",
            },
            follow=True,
        ).content.decode()

    one = freeze_in_admin(production)
    client.post(
        "/admin/registry/environment/",
        {"action": "unfreeze", "_selected_action": [production.pk], "note": "done"},
    )
    two = freeze_in_admin(production, staging)

    assert "1 environment frozen." in one
    assert "2 environments frozen." in two
