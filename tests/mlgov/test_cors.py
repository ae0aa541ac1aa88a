"""CORS: only listed origins, only the API, never a wildcard."""

import pytest
from django.test import Client

from tests.mlgov.test_settings import run_manage

ALLOWED = "https://portal.example.com"


def preflight(path: str, origin: str):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


@pytest.fixture(autouse=True)
def _allowed_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]


def test_a_preflight_from_an_allowed_origin_gets_the_cors_headers():
    response = preflight("/api/v1/models/", ALLOWED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


def test_a_preflight_from_any_other_origin_gets_no_cors_headers():
    response = preflight("/api/v1/models/", "https://evil.example.net")

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Methods" not in response


def test_pages_outside_the_api_get_no_cors_headers_even_for_allowed_origins():
    response = preflight("/admin/login/", ALLOWED)

    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_an_api_answer_to_an_allowed_origin_exposes_the_request_id(
    api_client_for, viewer
):
    response = api_client_for(viewer).get("/api/v1/models/", HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]


def test_no_origin_is_allowed_by_default():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CORS_ALLOWED_ORIGINS)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("[]")


@pytest.mark.parametrize(
    "origins", ["*", "https://a.example.com,*", "https://*.example.com"]
)
def test_settings_refuse_a_wildcard_origin(origins):
    result = run_manage("check", CORS_ALLOWED_ORIGINS=origins)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CORS_ALLOWED_ORIGINS" in result.stderr
