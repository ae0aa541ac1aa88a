"""Webhook subscriptions through the API and the admin: governance admins only,
the secret shown once, the delivery log readable."""

import pytest
from auditlog.models import LogEntry
from django.test import Client

from integrations.models import WebhookSubscription
from integrations.outbox import enqueue_event
from integrations.services import deliver_next

pytestmark = pytest.mark.django_db

BODY = {
    "name": "pagerduty",
    "url": "https://hooks.example.com/mlgov",
    "event_types": ["version.approved", "drift_alert.opened"],
}


def test_an_admin_subscribes_and_sees_the_secret_once(api_client_for, governance_admin):
    client = api_client_for(governance_admin)

    created = client.post("/api/v1/webhooks/", BODY, format="json")

    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["drift_alert.opened", "version.approved"]
    assert body["created_by"] == "gov-admin"
    listed = client.get("/api/v1/webhooks/").json()["results"]
    assert [s["name"] for s in listed] == ["pagerduty"]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"/api/v1/webhooks/{body['id']}/").json()
    entry = LogEntry.objects.get_for_object(WebhookSubscription.objects.get()).get()
    assert entry.actor == governance_admin
    assert "secret" not in entry.changes_dict


def test_rotating_the_secret_returns_the_new_one(api_client_for, governance_admin):
    client = api_client_for(governance_admin)
    first = client.post("/api/v1/webhooks/", BODY, format="json").json()

    rotated = client.patch(
        f"/api/v1/webhooks/{first['id']}/", {"rotate_secret": True}, format="json"
    )

    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (first["secret"], "")
    assert WebhookSubscription.objects.get().secret == rotated.json()["secret"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_types": ["version.deleted"]}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"secret": "short"}, "secret"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field(
    api_client_for, governance_admin, change, field
):
    response = api_client_for(governance_admin).post(
        "/api/v1/webhooks/", {**BODY, **change}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not WebhookSubscription.objects.exists()


def test_a_duplicate_name_is_refused(api_client_for, governance_admin):
    client = api_client_for(governance_admin)
    client.post("/api/v1/webhooks/", BODY, format="json")

    again = client.post("/api/v1/webhooks/", BODY, format="json")

    assert again.status_code == 400
    assert "name" in again.json()["error"]["details"]


@pytest.mark.parametrize("role", ["viewer", "reviewer", "auditor", "executive"])
def test_only_governance_admins_see_or_change_webhooks(api_client_for, request, role):
    client = api_client_for(request.getfixturevalue(role))

    assert client.get("/api/v1/webhooks/").status_code == 403
    assert client.post("/api/v1/webhooks/", BODY, format="json").status_code == 403


def test_the_list_filters_and_refuses_unknown_parameters(
    api_client_for, governance_admin, subscribe
):
    subscribe("https://a.example.com/", ["version.approved"], name="a")
    subscribe("https://b.example.com/", ["waiver.expiring"], name="b")
    client = api_client_for(governance_admin)

    by_type = client.get("/api/v1/webhooks/?event_type=waiver.expiring").json()
    unknown = client.get("/api/v1/webhooks/?colour=red")
    bad_type = client.get("/api/v1/webhooks/?event_type=nope")

    assert [s["name"] for s in by_type["results"]] == ["b"]
    assert unknown.status_code == 400
    assert "colour" in unknown.json()["error"]["details"]
    assert bad_type.status_code == 400


@pytest.mark.parametrize("count", [2, 10])
def test_list_and_delivery_log_query_counts_are_constant(
    api_client_for,
    governance_admin,
    subscribe,
    receiver,
    django_assert_num_queries,
    count,
):
    subscription = None
    for index in range(count):
        subscription = subscribe(receiver.url, ["version.approved"], name=f"s{index}")
    for version in range(count):
        enqueue_event(
            event_type="version.approved",
            data={"version": version},
            subscriptions=[subscription],
        )
        deliver_next()
    client = api_client_for(governance_admin)

    # token + user, roles, subscriptions page
    with django_assert_num_queries(3):
        listed = client.get("/api/v1/webhooks/")
    # the subscription, deliveries page, their attempts (the token, user and
    # roles are cached since the call before)
    with django_assert_num_queries(3):
        log = client.get(f"/api/v1/webhooks/{subscription.pk}/deliveries/")

    assert len(listed.json()["results"]) == count
    deliveries = log.json()["results"]
    assert len(deliveries) == count
    assert deliveries[0]["attempt_log"][0]["status_code"] == 200
    assert deliveries[0]["status"] == "delivered"


def test_re_enabling_a_disabled_subscription_clears_its_failures(
    api_client_for, governance_admin, subscribe
):
    subscription = subscribe("https://a.example.com/", ["version.approved"])
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=False, consecutive_failures=20, disabled_reason="Disabled auto"
    )

    response = api_client_for(governance_admin).patch(
        f"/api/v1/webhooks/{subscription.pk}/", {"is_active": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert response.json()["consecutive_failures"] == 0
    assert response.json()["disabled_reason"] == ""


def test_an_admin_adds_a_subscription_in_the_admin_and_sees_its_secret(
    governance_admin,
):
    governance_admin.is_staff = True
    governance_admin.save()
    browser = Client()
    browser.force_login(governance_admin)

    response = browser.post(
        "/admin/integrations/webhooksubscription/add/",
        {
            "name": "slack",
            "url": "https://hooks.example.com/slack",
            "event_types": ["version.submitted"],
        },
        follow=True,
    )

    subscription = WebhookSubscription.objects.get()
    assert subscription.created_by == governance_admin
    assert subscription.secret in response.content.decode()
    assert LogEntry.objects.get_for_object(subscription).get().actor == governance_admin
    bad = browser.post(
        "/admin/integrations/webhooksubscription/add/",
        {"name": "x", "url": "https://x.example.com/", "event_types": []},
    )
    assert bad.status_code == 200
    assert WebhookSubscription.objects.count() == 1


@pytest.mark.parametrize(
    "page",
    [
        "/admin/integrations/webhooksubscription/",
        "/admin/integrations/webhookdelivery/",
        "/admin/integrations/webhookevent/",
        "/admin/integrations/mlflowmodellink/",
        "/admin/integrations/mlflowversionlink/",
        "/admin/integrations/waiverexpirynotice/",
    ],
)
def test_admin_lists_open_for_governance_admins_only(
    governance_admin, auditor, page, subscribe, receiver
):
    subscription = subscribe(receiver.url, ["version.approved"])
    enqueue_event(event_type="version.approved", data={}, subscriptions=[subscription])
    deliver_next()
    for user in (governance_admin, auditor):
        user.is_staff = True
        user.save()

    assert _admin(governance_admin).get(page).status_code == 200
    assert _admin(auditor).get(page).status_code == 403


def _admin(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_upper_case_scheme_and_host_are_stored_in_lower_case(
    api_client_for, governance_admin
):
    client = api_client_for(governance_admin)

    created = client.post(
        "/api/v1/webhooks/",
        {**BODY, "url": "HTTPS://Hooks.Example.COM:8443/MLgov?Team=Risk"},
        format="json",
    )
    patched = client.patch(
        f"/api/v1/webhooks/{created.json()['id']}/",
        {"url": "Http://Other.Example.com/A"},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["url"] == "https://hooks.example.com:8443/MLgov?Team=Risk"
    assert patched.status_code == 200
    assert patched.json()["url"] == "http://other.example.com/A"
    assert WebhookSubscription.objects.get().url == "http://other.example.com/A"


def test_the_admin_form_stores_an_upper_case_scheme_in_lower_case(
    governance_admin,
):
    governance_admin.is_staff = True
    governance_admin.save()
    browser = _admin(governance_admin)

    browser.post(
        "/admin/integrations/webhooksubscription/add/",
        {
            "name": "slack",
            "url": "HTTPS://Hooks.Example.com/Slack",
            "event_types": ["version.submitted"],
        },
    )
    subscription = WebhookSubscription.objects.get()
    browser.post(
        f"/admin/integrations/webhooksubscription/{subscription.pk}/change/",
        {"url": "HTTP://Other.Example.com/Slack", "event_types": ["version.submitted"]},
    )

    subscription.refresh_from_db()
    assert subscription.url == "http://other.example.com/Slack"
