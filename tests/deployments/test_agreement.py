"""The gate, the evaluation endpoint and the simulation read the same facts
and run the same evaluator: on the same state they never disagree."""

import pytest

from governance.services import run_simulation
from tests.deployments.conftest import checks_of, request_body
from tests.factories import DeploymentFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def auc_floor(value):
    return [
        {
            "kind": "metric_threshold",
            "params": {"metric": "auc", "op": ">=", "value": value},
        }
    ]


@pytest.mark.parametrize("floor", [0.85, 0.95])
def test_gate_evaluation_endpoint_and_simulation_agree(
    scientist_client, soaked, make_policy, governance_admin, floor
):
    make_policy("production-floor", auc_floor(floor), environments=["production"])

    gate = scientist_client.post(
        "/api/v1/deployments/check/", request_body(), format="json"
    ).json()
    endpoint = scientist_client.get(
        "/api/v1/models/churn/versions/7/evaluation/?environment=production"
    ).json()
    # Removing the policy flips every pair it decides, so the simulation
    # reports today's verdict for (v7, production) as `before`.
    simulation = run_simulation(
        actor=governance_admin, upsert=[], remove=["production-floor"]
    )

    passed = floor < 0.9
    assert checks_of(gate)["governance"]["passed"] is passed
    assert gate["evaluation"]["passed"] is passed
    assert endpoint["passed"] is passed
    assert gate["evaluation"]["results"] == endpoint["results"]
    changes = [
        c
        for c in simulation["changes"]
        if (c["model"], c["version"], c["environment"]) == ("churn", 7, "production")
    ]
    if passed:
        assert changes == []  # passing before and after: nothing changes
    else:
        (change,) = changes
        assert change["before"] is False
        # For a newly passing pair the reasons are the failures that stop
        # blocking: the very sentences the gate gave.
        assert change["reasons"] == [
            r["detail"] for r in gate["evaluation"]["results"] if not r["passed"]
        ]


def test_simulations_count_the_real_active_deployments(
    soaked, make_policy, governance_admin, environments, churn
):
    make_policy("production-floor", auc_floor(0.5), environments=["production"])
    DeploymentFactory(version=soaked.version, environment=environments["production"])
    canary_version = ModelVersionFactory(model=churn, version=8, status="approved")
    DeploymentFactory(
        version=canary_version,
        environment=environments["production"],
        strategy="canary",
        traffic_percent=10,
    )
    DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=5, status="approved"),
        environment=environments["production"],
        status="superseded",
    )

    result = run_simulation(
        actor=governance_admin,
        upsert=[{"name": "production-floor", "rules": auc_floor(0.95)}],
        remove=[],
    )

    # v7 (primary) and v8 (canary) serve production and now fail; v5 no
    # longer serves, and v7's staging deployment is outside the policy.
    assert result["summary"]["active_deployments_out_of_compliance"] == 2
    active = {
        (c["version"], c["environment"])
        for c in result["changes"]
        if c["active_deployment"]
    }
    assert active == {(7, "production"), (8, "production")}


def test_the_simulation_endpoint_counts_them_too(
    api_client_for, governance_admin, soaked, make_policy, environments
):
    make_policy("production-floor", auc_floor(0.5), environments=["production"])
    DeploymentFactory(version=soaked.version, environment=environments["production"])

    response = api_client_for(governance_admin).post(
        "/api/v1/simulations/",
        {"upsert": [{"name": "production-floor", "rules": auc_floor(0.95)}]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["summary"]["active_deployments_out_of_compliance"] == 1
