"""The simulation page: a proposal from the form, the impact table, saved
runs reopened and compared with now; nothing it does changes a policy."""

import pytest
from auditlog.models import LogEntry
from django.test import Client

from command_center.models import SavedSimulation
from governance.models import Policy, Rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(executive) -> Client:
    client = Client()
    client.force_login(executive)
    return client


def policy_rows() -> list[tuple]:
    return list(
        Policy.objects.order_by("name").values_list(
            "name", "revision", "enforcement", "risk_tiers", "environments"
        )
    ) + list(
        Rule.objects.order_by("pk").values_list("policy__name", "position", "params")
    )


def form(client: Client) -> dict[str, str]:
    """The form's fields as the page renders them (today's policies)."""
    page = client.get("/simulation/")
    data = (
        {"csrfmiddlewaretoken": page.cookies["csrftoken"].value}
        if "csrftoken" in page.cookies
        else {}
    )
    for policy in page.context["policies"]:
        data[f"{policy.prefix}-scope"] = "1"
        data[f"{policy.prefix}-enforcement"] = policy.enforcement
        data[f"{policy.prefix}-risk_tiers"] = list(policy.risk_tiers)
        data[f"{policy.prefix}-environments"] = list(policy.environments)
        for rule in policy.rules:
            data[f"{rule.prefix}-params"] = rule.params_json
    return data


def prefix_of(client: Client, name: str) -> str:
    policies = client.get("/simulation/").context["policies"]
    return next(policy.prefix for policy in policies if policy.name == name)


def test_the_page_says_nothing_is_enforced(client, portfolio):
    html = client.get("/simulation/").content.decode()

    assert "nothing here is enforced" in html
    assert 'data-policy="floor"' in html and 'data-policy="review"' in html


def test_raising_a_threshold_shows_who_would_newly_fail(client, portfolio):
    data = form(client)
    floor = prefix_of(client, "floor")
    data[f"{floor}-r1-params"] = '{"metric": "auc", "op": ">=", "value": 0.92}'
    before = policy_rows()

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 200
    result = response.context["result"]
    assert response.context["proposal"] == {
        "upsert": [
            {
                "name": "floor",
                "rules": [
                    {
                        "kind": "metric_threshold",
                        "params": {"metric": "auc", "op": ">=", "value": 0.92},
                    }
                ],
            }
        ],
        "remove": [],
    }
    # alpha's auc 0.90 no longer clears the floor in production.
    assert result["summary"]["newly_failing"] == 1
    assert [(c["model"], c["environment"]) for c in result["changes"]] == [
        ("alpha", "production")
    ]
    assert "impact-table" in response.content.decode()
    assert policy_rows() == before
    assert not SavedSimulation.objects.exists()


def test_removing_a_policy_and_changing_enforcement(client, portfolio):
    data = form(client)
    data[f"{prefix_of(client, 'review')}-remove"] = "1"
    data[f"{prefix_of(client, 'floor')}-enforcement"] = "advisory"

    response = client.post("/simulation/", {**data, "action": "run"})

    proposal = response.context["proposal"]
    assert proposal["remove"] == ["review"]
    assert proposal["upsert"] == [{"name": "floor", "enforcement": "advisory"}]
    # charlie passes everywhere without the review rule, bravo in production.
    assert response.context["result"]["summary"]["newly_passing"] == 4


def test_scope_changes_and_an_added_rule_reach_the_engine(client, portfolio):
    data = form(client)
    review = prefix_of(client, "review")
    data[f"{review}-risk_tiers"] = ["critical", "high"]
    data["new_rule-policy"] = "floor"
    data["new_rule-kind"] = "model_card_fields"
    data["new_rule-params"] = '{"fields": ["caveats"]}'

    response = client.post("/simulation/", {**data, "action": "run"})

    upsert = {item["name"]: item for item in response.context["proposal"]["upsert"]}
    assert upsert["review"]["scope"]["risk_tiers"] == ["critical", "high"]
    assert upsert["floor"]["rules"][-1] == {
        "kind": "model_card_fields",
        "params": {"fields": ["caveats"]},
    }
    changes = response.context["result"]["changes"]
    # bravo's card has no caveats: it would fail in production still; charlie
    # (low tier) leaves the review scope and passes outside production.
    assert ("charlie", "development", True) in [
        (c["model"], c["environment"], c["after"]) for c in changes
    ]


def test_unreadable_parameters_name_the_field_and_run_nothing(client, portfolio):
    data = form(client)
    floor = prefix_of(client, "floor")
    data[f"{floor}-r1-params"] = "{auc: high}"

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 400
    assert f"{floor}-r1-params" in response.content.decode()
    assert "result" not in response.context


def test_a_proposal_the_engine_refuses_is_a_400_with_its_reason(client, portfolio):
    data = form(client)
    data[f"{prefix_of(client, 'floor')}-r1-params"] = '{"metric": "auc", "op": "=="}'

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 400
    assert "upsert[1].rules" in response.content.decode()


def test_saving_keeps_inputs_results_author_and_time_and_changes_no_policy(
    client, portfolio, executive
):
    data = form(client)
    floor = prefix_of(client, "floor")
    data[f"{floor}-r1-params"] = '{"metric": "auc", "op": ">=", "value": 0.92}'
    before = policy_rows()

    response = client.post(
        "/simulation/", {**data, "action": "save", "name": "Floor at 0.92"}
    )

    run = SavedSimulation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/simulation/{run.pk}/"
    assert run.name == "Floor at 0.92"
    assert run.created_by == executive
    assert run.proposal["upsert"][0]["name"] == "floor"
    assert run.result["summary"]["newly_failing"] == 1
    assert run.policy_revisions == {"floor": 1, "review": 1}
    assert policy_rows() == before
    assert LogEntry.objects.get_for_object(run).get().actor == executive

    page = client.get(f"/simulation/{run.pk}/")
    assert "Floor at 0.92" in page.content.decode()
    assert page.context["run"].result == run.result


def test_a_saved_run_needs_a_name(client, portfolio):
    response = client.post(
        "/simulation/", {**form(client), "action": "save", "name": " "}
    )

    assert response.status_code == 400
    assert "Give the run a name" in response.content.decode()
    assert not SavedSimulation.objects.exists()


def test_a_saved_run_compared_with_now_shows_what_moved(client, portfolio, reviewer):
    data = form(client)
    data[f"{prefix_of(client, 'floor')}-r1-params"] = (
        '{"metric": "auc", "op": ">=", "value": 0.92}'
    )
    client.post("/simulation/", {**data, "action": "save", "name": "Floor at 0.92"})
    run = SavedSimulation.objects.get()
    # Since then, a new approved model with auc 0.90 joined the portfolio.
    from tests.command_center.conftest import approve
    from tests.factories import MLModelFactory, ModelVersionFactory

    version = ModelVersionFactory(
        model=MLModelFactory(name="golf"),
        version=1,
        status="approved",
        metrics={"auc": 0.9},
    )
    approve(version, reviewer)

    page = client.get(f"/simulation/{run.pk}/?compare=1")

    comparison = {
        label: (before, after, delta)
        for label, before, after, delta in page.context["comparison"]
    }
    assert comparison["Newly failing"] == (1, 2, 1)
    assert comparison["Pairs evaluated"] == (9, 12, 3)
    assert run.result == SavedSimulation.objects.get().result


def test_saved_runs_are_for_simulation_roles_only(client, portfolio, viewer):
    client.post("/simulation/", {**form(client), "action": "save", "name": "Baseline"})
    run = SavedSimulation.objects.get()
    other = Client()
    other.force_login(viewer)

    assert other.get(f"/simulation/{run.pk}/").status_code == 403
    assert (
        other.post("/simulation/", {"action": "save", "name": "x"}).status_code == 403
    )
    assert SavedSimulation.objects.count() == 1
    assert client.get("/simulation/999999/").status_code == 404
