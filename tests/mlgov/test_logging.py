"""Structured logs: one JSON object per line, one access event per request,
domain events, the request id everywhere, and never a secret."""

import logging

import pytest
from django.test import Client, RequestFactory

from mlgov import redaction
from mlgov.logging import log_event
from mlgov.redaction import REDACTED
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

TOKEN = "mlg_Zq8nW2vX7bT4yK1rP9sL3dF6hJ0aC5eG8iU2oM4n"


def access_events(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line.get("event") == "http.request"]


def test_each_request_logs_one_json_access_event_with_the_route_pattern(
    log_lines, api_client_for, viewer
):
    MLModelFactory(name="churn")
    client = api_client_for(viewer)

    response = client.get("/api/v1/models/churn/", HTTP_X_REQUEST_ID="req-42")

    events = access_events(log_lines())
    assert len(events) == 1
    event = events[0]
    assert event["request_id"] == "req-42" == response["X-Request-ID"]
    assert event["user_id"] == viewer.pk
    assert event["method"] == "GET"
    assert event["route"] == "api/v1/models/<slug:name>/"
    assert "churn" not in event["route"]
    assert event["status"] == 200
    assert isinstance(event["duration_ms"], float)
    assert event["level"] == "info"
    assert event["ts"].endswith("Z")


def test_a_throttled_call_is_logged_with_the_tokens_user(
    log_lines, settings, api_client_for, viewer
):
    settings.RATELIMIT_API_READ = "1/m"
    client = api_client_for(viewer)
    client.get("/api/v1/environments/")

    client.get("/api/v1/environments/")

    throttled = access_events(log_lines())[-1]
    assert throttled["status"] == 429
    assert throttled["user_id"] == viewer.pk
    assert throttled["route"] == "api/v1/environments/"


def test_an_anonymous_refusal_is_logged_without_a_user(log_lines):
    Client().get("/api/v1/models/")

    (event,) = access_events(log_lines())
    assert event["status"] == 401
    assert event["user_id"] is None


def test_every_line_of_a_request_carries_its_request_id(
    log_lines,
    api_client_for,
    data_scientist,
    team,
    django_capture_on_commit_callbacks,
):
    version = ModelVersionFactory(
        model=MLModelFactory(team=team, name="churn"), created_by=data_scientist
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(data_scientist).post(
            f"/api/v1/models/churn/versions/{version.version}/submit/",
            HTTP_X_REQUEST_ID="submit-1",
        )

    assert response.status_code == 200
    lines = log_lines()
    assert len(lines) >= 2
    assert {line["request_id"] for line in lines} == {"submit-1"}


def test_version_submission_is_logged_as_a_domain_event(
    log_lines, api_client_for, data_scientist, team, django_capture_on_commit_callbacks
):
    model = MLModelFactory(team=team, name="churn", risk_tier="high")
    version = ModelVersionFactory(model=model, created_by=data_scientist)

    with django_capture_on_commit_callbacks(execute=True):
        api_client_for(data_scientist).post(
            f"/api/v1/models/churn/versions/{version.version}/submit/"
        )

    (event,) = [
        line for line in log_lines() if line.get("event") == "version.submitted"
    ]
    assert event["logger"] == "mlgov.events"
    assert event["model"] == "churn"
    assert event["version"] == version.version
    assert event["risk_tier"] == "high"
    assert event["actor_id"] == data_scientist.pk


def test_a_refused_submission_logs_no_domain_event(
    log_lines, api_client_for, data_scientist, team
):
    version = ModelVersionFactory(
        model=MLModelFactory(team=team, name="churn"),
        created_by=data_scientist,
        status="in_review",
    )

    response = api_client_for(data_scientist).post(
        f"/api/v1/models/churn/versions/{version.version}/submit/"
    )

    assert response.status_code == 409
    assert not [
        line for line in log_lines() if line.get("event") == "version.submitted"
    ]


def test_log_event_flattens_fields_and_keeps_reserved_names_safe(log_lines):
    log_event("approval.recorded", version=7, decision="approve", message="x")

    (line,) = log_lines()
    assert line["event"] == "approval.recorded"
    assert line["message"] == "approval.recorded"
    assert line["version"] == 7
    assert line["decision"] == "approve"


def test_secrets_in_a_logged_request_never_reach_the_output(log_lines):
    request = RequestFactory().post(
        f"/api/v1/models/?token={TOKEN}",
        data={"username": "gina", "password": "hunter2-secret"},
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
        HTTP_COOKIE="sessionid=s3ss10nc00k1e; csrftoken=csrfc00k1e",
    )

    logging.getLogger("mlgov.test").warning(
        "request from %s with %s",
        request.headers.get("Authorization"),
        request.body.decode(),
        extra={
            "headers": dict(request.headers),
            "body": {"username": "gina", "password": "hunter2-secret"},
            "request": request,
            "api_key": "abc123abc123",
        },
    )

    output = log_lines.raw()
    for secret in [
        TOKEN,
        "hunter2-secret",
        "s3ss10nc00k1e",
        "csrfc00k1e",
        "abc123abc123",
    ]:
        assert secret not in output
    (line,) = log_lines()
    assert line["body"]["username"] == "gina"
    assert line["body"]["password"] == "[redacted]"
    assert line["headers"]["Authorization"] == "[redacted]"
    assert line["request"] == {"method": "POST", "path": "/api/v1/models/"}


def test_a_failing_request_logs_its_error_without_the_token(log_lines, settings):
    settings.ROOT_URLCONF = "tests.mlgov.urls_extra"
    client = Client(raise_request_exception=False)

    response = client.get(
        "/api/v1/failing/?password=pa55word",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
        HTTP_X_REQUEST_ID="boom-1",
    )

    assert response.status_code == 500
    output = log_lines.raw()
    assert "ValueError" in output
    assert TOKEN not in output
    assert "pa55word" not in output
    errors = [line for line in log_lines() if line["level"] == "error"]
    assert errors
    assert all(line["request_id"] == "boom-1" for line in errors)


@pytest.mark.parametrize(
    "text",
    [
        '{"username": "gina", "password": "hunter2-secret"}',
        "username=gina&password=hunter2-secret&next=/",
        "Authorization: Basic hunter2-secret",
        f"GET /api/v1/models/?access_token=hunter2-secret {TOKEN}",
    ],
)
def test_credentials_inside_free_text_are_scrubbed(log_lines, text):
    logging.getLogger("mlgov.test").info("raw body %s", text)

    (line,) = log_lines()
    assert "hunter2-secret" not in line["message"]
    assert TOKEN not in line["message"]
    assert "[redacted]" in line["message"]


@pytest.mark.parametrize(
    "text",
    [
        "GET api/v1/models/<slug:name>/versions/<int:number>/ 200",
        "registry:version-detail",
        "127.0.0.1",
        f"token {TOKEN}",
        f"x{TOKEN} MLG_abcdefghijk mlg_short",
        "Bearer abc.def Basic dXNlcjpwYXNz",
        # Case-folded: long s, Kelvin sign.
        "pa\u017f\u017fword=hunter2 api_\u212aey=hunter2 API-KEY: hunter2",
        'name="new_password1"\r\n\r\nhunter2',
        "sessionid=abc; csrftoken=def",
        "secrets are not here: just a 'secret'",
    ],
)
def test_text_is_scrubbed_as_every_pattern_would_scrub_it(text):
    # scrub_text skips its patterns for text that none of them can match;
    # the answer must be the one that running them all gives.
    expected = text
    for pattern, keep in redaction._SECRET_TEXT:
        replacement = REDACTED if keep is None else rf"\g<{keep}>{REDACTED}"
        expected = pattern.sub(replacement, expected)

    assert redaction.scrub_text(text) == expected
