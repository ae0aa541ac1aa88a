"""Probes and scrapes reach a pod by its address: /healthz, /readyz and
/metrics answer whatever the Host, every other path keeps Django's check."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

POD = "10.42.7.19:8000"


@pytest.fixture
def only_the_public_name(settings):
    settings.ALLOWED_HOSTS = ["mlgov.example.com"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_on_the_pods_address(only_the_public_name, path):
    assert Client().get(path, HTTP_HOST=POD).status_code == 200


def test_a_scrape_on_the_pods_address_still_needs_the_token(
    only_the_public_name, settings
):
    settings.METRICS_TOKEN = "scrape-secret"
    settings.METRICS_ALLOWED_IPS = []

    refused = Client().get("/metrics", HTTP_HOST=POD)
    served = Client().get(
        "/metrics", HTTP_HOST=POD, HTTP_AUTHORIZATION="Bearer scrape-secret"
    )

    assert refused.status_code in (401, 403)
    assert served.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/models/", "/sign-in/", "/healthz/x"])
def test_every_other_path_keeps_the_host_check(only_the_public_name, path):
    assert Client().get(path, HTTP_HOST=POD).status_code == 400


def test_a_wildcard_entry_is_left_alone(settings):
    settings.ALLOWED_HOSTS = [".example.com"]

    assert Client().get("/healthz", HTTP_HOST=POD).status_code == 200
    assert Client().get("/healthz", HTTP_HOST="evil.test").status_code == 200
    assert Client().get("/api/v1/models/", HTTP_HOST="evil.test").status_code == 400
