"""A CI/CD pipeline's day, through the HTTP API only: register, submit, two
independent approvals, a drift report, development → staging → soak →
production as a canary, promote, roll back; the ledger tells the story."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.drift.conftest import report_body, stable_categorical

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """Server time that tests move forward (the soak takes a day)."""
    real_now = timezone.now
    offset = [timedelta(0)]
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset[0])

    def advance(**delta):
        offset[0] += timedelta(**delta)

    return advance


def ok(response, status=200):
    assert response.status_code == status, response.json()
    return response.json()


def test_a_pipeline_ships_a_canary_promotes_it_and_rolls_it_back(
    api_client_for,
    data_scientist,
    reviewer,
    second_reviewer,
    governance_admin,
    team,
    clock,
):
    pipeline = api_client_for(data_scientist)
    reviewers = [api_client_for(reviewer), api_client_for(second_reviewer)]
    admin = api_client_for(governance_admin)
    ok(
        admin.post(
            "/api/v1/policies/",
            {
                "name": "production-floor",
                "enforcement": "enforce",
                "scope": {"environments": ["production"]},
                "rules": [
                    {
                        "kind": "metric_threshold",
                        "params": {"metric": "auc", "op": ">=", "value": 0.8},
                    },
                    {
                        "kind": "max_drift_severity",
                        "params": {"severity": "warning"},
                    },
                ],
            },
            format="json",
        ),
        201,
    )
    ok(
        admin.post(
            "/api/v1/policies/",
            {
                "name": "independent-review",
                "scope": {"risk_tiers": ["high"]},
                "rules": [{"kind": "min_approvals", "params": {"count": 2}}],
            },
            format="json",
        ),
        201,
    )
    ok(
        pipeline.post(
            "/api/v1/models/",
            {
                "name": "churn",
                "display_name": "Churn",
                "team": "fraud",
                "risk_tier": "high",
            },
            format="json",
        ),
        201,
    )

    def release(number, auc):
        ok(
            pipeline.post(
                "/api/v1/models/churn/versions/",
                {
                    "artifact_uri": f"s3://models/churn/{number}",
                    "metrics": {"auc": auc},
                    "model_card": {"intended_use": "Retention offers."},
                },
                format="json",
            ),
            201,
        )
        ok(pipeline.post(f"/api/v1/models/churn/versions/{number}/submit/"))
        for client in reviewers:
            ok(
                client.post(
                    f"/api/v1/models/churn/versions/{number}/approve/",
                    {"comment": "Looks sound."},
                    format="json",
                ),
                201,
            )

    def deploy(number, environment, **strategy):
        body = {"model": "churn", "version": number, "environment": environment}
        body.update(strategy)
        dry = ok(pipeline.post("/api/v1/deployments/check/", body, format="json"))
        recorded = ok(pipeline.post("/api/v1/deployments/", body, format="json"), 201)
        assert dry["decision"] == recorded["decision"]
        return recorded

    def roll_out(deployment):
        ok(pipeline.post(f"/api/v1/deployments/{deployment['id']}/start/"))
        return ok(pipeline.post(f"/api/v1/deployments/{deployment['id']}/complete/"))

    # Version 1 walks the whole path and serves production.
    release(1, 0.86)
    for environment in ("development", "staging"):
        roll_out(deploy(1, environment))
    early = deploy(1, "production")
    assert early["decision"] == "blocked"
    assert [c["check"] for c in early["checks"] if not c["passed"]] == [
        "promotion_path"
    ]
    clock(hours=25)
    v1 = roll_out(deploy(1, "production"))
    assert v1["status"] == "active"

    # Version 2: approved, monitored, staged, soaked, then a production canary.
    release(2, 0.91)
    version = ok(pipeline.get("/api/v1/models/churn/versions/2/"))
    assert version["status"] == "approved"
    report = ok(
        pipeline.post(
            "/api/v1/drift/reports/",
            report_body([stable_categorical()], version=2, environment="staging"),
            format="json",
        ),
        201,
    )
    assert report["severity"] == "ok"
    for environment in ("development", "staging"):
        roll_out(deploy(2, environment))
    clock(hours=25)
    canary = roll_out(deploy(2, "production", strategy="canary", traffic_percent=10))
    assert (canary["status"], canary["traffic_percent"]) == ("active", 10)

    ok(
        pipeline.post(
            f"/api/v1/deployments/{canary['id']}/promote/",
            {"traffic_percent": 50},
            format="json",
        )
    )
    promoted = ok(
        pipeline.post(
            f"/api/v1/deployments/{canary['id']}/promote/",
            {"traffic_percent": 100},
            format="json",
        )
    )
    assert promoted["supersedes"] == v1["id"]
    clock(hours=2)
    rolled_back = ok(
        pipeline.post(
            f"/api/v1/deployments/{canary['id']}/rollback/",
            {"reason": "Conversion fell 3 % in the canary cohort."},
            format="json",
        )
    )
    assert rolled_back["status"] == "rolled_back"

    # The ledger tells the story: what serves production, and how it got there.
    serving = ok(
        pipeline.get("/api/v1/deployments/?model=churn&environment=production")
    )["results"]
    by_id = {row["id"]: row for row in serving}
    assert [(r["version"], r["decision"], r["status"]) for r in serving] == [
        (2, "approved", "rolled_back"),
        (1, "approved", "active"),
        (1, "blocked", "blocked"),
    ]
    assert [
        (s["action"], s["traffic_percent"]) for s in by_id[canary["id"]]["steps"]
    ] == [
        ("start", 10),
        ("complete", 10),
        ("promote", 50),
        ("promote", 100),
        ("rollback", 100),
    ]
    assert [s["action"] for s in by_id[v1["id"]]["steps"]] == [
        "start",
        "complete",
        "supersede",
        "restore",
    ]
    assert by_id[v1["id"]]["steps"][-1]["reason"] == (
        "Conversion fell 3 % in the canary cohort."
    )
    model_ledger = ok(pipeline.get("/api/v1/models/churn/deployments/"))["results"]
    assert len(model_ledger) == 7
    active = ok(pipeline.get("/api/v1/deployments/?model=churn&status=active"))
    assert sorted((r["environment"], r["version"]) for r in active["results"]) == [
        ("development", 2),
        ("production", 1),
        ("staging", 2),
    ]
