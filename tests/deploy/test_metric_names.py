"""Every metric the dashboard and the alert rules name is one the app serves:
a renamed metric breaks the build, not the dashboard on the night it is
needed. A representative workload (models listed, a version registered and
approved, gate checks and requests, a rollout started, a drift report, a
refusal by the rate limiter, a failed readiness probe) runs through the
Django test client first, then /metrics is read as Prometheus reads it."""

import json
import re
from pathlib import Path

import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "mlgov.json"
METRICS_TOKEN = "scrape-Qm4v8TzL2pW7xR1c"
METRIC_NAME = re.compile(r"\b(?:mlgov|django)_[a-z0-9_]+")
# The series names a family of each type exposes.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "unknown": ("",),
}

pytestmark = pytest.mark.django_db


def names_in_alert_rules() -> set[str]:
    rules = yaml.safe_load(ALERTS.read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    return {name for expr in exprs for name in METRIC_NAME.findall(expr)}


def names_in_dashboard() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    return {name for expr in exprs for name in METRIC_NAME.findall(expr)}


def served_names(text: str) -> tuple[set[str], set[str]]:
    """(series with a sample, series of every declared family)."""
    sampled: set[str] = set()
    declared: set[str] = set()
    for family in text_string_to_metric_families(text):
        sampled |= {sample.name for sample in family.samples}
        declared |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return sampled, declared


def run_workload(
    api_client_for, data_scientist, reviewer, settings, monkeypatch
) -> None:
    scientist = api_client_for(data_scientist)
    approver = api_client_for(reviewer)

    def ok(client, method, path, body=None, status=200):
        response = getattr(client, method)(f"/api/v1/{path}", body, format="json")
        assert response.status_code == status, (path, response.content)
        return response.json()

    ok(
        scientist,
        "post",
        "models/",
        {"name": "churn", "display_name": "Churn", "team": "fraud", "risk_tier": "low"},
        status=201,
    )
    ok(scientist, "get", "models/")
    for number in (1, 2):
        ok(
            scientist,
            "post",
            "models/churn/versions/",
            {
                "artifact_uri": f"s3://models/churn/{number}",
                "metrics": {"auc": 0.9},
                "model_card": {"intended_use": "Metric names."},
            },
            status=201,
        )
    ok(scientist, "post", "models/churn/versions/1/submit/")
    ok(
        approver,
        "post",
        "models/churn/versions/1/approve/",
        {"comment": "Looks sound."},
        status=201,
    )
    gate = {"model": "churn", "version": 1, "environment": "development"}
    ok(scientist, "post", "deployments/check/", gate)
    approved = ok(scientist, "post", "deployments/", gate, status=201)
    # Version 2 is a draft: the gate blocks it.
    ok(scientist, "post", "deployments/", {**gate, "version": 2}, status=201)
    ok(scientist, "post", f"deployments/{approved['id']}/start/")
    stable = {"categories": {"DE": 500, "FR": 300}}
    ok(
        scientist,
        "post",
        "drift/reports/",
        {
            **gate,
            "window_start": "2026-11-01T00:00:00Z",
            "window_end": "2026-11-08T00:00:00Z",
            "features": [
                {
                    "name": "country",
                    "kind": "categorical",
                    "reference": stable,
                    "current": stable,
                }
            ],
        },
        status=201,
    )
    # One refusal by the rate limiter, one failed readiness probe.
    settings.RATELIMIT_API_ANONYMOUS = "1/m"
    anonymous = APIClient()
    statuses = [anonymous.get("/api/v1/models/").status_code for _ in range(2)]
    assert statuses[-1] == 429
    from mlgov import health

    monkeypatch.setattr(health, "_cache_ok", lambda: False)
    assert Client().get("/readyz").status_code == 503


def test_the_dashboard_and_the_alerts_name_metrics_the_app_serves(
    api_client_for,
    data_scientist,
    reviewer,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        run_workload(api_client_for, data_scientist, reviewer, settings, monkeypatch)
    settings.METRICS_TOKEN = METRICS_TOKEN
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    sampled, declared = served_names(response.content.decode())

    used = names_in_alert_rules() | names_in_dashboard()

    missing = sorted(used - (sampled | declared))
    assert not missing, f"named by the dashboard or the alerts, not served: {missing}"
    # The workload moved the domain counters the rules and panels read, so
    # their samples, labels and all, were there to be read.
    for name in (
        "mlgov_gate_decisions_total",
        "mlgov_gate_check_failures_total",
        "mlgov_deployment_moves_total",
        "mlgov_ratelimit_throttled_total",
        "mlgov_readiness_failures_total",
        "django_http_requests_latency_seconds_by_view_method_bucket",
    ):
        assert name in sampled, name


def test_the_names_are_read_from_both_files():
    # The check above is only as good as the extraction: both files name
    # request, database and domain metrics.
    alerts, dashboard = names_in_alert_rules(), names_in_dashboard()
    assert {
        "django_http_responses_total_by_status_view_method_total",
        "mlgov_audit_verification_failed",
        "mlgov_webhook_oldest_due_age_seconds",
        "mlgov_drift_alerts_open",
    } <= alerts
    assert {
        "django_db_execute_total",
        "django_cache_get_hits_total",
        "mlgov_gate_decisions_total",
        "mlgov_webhook_deliveries_pending",
    } <= dashboard


def test_a_renamed_metric_is_caught():
    sampled, declared = served_names(
        "# HELP mlgov_gate_decisions_total x\n"
        "# TYPE mlgov_gate_decisions_total counter\n"
        'mlgov_gate_decisions_total{outcome="approved"} 1.0\n'
    )

    assert "mlgov_gate_decisions_total" in sampled | declared
    assert "mlgov_gate_decision_total" not in sampled | declared
