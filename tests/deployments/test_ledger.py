"""The ledger: which version served where, at what share, from when to when,
and every blocked request with its reasons."""

from datetime import timedelta

import pytest
from django.utils import timezone

from deployments.selectors import (
    active_deployments_by_model_environment,
    gate_decisions_since,
)
from tests.factories import (
    DeploymentFactory,
    MLModelFactory,
    ModelVersionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(churn, environments):
    production = environments["production"]
    old = DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=5, status="approved"),
        environment=production,
        status="superseded",
        activated_at=timezone.now() - timedelta(days=60),
        ended_at=timezone.now() - timedelta(days=10),
    )
    current = DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=6, status="approved"),
        environment=production,
        activated_at=timezone.now() - timedelta(days=10),
        supersedes=old,
    )
    canary = DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=7, status="approved"),
        environment=production,
        strategy="canary",
        traffic_percent=10,
    )
    blocked = DeploymentFactory(
        version=canary.version, environment=production, status="blocked"
    )
    other = DeploymentFactory(
        version=ModelVersionFactory(
            model=MLModelFactory(name="fraud-score"), version=1, status="approved"
        ),
        environment=environments["staging"],
    )
    return {
        "old": old,
        "current": current,
        "canary": canary,
        "blocked": blocked,
        "other": other,
    }


def ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_the_models_ledger_tells_the_story(api_client_for, viewer, history):
    response = api_client_for(viewer).get("/api/v1/models/churn/deployments/")

    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    assert set(rows) == {
        history[name].pk for name in ("old", "current", "canary", "blocked")
    }
    old = rows[history["old"].pk]
    assert (old["version"], old["status"], old["traffic_percent"]) == (
        5,
        "superseded",
        100,
    )
    assert old["activated_at"] and old["ended_at"]
    assert rows[history["current"].pk]["supersedes"] == history["old"].pk
    blocked = rows[history["blocked"].pk]
    assert blocked["decision"] == "blocked"
    assert all(not check["passed"] for check in blocked["checks"])
    assert "evaluation" not in blocked


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("model=churn&status=active", ["canary", "current"]),
        ("decision=blocked", ["blocked"]),
        ("environment=staging", ["other"]),
        ("model=churn&version=7", ["blocked", "canary"]),
    ],
)
def test_the_ledger_filters(api_client_for, auditor, history, query, expected):
    response = api_client_for(auditor).get(f"/api/v1/deployments/?{query}")

    assert response.status_code == 200
    assert sorted(ids(response)) == sorted(history[name].pk for name in expected)


@pytest.mark.parametrize(
    "query", ["status=paused", "decision=maybe", "colour=blue", "version=x"]
)
def test_bad_filters_are_400_naming_the_parameter(api_client_for, viewer, query):
    response = api_client_for(viewer).get(f"/api/v1/deployments/?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["error"]["details"]


def test_an_unknown_models_ledger_is_404(api_client_for, viewer):
    response = api_client_for(viewer).get("/api/v1/models/nope/deployments/")

    assert response.status_code == 404


def test_the_ledger_is_cursor_paginated(api_client_for, viewer, history):
    client = api_client_for(viewer)

    first = client.get("/api/v1/deployments/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert not {r["id"] for r in first["results"]} & {
        r["id"] for r in second["results"]
    }


def test_the_ledger_page_costs_a_fixed_number_of_queries(
    api_client_for, viewer, history, churn, environments, django_assert_num_queries
):
    client = api_client_for(viewer)
    client.get("/api/v1/deployments/")
    for number in range(20, 30):
        DeploymentFactory(
            version=ModelVersionFactory(model=churn, version=number, status="approved"),
            environment=environments["development"],
            status="blocked",
        )

    # token, roles, page, steps
    with django_assert_num_queries(4):
        response = client.get("/api/v1/deployments/")

    assert len(response.json()["results"]) == 15


def test_one_deployment_shows_its_full_evaluation(api_client_for, viewer, history):
    response = api_client_for(viewer).get(
        f"/api/v1/deployments/{history['current'].pk}/"
    )

    assert response.status_code == 200
    assert response.json()["evaluation"] == {"passed": True, "results": []}
    assert api_client_for(viewer).get("/api/v1/deployments/999999/").status_code == (
        404
    )


def test_selectors_for_the_command_center(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        serving = active_deployments_by_model_environment()

    churn = serving[("churn", "production")]
    assert churn["primary"].pk == history["current"].pk
    assert churn["canary"].pk == history["canary"].pk
    assert serving[("fraud-score", "staging")]["canary"] is None

    recent = list(gate_decisions_since(since=timezone.now() - timedelta(days=1)))
    blocked = [d for d in recent if d.decision == "blocked"]
    assert len(recent) == 5
    assert [c["check"] for c in blocked[0].blocking_checks] == [
        "version_status",
        "promotion_path",
        "freeze",
        "governance",
        "no_concurrent_rollout",
    ]
