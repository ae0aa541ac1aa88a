"""Simulations are bounded: policies, rules, body bytes and seconds, each
refused with its cap named before the work is done."""

import pytest

from governance import simulation
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import auc_floor

pytestmark = pytest.mark.django_db

SIMULATIONS = "/api/v1/simulations/"


def policy(name, rules=1):
    return {"name": name, "rules": [auc_floor(0.8)] * rules}


@pytest.fixture
def client(api_client_for, executive):
    return api_client_for(executive)


def test_too_many_policies_is_a_413_naming_the_cap(client, settings):
    settings.SIMULATION_MAX_POLICIES = 3
    response = client.post(
        SIMULATIONS, {"upsert": [policy(f"p{i}") for i in range(4)]}, format="json"
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "simulation_too_large"
    assert error["details"] == {"max_policies": 3}


def test_too_many_rules_in_all_is_a_413_naming_the_cap(client, settings):
    settings.SIMULATION_MAX_RULES = 10
    response = client.post(
        SIMULATIONS,
        {"upsert": [policy(f"p{i}", rules=4) for i in range(3)]},
        format="json",
    )
    assert response.status_code == 413
    assert response.json()["error"]["details"] == {"max_rules": 10}


def test_a_body_over_the_simulation_cap_is_a_413_naming_it(client, settings):
    settings.SIMULATION_MAX_BODY_BYTES = 2000
    body = {"upsert": [{**policy("p"), "description": "x" * 3000}]}
    response = client.post(SIMULATIONS, body, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["details"] == {"max_body_bytes": 2000}


def test_the_default_caps_are_far_below_the_probes_12000_policies(settings):
    assert settings.SIMULATION_MAX_POLICIES <= 1000
    assert settings.SIMULATION_MAX_BODY_BYTES < 574 * 1024
    assert 0 < settings.SIMULATION_TIME_BUDGET_SECONDS < 30


def test_a_simulation_past_its_time_budget_stops_with_a_413(
    client, settings, team, monkeypatch
):
    for index in range(3):
        ModelVersionFactory(
            model=MLModelFactory(name=f"m{index}", team=team), version=1
        )
    settings.SIMULATION_TIME_BUDGET_SECONDS = 5
    # The clock the engine reads jumps past any deadline.
    monkeypatch.setattr(simulation, "monotonic", lambda: float("inf"))
    response = client.post(SIMULATIONS, {"upsert": [policy("p")]}, format="json")
    assert response.status_code == 413, response.content
    error = response.json()["error"]
    assert error["code"] == "simulation_too_large"
    assert error["details"] == {"time_budget_seconds": 5}


def test_a_simulation_within_its_caps_answers(client):
    response = client.post(
        SIMULATIONS, {"upsert": [policy("p", rules=3)]}, format="json"
    )
    assert response.status_code == 200, response.content
