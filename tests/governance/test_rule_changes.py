"""Rule-level changes: one threshold changed without restating the rules."""

import pytest

from governance.models import Policy
from governance.services import run_simulation
from mlgov.exceptions import FieldError
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import auc_floor
from tests.registry.test_api import assert_error

pytestmark = pytest.mark.django_db

FRESH = {"kind": "max_age_days", "params": {"days": 3650}}


@pytest.fixture
def portfolio(team, make_policy):
    make_policy("floor", [FRESH, auc_floor(0.80)], environments=["production"])
    for index, auc in enumerate([0.82, 0.95, 0.70]):
        ModelVersionFactory(
            model=MLModelFactory(name=f"m-{index}", team=team),
            version=1,
            status="approved",
            metrics={"auc": auc},
        )


def _changes(result):
    return [(c["model"], c["environment"], c["after"]) for c in result["changes"]]


def test_a_rule_level_change_simulates_like_the_whole_list(portfolio, governance_admin):
    by_rule = run_simulation(
        actor=governance_admin,
        upsert=[{"name": "floor", "rules": {"2": {"params": {"value": 0.85}}}}],
        remove=[],
    )
    whole = run_simulation(
        actor=governance_admin,
        upsert=[{"name": "floor", "rules": [FRESH, auc_floor(0.85)]}],
        remove=[],
    )

    assert by_rule["summary"]["newly_failing"] > 0
    assert by_rule == whole
    assert _changes(by_rule) == [("m-0", "production", False)]


def test_a_new_kind_replaces_the_rules_params(portfolio, governance_admin):
    result = run_simulation(
        actor=governance_admin,
        upsert=[
            {
                "name": "floor",
                "rules": {"2": {"kind": "max_age_days", "params": {"days": 1}}},
            }
        ],
        remove=[],
    )

    assert result["summary"]["newly_passing"] == 1


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"3": {"params": {"value": 0.9}}}, "upsert[1].rules.3"),
        ({"first": {"params": {}}}, "upsert[1].rules.first"),
        ({"2": {"params": {"op": "~"}}}, "upsert[1].rules[2].params"),
        ({"2": {"weight": 1}}, "upsert[1].rules.2.weight"),
        ({"2": []}, "upsert[1].rules.2"),
    ],
)
def test_bad_rule_changes_name_the_field(portfolio, governance_admin, rules, field):
    with pytest.raises(FieldError) as error:
        run_simulation(
            actor=governance_admin,
            upsert=[{"name": "floor", "rules": rules}],
            remove=[],
        )

    assert error.value.field.startswith(field)


def test_a_new_policy_needs_the_whole_rules_list(portfolio, governance_admin):
    with pytest.raises(FieldError) as error:
        run_simulation(
            actor=governance_admin,
            upsert=[{"name": "brand-new", "rules": {"1": {"params": {}}}}],
            remove=[],
        )

    assert error.value.field == "upsert[1].rules"


def test_patching_one_rule_of_a_policy_keeps_the_others(
    api_client_for, governance_admin, portfolio
):
    policy = Policy.objects.get(name="floor")

    response = api_client_for(governance_admin).patch(
        f"/api/v1/policies/{policy.pk}/",
        {"rules": {"2": {"params": {"value": 0.9}}}, "reason": "Stricter"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert [rule["params"] for rule in response.json()["rules"]] == [
        {"days": 3650},
        {"metric": "auc", "op": ">=", "value": 0.9},
    ]
    assert response.json()["revision"] == 2


def test_the_simulation_api_takes_rule_level_changes(
    api_client_for, governance_admin, portfolio
):
    client = api_client_for(governance_admin)

    ok = client.post(
        "/api/v1/simulations/",
        {"upsert": [{"name": "floor", "rules": {"2": {"params": {"value": 0.85}}}}]},
        format="json",
    )
    bad = client.post(
        "/api/v1/simulations/",
        {"upsert": [{"name": "floor", "rules": {"9": {"params": {}}}}]},
        format="json",
    )

    assert ok.status_code == 200
    assert ok.json()["summary"]["newly_failing"] == 1
    assert "upsert[1].rules.9" in assert_error(bad, 400)["details"]
