"""Webhooks cannot reach internal services: internal destinations are refused
when subscribed and, on the resolved address, when delivered; the connection
goes to the address that was checked; a failed answer is not stored."""

import socket

import pytest
from django.test import Client

from integrations.models import DeliveryAttempt, WebhookSubscription
from integrations.outbox import enqueue_event
from integrations.services import deliver_next
from integrations.services import webhooks as webhook_service
from tests.integrations.ports import free_port

pytestmark = pytest.mark.django_db

BODY = {"name": "probe", "event_types": ["version.approved"]}
PUBLIC = "93.184.215.14"  # never connected to: the tests intercept the connection
INTERNAL_URLS = [
    "http://127.0.0.1/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://10.0.0.1/hook",
    "http://192.168.0.1/hook",
    "http://[fd00::1]/hook",
    "http://127.0.0.1:6379/",
    "http://localhost:5432/",
    "HTTP://LOCALHOST:6379/",
]


def queue(subscription):
    return enqueue_event(
        event_type="version.approved",
        data={"model": "churn", "version": 3},
        subscriptions=[subscription],
    )


@pytest.fixture
def resolver(monkeypatch):
    """Scripted DNS for hooks.example.com (each lookup takes the next answer,
    the last repeats); every other name resolves as usual. Records lookups."""
    real = socket.getaddrinfo
    script = {"answers": [], "lookups": []}

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "hooks.example.com":
            return real(host, port, *args, **kwargs)
        script["lookups"].append(host)
        answers = script["answers"]
        address = answers[min(len(script["lookups"]), len(answers)) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, port, 0, 0) if ":" in address else (address, port)
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return script


@pytest.fixture
def connections(monkeypatch, receiver):
    """Every connection the sender opens, recorded. The public address is
    played by the loopback receiver, so nothing leaves loopback."""
    real = webhook_service._open_connection
    opened = []

    def open_connection(family, sockaddr, timeout):
        opened.append(sockaddr[0])
        if sockaddr[0] == PUBLIC:
            return real(socket.AF_INET, ("127.0.0.1", receiver.port), timeout)
        if sockaddr[0] not in ("127.0.0.1", "::1"):
            raise AssertionError(f"a test tried to reach {sockaddr[0]}")
        return real(family, sockaddr, timeout)

    monkeypatch.setattr(webhook_service, "_open_connection", open_connection)
    return opened


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_an_internal_destination_is_refused_when_subscribing(
    api_client_for, governance_admin, url
):
    response = api_client_for(governance_admin).post(
        "/api/v1/webhooks/", {**BODY, "url": url}, format="json"
    )

    assert response.status_code == 400
    assert "url" in response.json()["error"]["details"]
    assert "WEBHOOK_ALLOWED_NETWORKS" in str(response.json()["error"]["details"])
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_an_internal_destination_is_refused_when_changing_the_url(
    api_client_for, governance_admin, subscribe, settings, url
):
    subscription = subscribe("https://hooks.example.com/x", ["version.approved"])
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    response = api_client_for(governance_admin).patch(
        f"/api/v1/webhooks/{subscription.pk}/", {"url": url}, format="json"
    )

    assert response.status_code == 400
    assert "url" in response.json()["error"]["details"]
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.example.com/x"


def test_the_admin_form_refuses_an_internal_destination(governance_admin):
    governance_admin.is_staff = True
    governance_admin.save()
    browser = Client()
    browser.force_login(governance_admin)

    response = browser.post(
        "/admin/integrations/webhooksubscription/add/",
        {
            "name": "probe",
            "url": "http://169.254.169.254/latest/meta-data/",
            "event_types": ["version.approved"],
        },
    )

    assert response.status_code == 200
    assert "metadata" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_an_allowed_internal_network_may_be_subscribed(
    api_client_for, governance_admin, settings
):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    client = api_client_for(governance_admin)

    allowed = client.post(
        "/api/v1/webhooks/", {**BODY, "url": "http://10.0.0.1:8080/h"}, format="json"
    )
    metadata = client.post(
        "/api/v1/webhooks/",
        {**BODY, "name": "meta", "url": "http://169.254.169.254/"},
        format="json",
    )

    assert allowed.status_code == 201
    assert metadata.status_code == 400


@pytest.mark.parametrize(
    "url",
    ["https://user:pass@hooks.example.com/x", "https://token@hooks.example.com/x"],
)
def test_credentials_in_the_url_are_refused_and_never_stored(
    api_client_for, governance_admin, subscribe, url
):
    client = api_client_for(governance_admin)

    created = client.post("/api/v1/webhooks/", {**BODY, "url": url}, format="json")
    subscription = subscribe("https://hooks.example.com/x", ["version.approved"])
    patched = client.patch(
        f"/api/v1/webhooks/{subscription.pk}/", {"url": url}, format="json"
    )

    assert created.status_code == patched.status_code == 400
    assert "url" in created.json()["error"]["details"]
    assert "pass" not in str(created.json())
    assert "token" not in str(patched.json())
    assert list(WebhookSubscription.objects.values_list("url", flat=True)) == [
        "https://hooks.example.com/x"
    ]


def test_the_test_receiver_is_refused_without_the_allow_list(
    receiver, subscribe, settings
):
    subscription = subscribe(receiver.url, ["version.approved"])
    queue(subscription)
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    attempt = deliver_next()

    assert receiver.received == []
    assert (attempt.succeeded, attempt.status_code) == (False, None)
    assert attempt.error == "destination not allowed"
    assert attempt.response_excerpt == ""


def test_a_name_that_resolves_to_loopback_is_refused_at_delivery(
    receiver, subscribe, settings, resolver, connections
):
    resolver["answers"] = ["127.0.0.1"]
    subscription = subscribe(
        f"http://hooks.example.com:{receiver.port}/hook", ["version.approved"]
    )
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    queue(subscription)

    attempt = deliver_next()

    assert resolver["lookups"] == ["hooks.example.com"]
    assert connections == []
    assert receiver.received == []
    assert attempt.error == "destination not allowed"


def test_the_connection_goes_to_the_address_that_was_checked(
    receiver, subscribe, settings, resolver, connections
):
    # DNS rebinding: the first answer is public, every later one loopback.
    resolver["answers"] = [PUBLIC, "127.0.0.1"]
    subscription = subscribe(
        f"http://hooks.example.com:{receiver.port}/hook", ["version.approved"]
    )
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    queue(subscription)

    attempt = deliver_next()

    assert resolver["lookups"] == ["hooks.example.com"]
    assert connections == [PUBLIC]
    assert attempt.succeeded is True
    (request,) = receiver.received
    assert request.headers["Host"] == f"hooks.example.com:{receiver.port}"


def test_a_redirect_is_not_followed_and_is_a_failure(receiver, subscribe):
    receiver.statuses = [302, 200]
    receiver.headers = {"Location": "http://127.0.0.1:6379/"}
    subscription = subscribe(receiver.url, ["version.approved"])
    queue(subscription)

    attempt = deliver_next()

    assert len(receiver.received) == 1
    assert (attempt.succeeded, attempt.status_code) == (False, 302)
    assert attempt.error == "HTTP 302"
    assert attempt.response_excerpt == ""


def test_a_failed_answer_is_not_stored_nor_shown(
    receiver, subscribe, api_client_for, governance_admin
):
    receiver.statuses = [500]
    subscription = subscribe(receiver.url, ["version.approved"])
    queue(subscription)

    attempt = deliver_next()
    log = api_client_for(governance_admin).get(
        f"/api/v1/webhooks/{subscription.pk}/deliveries/"
    )

    assert (attempt.status_code, attempt.error, attempt.response_excerpt) == (
        500,
        "HTTP 500",
        "",
    )
    (shown,) = log.json()["results"][0]["attempt_log"]
    assert (shown["status_code"], shown["response_excerpt"]) == (500, "")
    assert "received" not in str(log.json())


def test_a_closed_port_is_a_generic_connection_refused(subscribe):
    subscription = subscribe(
        f"http://127.0.0.1:{free_port()}/none", ["version.approved"]
    )
    queue(subscription)

    attempt = deliver_next()

    assert (attempt.status_code, attempt.error) == (None, "connection refused")
    assert DeliveryAttempt.objects.get().error == "connection refused"


def test_a_receiver_that_does_not_answer_is_a_generic_time_out(
    make_receiver, subscribe, settings
):
    import threading

    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    hanging = make_receiver(hold=threading.Event())
    subscription = subscribe(hanging.url, ["version.approved"])
    queue(subscription)

    attempt = deliver_next()

    assert (attempt.status_code, attempt.error) == (None, "timed out")


@pytest.fixture
def tls_receiver(tmp_path, make_receiver):
    """A loopback receiver behind TLS with a certificate for
    hooks.example.com (made by the openssl tool), and the names it was
    asked for by SNI."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl tool to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes"),
            *("-days", "1", "-keyout", str(key), "-out", str(cert)),
            *("-subj", "/CN=hooks.example.com"),
            *("-addext", "subjectAltName=DNS:hooks.example.com"),
        ],
        check=True,
        capture_output=True,
    )
    receiver = make_receiver(tls=(str(cert), str(key)))
    return receiver, str(cert)


def test_https_sends_the_name_and_checks_the_certificate_for_it(
    tls_receiver, subscribe, resolver, monkeypatch
):
    import ssl

    receiver, cert = tls_receiver
    monkeypatch.setattr(
        webhook_service,
        "_tls_context",
        lambda: ssl.create_default_context(cafile=cert),
    )
    resolver["answers"] = ["127.0.0.1"]
    right = subscribe(
        f"https://hooks.example.com:{receiver.port}/hook", ["version.approved"]
    )
    wrong = subscribe(
        f"https://127.0.0.1:{receiver.port}/hook", ["version.approved"], name="ip"
    )
    queue(right)

    delivered = deliver_next()
    queue(wrong)
    refused = deliver_next()

    assert delivered.succeeded is True
    assert receiver.server_names[0] == "hooks.example.com"
    assert receiver.received[0].headers["Host"] == f"hooks.example.com:{receiver.port}"
    assert (refused.succeeded, refused.error) == (False, "TLS handshake failed")
    assert len(receiver.received) == 1
