"""The simulation, completed: a new scoped policy proposed from the page,
runs saved from the API joining the page's list, two saved runs compared
side by side, and the "Add a rule" row showing the chosen kind's example."""

import json
import re
from html import unescape

import pytest
from django.test import Client

from command_center.models import SavedSimulation
from governance.engine import RULE_EXAMPLES, RULE_KINDS
from governance.models import Policy
from tests.command_center.test_simulation_page import form, prefix_of
from tests.registry.test_api import assert_error

pytestmark = pytest.mark.django_db

# Queries of the comparison page (session, user, roles, run A, run B).
SIMULATION_COMPARE = 5


@pytest.fixture
def client(governance_admin) -> Client:
    client = Client()
    client.force_login(governance_admin)
    return client


def raise_floor(value: float) -> dict:
    return {"name": "floor", "rules": {"1": {"params": {"value": value}}}}


def test_the_page_proposes_a_new_scoped_policy(client, portfolio):
    data = {
        **form(client),
        "new-name": "high-risk-card",
        "new-enforcement": "enforce",
        "new-risk_tiers": ["high", "critical"],
        "new-environments": ["production"],
        "new-rules-0-kind": "min_approvals",
        "new-rules-0-params": '{"count": 2}',
        "action": "run",
    }

    response = client.post("/simulation/", data)

    assert response.status_code == 200
    assert response.context["proposal"]["upsert"] == [
        {
            "name": "high-risk-card",
            "enforcement": "enforce",
            "scope": {
                "risk_tiers": ["critical", "high"],
                "environments": ["production"],
                "tags": [],
                "model_kinds": [],
            },
            "rules": [{"kind": "min_approvals", "params": {"count": 2}}],
        }
    ]
    # alpha (critical, passing today) has one approval, not two.
    changes = response.context["result"]["changes"]
    assert ("alpha", "production", False) in [
        (change["model"], change["environment"], change["after"]) for change in changes
    ]
    assert ("charlie", "production") not in [
        (change["model"], change["environment"]) for change in changes
    ]
    assert not Policy.objects.filter(name="high-risk-card").exists()


def test_a_new_policy_may_not_take_a_stored_name(client, portfolio):
    response = client.post(
        "/simulation/",
        {
            **form(client),
            "new-name": "floor",
            "new-rules-0-kind": "min_approvals",
            "new-rules-0-params": '{"count": 2}',
            "action": "run",
        },
    )

    assert response.status_code == 400
    assert "A policy named &#x27;floor&#x27; exists" in response.content.decode()


def test_a_new_policys_bad_rule_is_named_on_its_row(client, portfolio):
    response = client.post(
        "/simulation/",
        {
            **form(client),
            "new-name": "fresh",
            "new-rules-0-kind": "max_age_days",
            "new-rules-0-params": '{"days": 0}',
            "action": "run",
        },
    )

    assert response.status_code == 400
    errors = response.context["form"].new_policy.rules.forms[0].errors
    assert errors["params"] == ["params.days: Must be at least 1."]


def test_add_a_rule_offers_every_kinds_example_and_shows_the_chosen_one(
    client, portfolio
):
    page = client.get("/simulation/").content.decode()
    examples = re.search(r'data-examples="([^"]+)"', page)
    assert examples
    assert json.loads(unescape(examples.group(1))) == {
        kind: json.dumps(RULE_EXAMPLES[kind], sort_keys=True) for kind in RULE_KINDS
    }
    assert 'src="/static/command_center/rules.js"' in page

    floor = prefix_of(client, "floor")
    response = client.post(
        "/simulation/",
        {
            **form(client),
            f"{floor}-rules-1-kind": "max_age_days",
            f"{floor}-rules-1-params": "{}",
            "action": "run",
        },
    )
    row = response.context["form"].policies[0].rules.forms[1]
    assert row["params"].field.widget.attrs["placeholder"] == '{"days": 365}'


def test_a_run_saved_from_the_api_joins_the_pages_list(
    api_client_for, client, portfolio, governance_admin
):
    response = api_client_for(governance_admin).post(
        "/api/v1/simulations/",
        {"upsert": [raise_floor(0.92)], "save": True, "name": "API: floor 0.92"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    run = SavedSimulation.objects.get()
    assert body["saved_run"] == {"id": run.pk, "name": "API: floor 0.92"}
    assert body["summary"]["newly_failing"] == run.result["summary"]["newly_failing"]
    assert run.created_by == governance_admin
    assert run.proposal == {"upsert": [raise_floor(0.92)], "remove": []}
    assert "API: floor 0.92" in client.get("/simulation/").content.decode()


def test_an_api_run_is_saved_only_when_asked(api_client_for, portfolio, executive):
    response = api_client_for(executive).post(
        "/api/v1/simulations/", {"upsert": [raise_floor(0.92)]}, format="json"
    )

    assert response.status_code == 200
    assert "saved_run" not in response.json()
    assert not SavedSimulation.objects.exists()


def test_saving_from_the_api_needs_a_name(api_client_for, portfolio, executive):
    error = assert_error(
        api_client_for(executive).post(
            "/api/v1/simulations/",
            {"upsert": [raise_floor(0.92)], "save": True},
            format="json",
        ),
        400,
        "invalid",
    )

    assert "name" in error["details"]
    assert not SavedSimulation.objects.exists()


def test_roles_without_simulations_cannot_save_from_the_api(
    api_client_for, portfolio, viewer
):
    response = api_client_for(viewer).post(
        "/api/v1/simulations/",
        {"upsert": [raise_floor(0.92)], "save": True, "name": "Mine"},
        format="json",
    )

    assert response.status_code == 403
    assert not SavedSimulation.objects.exists()


def save_two_runs(api_client_for, user) -> tuple[int, int]:
    api = api_client_for(user)
    ids = []
    for value, name in ((0.92, "Floor 0.92"), (0.6, "Floor 0.60")):
        response = api.post(
            "/api/v1/simulations/",
            {"upsert": [raise_floor(value)], "save": True, "name": name},
            format="json",
        )
        ids.append(response.json()["saved_run"]["id"])
    return ids[0], ids[1]


def test_two_saved_runs_side_by_side_show_what_one_fails_and_the_other_passes(
    api_client_for, client, portfolio, governance_admin
):
    first, second = save_two_runs(api_client_for, governance_admin)

    response = client.get(f"/simulation/compare/?a={first}&b={second}")

    assert response.status_code == 200
    rows = {(row["model"], row["environment"]): row for row in response.context["rows"]}
    # alpha (auc 0.90) fails a 0.92 floor, passes 0.60; bravo (0.70) the reverse
    # of today, passing under B only.
    assert rows["alpha", "production"]["first_passes"] is False
    assert rows["alpha", "production"]["second_passes"] is True
    assert rows["alpha", "production"]["reasons"] == [
        "auc 0.90 is below the minimum 0.92"
    ]
    assert rows["bravo", "production"]["first_passes"] is False
    assert rows["bravo", "production"]["second_passes"] is True
    assert rows["bravo", "production"]["reasons"] == [
        "auc 0.70 is below the minimum 0.80"
    ]
    summary = {label: (a, b) for label, a, b, _ in response.context["summary"]}
    assert summary["Newly failing"] == (1, 0)
    assert summary["Newly passing"] == (0, 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [("a=&b=1", "a"), ("b=1", "a"), ("a=999&b=999", "a"), ("a={run}&b=x", "b")],
)
def test_a_comparison_of_unknown_runs_is_a_400_naming_the_field(
    api_client_for, client, portfolio, governance_admin, query, field
):
    run, _ = save_two_runs(api_client_for, governance_admin)

    response = client.get(f"/simulation/compare/?{query.format(run=run)}")

    assert response.status_code == 400
    assert response.context["compare_error"].field == field


def test_comparisons_are_for_simulation_roles_only(client, viewer, portfolio):
    other = Client()
    other.force_login(viewer)

    assert other.get("/simulation/compare/?a=1&b=2").status_code == 403


def test_the_comparison_query_count_is_pinned(
    api_client_for, client, portfolio, governance_admin, django_assert_num_queries
):
    first, second = save_two_runs(api_client_for, governance_admin)

    with django_assert_num_queries(SIMULATION_COMPARE):
        client.get(f"/simulation/compare/?a={first}&b={second}")
