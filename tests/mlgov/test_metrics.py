"""Prometheus: the request, database and cache metrics, the domain metrics,
and /metrics closed to all but a token or an allowed address."""

import pytest
from django.test import Client

from mlgov import metrics
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.mlgov.conftest import metric
from tests.mlgov.test_settings import run_manage

pytestmark = pytest.mark.django_db

METRICS_TOKEN = "scrape-Y7d2kQ9wL4xN8vB3"


@pytest.fixture
def metrics_closed(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    return settings


def test_metrics_are_not_served_when_neither_a_token_nor_addresses_are_set(
    metrics_closed,
):
    response = Client().get("/metrics")

    assert response.status_code == 404
    assert b"mlgov_" not in response.content


def test_the_metrics_token_opens_the_endpoint(metrics_closed):
    metrics_closed.METRICS_TOKEN = METRICS_TOKEN

    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"mlgov_models_in_inventory" in response.content


@pytest.mark.parametrize(
    "authorization",
    ["", f"Bearer {METRICS_TOKEN}x", f"Bearer {METRICS_TOKEN[:-1]}", METRICS_TOKEN],
)
def test_a_missing_or_wrong_token_is_refused(metrics_closed, authorization):
    metrics_closed.METRICS_TOKEN = METRICS_TOKEN

    response = Client().get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 403
    assert b"mlgov_" not in response.content


def test_an_allowed_address_may_scrape_without_a_token(metrics_closed):
    metrics_closed.METRICS_ALLOWED_IPS = ["10.1.0.0/16", "192.0.2.7"]
    client = Client()

    assert client.get("/metrics", REMOTE_ADDR="10.1.44.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 403


def test_a_forged_forwarded_header_does_not_pass_the_allow_list(metrics_closed):
    metrics_closed.METRICS_ALLOWED_IPS = ["10.1.0.0/16"]
    metrics_closed.CLIENT_IP_HEADER = "X-Real-IP"

    forged = Client().get(
        "/metrics",
        REMOTE_ADDR="10.1.0.5",
        HTTP_X_FORWARDED_FOR="10.1.0.5",
        HTTP_X_REAL_IP="198.51.100.9",
    )
    proxied = Client().get(
        "/metrics", REMOTE_ADDR="10.99.0.1", HTTP_X_REAL_IP="10.1.0.5"
    )

    assert forged.status_code == 403
    assert proxied.status_code == 200


def test_embedded_mode_lets_loopback_scrape(settings):
    assert settings.METRICS_ALLOWED_IPS == ["127.0.0.1", "::1"]
    assert Client().get("/metrics").status_code == 200


def scrape_text() -> str:
    return metrics.scrape().decode()


def test_request_database_and_cache_metrics_are_collected(api_client_for, viewer):
    api_client_for(viewer).get("/api/v1/environments/")

    text = scrape_text()
    assert 'django_http_responses_total_by_status_total{status="200"}' in text
    vendor = "postgresql" if "postgresql" in text else "sqlite"
    assert f'django_db_execute_total{{alias="default",vendor="{vendor}"}}' in text
    assert "django_cache_get_total" in text


def test_each_request_is_counted_in_its_route_and_status_series(api_client_for, viewer):
    client = api_client_for(viewer)
    series = {
        "django_http_responses_total_by_status_view_method_total": {
            "status": "200",
            "view": "registry:environment-list",
            "method": "GET",
        },
        "django_http_requests_total_by_view_transport_method_total": {
            "view": "registry:environment-list",
            "transport": "http",
            "method": "GET",
        },
        "django_http_requests_latency_seconds_by_view_method_count": {
            "view": "registry:environment-list",
            "method": "GET",
        },
    }
    by_status = "django_http_responses_total_by_status_view_method_total"
    not_found = {"status": "404", "view": "registry:model-detail", "method": "GET"}
    before = {name: metric(name, **labels) for name, labels in series.items()}
    not_found_before = metric(by_status, **not_found)

    for _ in range(3):
        assert client.get("/api/v1/environments/").status_code == 200
    assert client.get("/api/v1/models/nope/").status_code == 404

    for name, labels in series.items():
        assert metric(name, **labels) == before[name] + 3, name
    assert metric(by_status, **not_found) == not_found_before + 1


def test_version_submissions_are_counted_by_risk_tier(
    api_client_for, data_scientist, team, django_capture_on_commit_callbacks
):
    version = ModelVersionFactory(
        model=MLModelFactory(team=team, name="churn", risk_tier="critical"),
        created_by=data_scientist,
    )
    before = metric("mlgov_version_submissions_total", risk_tier="critical")

    with django_capture_on_commit_callbacks(execute=True):
        api_client_for(data_scientist).post(
            f"/api/v1/models/churn/versions/{version.version}/submit/"
        )

    assert metric("mlgov_version_submissions_total", risk_tier="critical") == before + 1


def test_domain_counters_record_what_the_services_decide():
    before_blocked = metric(
        "mlgov_gate_decisions_total", outcome="blocked", environment="production"
    )
    before_freeze = metric(
        "mlgov_gate_check_failures_total", check="freeze", environment="production"
    )
    before_eval = metric("mlgov_evaluations_total", outcome="failed", environment="any")
    before_approve = metric("mlgov_approvals_total", decision="approve")

    metrics.record_gate_decision(
        outcome="blocked", environment="production", failing_checks=["freeze"]
    )
    metrics.record_evaluation(passed=False)
    metrics.record_approval(decision="approve")

    text = scrape_text()
    assert (
        metric(
            "mlgov_gate_decisions_total", outcome="blocked", environment="production"
        )
        == before_blocked + 1
    )
    assert (
        metric(
            "mlgov_gate_check_failures_total", check="freeze", environment="production"
        )
        == before_freeze + 1
    )
    assert metric("mlgov_evaluations_total", outcome="failed", environment="any") == (
        before_eval + 1
    )
    assert metric("mlgov_approvals_total", decision="approve") == before_approve + 1
    assert "mlgov_gate_decisions_total" in text


def test_state_gauges_are_read_from_the_database_at_scrape_time():
    MLModelFactory.create_batch(2, risk_tier="high")
    MLModelFactory(risk_tier="low")
    archived = MLModelFactory(risk_tier="low")
    archived.archived_at = archived.created_at
    archived.save()

    text = scrape_text()

    assert 'mlgov_models_in_inventory{risk_tier="high"} 2.0' in text
    assert 'mlgov_models_in_inventory{risk_tier="low"} 1.0' in text
    assert 'mlgov_models_in_inventory{risk_tier="critical"} 0.0' in text


def test_open_drift_alerts_report_every_severity_even_before_any_alert():
    text = scrape_text()

    assert 'mlgov_drift_alerts_open{severity="warning"} 0.0' in text
    assert 'mlgov_drift_alerts_open{severity="critical"} 0.0' in text


def test_a_malformed_allowed_address_is_refused_at_startup():
    result = run_manage("check", METRICS_ALLOWED_IPS="10.0.0.0/8,not-an-ip")

    assert result.returncode != 0
    assert "METRICS_ALLOWED_IPS" in result.stderr


def test_open_drift_alerts_are_counted_by_severity_at_scrape_time():
    from django.utils import timezone

    from tests.factories import DriftAlertFactory

    DriftAlertFactory.create_batch(2, severity="critical")
    DriftAlertFactory(severity="warning")
    DriftAlertFactory(
        severity="critical", status="acknowledged", acknowledged_at=timezone.now()
    )
    DriftAlertFactory(severity="warning", status="resolved", resolved_at=timezone.now())

    text = scrape_text()

    assert 'mlgov_drift_alerts_open{severity="critical"} 2.0' in text
    assert 'mlgov_drift_alerts_open{severity="warning"} 1.0' in text
