"""Sentry: started only with a DSN, events tagged with the request id and
scrubbed of credentials. A capturing transport stands in for the network."""

import json

import pytest
import sentry_sdk
from django.test import Client
from sentry_sdk.transport import Transport

from mlgov.sentry import before_send, init_sentry

pytestmark = pytest.mark.django_db

DSN = "https://public@sentry.example.invalid/1"
TOKEN = "mlg_Sx4cR7tB1nM9kL2pQ6wE8yU3iO5aD0fG7hJ1"


class CapturingTransport(Transport):
    """Keeps every event instead of sending it."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict] = []

    def capture_envelope(self, envelope) -> None:
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


@pytest.fixture
def sentry_events(settings):
    settings.SENTRY_DSN = DSN
    settings.SENTRY_ENVIRONMENT = "staging"
    settings.SENTRY_RELEASE = "mlgov@1.2.3"
    transport = CapturingTransport()
    assert init_sentry(transport=transport)
    yield transport.events
    sentry_sdk.init(dsn=None)


def test_sentry_stays_off_without_a_dsn(settings):
    settings.SENTRY_DSN = ""

    assert init_sentry() is False
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.urls("tests.mlgov.urls_extra")
def test_an_unhandled_error_is_reported_with_the_request_id_and_no_credentials(
    sentry_events, settings
):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "c00kie-value-123"

    response = client.get(
        "/api/v1/failing/?password=pa55word",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
        HTTP_X_REQUEST_ID="sentry-req-9",
    )

    assert response.status_code == 500
    assert len(sentry_events) == 1
    event = sentry_events[0]
    assert event["tags"]["request_id"] == "sentry-req-9"
    assert event["environment"] == "staging"
    assert event["release"] == "mlgov@1.2.3"
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert "user" not in event or not event["user"].get("ip_address")
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    assert not any(frame.get("vars") for frame in frames)
    serialized = json.dumps(event)
    assert TOKEN not in serialized
    assert "pa55word" not in serialized
    assert "c00kie-value-123" not in serialized
    assert settings.SECRET_KEY not in serialized


def test_before_send_scrubs_secrets_anywhere_in_an_event(settings):
    event = {
        "request": {
            "headers": {"Authorization": f"Bearer {TOKEN}", "Accept": "text/html"},
            "cookies": {"sessionid": "abc"},
            "data": {"password": "pw-123456", "name": "churn"},
            "query_string": f"token={TOKEN}&page=2",
        },
        "extra": {"settings": f"SECRET_KEY={settings.SECRET_KEY}", "api_key": "k"},
        "breadcrumbs": {"values": [{"message": f"called with {TOKEN}"}]},
    }

    scrubbed = before_send(event, {})

    serialized = json.dumps(scrubbed)
    for secret in [TOKEN, "pw-123456", settings.SECRET_KEY]:
        assert secret not in serialized
    assert scrubbed["request"]["headers"]["Accept"] == "text/html"
    assert scrubbed["request"]["data"]["name"] == "churn"
    assert scrubbed["request"]["cookies"] == "[redacted]"
    assert scrubbed["extra"]["api_key"] == "[redacted]"
