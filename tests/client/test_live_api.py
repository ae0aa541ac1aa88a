"""Every typed call of mlgov_client against a live mlgov (pytest-django's
live_server): registry, gate, deployment moves, drift, portfolio, pages,
errors with their codes, and the rate limit's Retry-After."""

import datetime as dt

import numpy as np
import pytest

from deployments.models import Deployment
from drift.models import DriftAlert
from mlgov.services import issue_token
from mlgov_client import ApiError, Client, RetryPolicy
from mlgov_client.histograms import feature_payload
from registry.models import ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WINDOW = {
    "window_start": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    "window_end": dt.datetime(2026, 11, 8, tzinfo=dt.UTC),
}


@pytest.fixture
def connect(live_server, settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

    def connect(user, **options):
        token = issue_token(user=user, name="pipeline").raw
        return Client(live_server.url, token, **options)

    return connect


def test_registry_calls_register_create_submit_and_read(connect, data_scientist, team):
    mlgov = connect(data_scientist)

    model = mlgov.register_model(
        name="churn", team=team.name, display_name="Churn", risk_tier="high"
    )
    draft = mlgov.create_version(
        "churn", artifact_uri="s3://models/churn/1", metrics={"auc": 0.91}
    )
    submitted = mlgov.submit_version("churn", draft["version"])

    assert (model["name"], model["team"], model["risk_tier"]) == (
        "churn",
        team.name,
        "high",
    )
    assert draft["status"] == "draft"
    assert submitted["status"] == "in_review"
    assert mlgov.model("churn")["latest_version"] == 1
    assert mlgov.version("churn", 1)["metrics"] == {"auc": 0.91}
    assert [v["version"] for v in mlgov.versions("churn")] == [1]
    assert ModelVersion.objects.get().submitted_by == data_scientist


def test_lists_follow_the_cursor_pages(connect, viewer, team):
    names = {f"model-{index}" for index in range(7)}
    for name in names:
        MLModelFactory(name=name, team=team)
    mlgov = connect(viewer)

    pages = mlgov.models(page_size=2)
    first = next(pages)

    assert first["name"] in names
    assert {first["name"], *(model["name"] for model in pages)} == names
    assert [m["name"] for m in mlgov.models(q="model-3")] == ["model-3"]


def test_the_gate_and_every_deployment_move(connect, data_scientist, team):
    model = MLModelFactory(name="churn", team=team)
    ModelVersionFactory(model=model, version=1, status="approved")
    ModelVersionFactory(model=model, version=2, status="approved")
    ModelVersionFactory(model=model, version=3, status="draft")
    mlgov = connect(data_scientist)
    target = {"model": "churn", "environment": "development"}

    dry_run = mlgov.check_deployment(version=1, **target)
    blocked = mlgov.check_deployment(version=3, **target)
    assert not Deployment.objects.exists()
    first = mlgov.request_deployment(version=1, **target)
    mlgov.start_deployment(first["id"], reason="rollout")
    active = mlgov.complete_deployment(first["id"])
    second = mlgov.request_deployment(version=2, **target)
    mlgov.start_deployment(second["id"])
    mlgov.complete_deployment(second["id"])
    rolled_back = mlgov.rollback_deployment(second["id"], reason="latency")
    canary = mlgov.request_deployment(
        version=2, strategy="canary", traffic_percent=10, **target
    )
    mlgov.start_deployment(canary["id"])
    mlgov.complete_deployment(canary["id"])
    promoted = mlgov.promote_deployment(canary["id"], traffic_percent=50)
    failed_request = mlgov.request_deployment(version=1, **target)
    mlgov.start_deployment(failed_request["id"])
    failed = mlgov.fail_deployment(failed_request["id"], reason="pods crashed")

    assert dry_run["decision"] == "approved" and "id" not in dry_run
    assert blocked["decision"] == "blocked"
    assert [c["check"] for c in blocked["checks"] if not c["passed"]] == [
        "version_status"
    ]
    assert active["status"] == "active"
    assert rolled_back["status"] == "rolled_back"
    assert mlgov.deployment(first["id"])["status"] == "active"
    assert promoted["traffic_percent"] == 50
    assert failed["status"] == "failed"
    listed = {d["id"]: d["status"] for d in mlgov.deployments(page_size=2)}
    assert listed == dict(Deployment.objects.values_list("id", "status"))


def test_a_drift_report_from_histograms_opens_alerts(
    connect, data_scientist, reviewer, team
):
    model = MLModelFactory(name="churn", team=team)
    ModelVersionFactory(model=model, version=1, status="approved")
    rng = np.random.default_rng(5)
    mlgov = connect(data_scientist)

    report = mlgov.post_drift_report(
        model="churn",
        version=1,
        environment="production",
        features=[
            feature_payload(
                "age", rng.normal(40, 10, 50_000), rng.normal(55, 10, 40_000)
            ),
            feature_payload(
                "plan", np.array(["a", "b"] * 500), np.array(["a", "b"] * 400)
            ),
        ],
        **WINDOW,
    )
    alerts = list(mlgov.drift_alerts(model="churn", status="open"))

    age, plan = report["features"]
    assert (age["feature"], age["drifted"], age["n_reference"]) == ("age", True, 50_000)
    assert age["approximation"] == "binned-midpoint"
    assert (plan["feature"], plan["drifted"]) == ("plan", False)
    assert [(a["feature"], a["severity"]) for a in alerts] == [("age", "critical")]
    assert DriftAlert.objects.get().latest_report_id == report["id"]

    acknowledged = connect(reviewer).acknowledge_alert(alerts[0]["id"], note="seen")
    resolved = connect(reviewer).resolve_alert(alerts[0]["id"], note="retrained")

    assert (acknowledged["status"], acknowledged["acknowledged_by"]) == (
        "acknowledged",
        "reviewer",
    )
    assert resolved["status"] == "resolved"
    assert not list(mlgov.drift_alerts(model="churn", status="open"))


def test_the_portfolio_summary(connect, executive, team):
    MLModelFactory(team=team)

    summary = connect(executive).portfolio_summary()

    assert summary["models"] == 1
    assert "compliance_rate" in summary["production"]


@pytest.mark.parametrize(
    ("call", "status", "code", "field"),
    [
        (lambda c: c.model("nope"), 404, "not_found", None),
        (
            lambda c: c.check_deployment(model="churn", version=1, environment="moon"),
            400,
            "invalid",
            "environment",
        ),
        (lambda c: c.create_version("churn", artifact_uri=""), 400, "invalid", None),
        (lambda c: c.submit_version("churn", 1), 409, "invalid_transition", None),
        (lambda c: c.rollback_deployment(1, reason=""), 400, "invalid", "reason"),
        (lambda c: c.rollback_deployment(999, reason="x"), 404, "not_found", None),
    ],
)
def test_refusals_carry_the_api_error_code(
    connect, data_scientist, team, call, status, code, field
):
    model = MLModelFactory(name="churn", team=team)
    ModelVersionFactory(model=model, version=1, status="approved")

    with pytest.raises(ApiError) as raised:
        call(connect(data_scientist))

    assert (raised.value.status, raised.value.code) == (status, code)
    if field:
        assert field in raised.value.field_errors


def test_a_bad_token_and_a_missing_role_are_refused(connect, live_server, viewer):
    with pytest.raises(ApiError) as unauthenticated:
        Client(live_server.url, "mlg_not-a-token").portfolio_summary()
    with pytest.raises(ApiError) as forbidden:
        connect(viewer).request_deployment(
            model="churn", version=1, environment="development"
        )

    assert unauthenticated.value.status == 401
    assert forbidden.value.status == 403
    assert forbidden.value.code == "permission_denied"


def test_the_rate_limit_is_retried_after_its_retry_after(connect, viewer, settings):
    settings.RATELIMIT_API_READ = "2/m"
    waits = []
    mlgov = connect(
        viewer, retry=RetryPolicy(max_retries=2, jitter=0), sleep=waits.append
    )

    with pytest.raises(ApiError) as raised:
        for _ in range(3):
            list(mlgov.models())

    assert raised.value.status == 429
    assert raised.value.code == "throttled"
    assert len(waits) == 2
    assert all(0 < wait <= 60 for wait in waits)
    assert waits[0] == raised.value.retry_after
