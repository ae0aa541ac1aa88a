"""Request ids, Server-Timing and the security headers, CSP included."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_well_formed_request_id_is_kept_and_returned():
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.2_x")

    assert response["X-Request-ID"] == "lb-7f3a.2_x"


@pytest.mark.parametrize(
    "offered", ["", "has spaces", "<script>", "a" * 129, "new\nline", "ü-umlaut"]
)
def test_a_malformed_request_id_is_replaced_by_a_fresh_one(offered):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=offered)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_every_request_gets_a_different_id():
    client = Client()

    ids = {client.get("/healthz")["X-Request-ID"] for _ in range(3)}

    assert len(ids) == 3


def test_responses_say_how_long_the_app_took():
    response = Client().get("/readyz")

    assert re.fullmatch(r"app;dur=\d+\.\d", response["Server-Timing"])


def test_pages_carry_the_security_headers():
    response = Client().get("/admin/login/")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp


def _nonce(response) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


def test_each_response_has_a_fresh_csp_nonce():
    client = Client()

    nonces = {_nonce(client.get("/admin/login/")) for _ in range(3)}

    assert len(nonces) == 3
    assert all(len(nonce) >= 22 for nonce in nonces)


def test_the_api_docs_inline_script_and_style_carry_the_responses_nonce(viewer):
    client = Client()
    client.force_login(viewer)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    nonce = _nonce(response)
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline_scripts, "the docs page initialises Swagger UI inline"
    assert all(f'nonce="{nonce}"' in attributes for attributes in inline_scripts)
    assert re.search(rf'<style nonce="{nonce}">', html)
    assert "<style>" not in html


def test_csp_can_run_in_report_only_mode_for_a_rollout(settings):
    settings.CSP_REPORT_ONLY = True

    response = Client().get("/admin/login/")

    assert "Content-Security-Policy" not in response
    assert "default-src 'self'" in response["Content-Security-Policy-Report-Only"]


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    "path", ["/api/v1/nope/", "/api/nope", "/api/v2/models/", "/api/v1/models/x/y/z/"]
)
def test_unknown_api_routes_answer_json_in_every_mode(settings, debug, path):
    settings.DEBUG = debug

    response = Client().get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"
    assert "Content-Security-Policy" in response


def test_an_api_path_missing_its_slash_still_redirects(settings):
    settings.DEBUG = True

    response = Client().get("/api/v1/models")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/models/"


def test_unknown_pages_outside_the_api_stay_html(settings):
    settings.DEBUG = True

    response = Client().get("/nope/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# -- token API calls skip the browser's middleware ---------------------------


def test_a_signed_in_browser_still_reads_the_api_with_its_session(viewer):
    client = Client()
    client.force_login(viewer)

    response = client.get("/api/v1/environments/")

    assert response.status_code == 200


def test_a_token_call_is_the_tokens_user_whatever_session_comes_along(
    api_client_for, viewer, governance_admin, monkeypatch
):
    from django.contrib.sessions.backends.db import SessionStore

    client = api_client_for(viewer)
    client.force_login(governance_admin)  # a session cookie rides along
    opened = []
    original = SessionStore.__init__
    monkeypatch.setattr(
        SessionStore,
        "__init__",
        lambda self, *args, **kwargs: (
            opened.append(1) or original(self, *args, **kwargs)
        ),
    )

    response = client.post(
        "/api/v1/environments/production/freeze/", {"reason": "x" * 30}, format="json"
    )

    # The viewer's token decides (403), never the admin's session; and the
    # session store was not even opened.
    assert response.status_code == 403
    assert opened == []
    assert "sessionid" not in response.cookies


def test_a_token_call_to_a_page_outside_the_api_keeps_the_session(viewer):
    from mlgov.services import issue_token

    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {issue_token(user=viewer, name='t').raw}"
    )
    client.force_login(viewer)

    assert client.get("/").status_code == 200
