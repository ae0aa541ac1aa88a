"""Model kinds in a policy's scope on the pages: the editor's picker, the
list's wording, the revision diff and the simulation page's proposal."""

from dataclasses import replace

import pytest

from governance.models import Policy
from governance.selectors import policy_document
from governance.services import update_policy
from tests.command_center.test_policy_pages import (
    floor_edit,
    signed_in,
    simulated_token,
)
from tests.command_center.test_simulation_page import form, prefix_of

pytestmark = pytest.mark.django_db


def floor() -> Policy:
    return Policy.objects.get(name="floor")


def test_the_editor_saves_the_ticked_kinds_and_shows_them_again(
    governance_admin, portfolio
):
    client = signed_in(governance_admin)
    data = floor_edit(model_kinds=["vendor_model", "llm_application"])
    simulated = client.post("/policies/floor/edit/", data)
    client.post(
        "/policies/floor/edit/",
        {**data, "action": "save", "simulated": simulated_token(simulated)},
    )

    assert floor().model_kinds == ["llm_application", "vendor_model"]
    document = floor().revisions.get(revision=2).document
    assert document["scope"]["model_kinds"] == ["llm_application", "vendor_model"]
    editor = client.get("/policies/floor/edit/")
    assert editor.context["form"]["model_kinds"].value() == [
        "llm_application",
        "vendor_model",
    ]
    listing = client.get("/policies/").content.decode()
    assert "LLM application, Vendor model only" in listing


def test_the_editor_refuses_an_unknown_kind_on_its_field(governance_admin, portfolio):
    client = signed_in(governance_admin)

    response = client.post("/policies/floor/edit/", floor_edit(model_kinds=["bot"]))

    assert "model_kinds" in response.context["form"].errors
    assert floor().revision == 1


def test_a_policy_for_every_kind_says_nothing_about_kinds(viewer, portfolio):
    listing = signed_in(viewer).get("/policies/").content.decode()

    assert "data-model-kinds" not in listing


def test_the_diff_shows_the_kinds_a_change_added(portfolio, auditor, governance_admin):
    policy = floor()
    update_policy(
        actor=governance_admin,
        policy=policy,
        document=replace(policy_document(policy), model_kinds=("llm_application",)),
        reason="Groundedness is an LLM matter",
    )

    response = signed_in(auditor).get("/policies/floor/revisions/?from=1&to=2")

    assert response.status_code == 200
    assert response.context["change"].fields == ("model_kinds",)
    (row,) = response.context["scope_changes"]
    assert (row["field"], row["added"], row["removed"]) == (
        "model_kinds",
        ["llm_application"],
        [],
    )
    assert "Model kinds" in response.content.decode()


@pytest.fixture
def simulation_client(executive):
    return signed_in(executive)


def test_the_simulation_page_proposes_a_kind_for_todays_policy(
    simulation_client, portfolio
):
    data = form(simulation_client)
    review = prefix_of(simulation_client, "review")
    data[f"{review}-model_kinds"] = ["llm_application"]

    response = simulation_client.post("/simulation/", {**data, "action": "run"})

    upsert = {item["name"]: item for item in response.context["proposal"]["upsert"]}
    assert upsert["review"]["scope"]["model_kinds"] == ["llm_application"]
    # Every portfolio model is predictive: the review rule leaves them all, so
    # charlie, in review without an approval, passes where it failed.
    passing = {(c["model"], c["after"]) for c in response.context["result"]["changes"]}
    assert ("charlie", True) in passing


def test_the_simulation_page_keeps_the_kinds_of_a_policy_it_rescopes(
    simulation_client, portfolio, governance_admin
):
    policy = Policy.objects.get(name="review")
    update_policy(
        actor=governance_admin,
        policy=policy,
        document=replace(policy_document(policy), model_kinds=("vendor_model",)),
        reason="Vendor models only",
    )
    data = form(simulation_client)
    review = prefix_of(simulation_client, "review")
    assert data[f"{review}-model_kinds"] == "vendor_model"
    data[f"{review}-risk_tiers"] = ["critical"]

    response = simulation_client.post("/simulation/", {**data, "action": "run"})

    upsert = {item["name"]: item for item in response.context["proposal"]["upsert"]}
    assert upsert["review"]["scope"]["model_kinds"] == ["vendor_model"]


def test_the_simulation_page_adds_a_policy_for_one_kind(simulation_client, portfolio):
    data = form(simulation_client)
    data.update(
        {
            "new-name": "llm-grounded",
            "new-enforcement": "enforce",
            "new-model_kinds": ["llm_application"],
            "new-rules-0-kind": "metric_threshold",
            "new-rules-0-params": (
                '{"metric": "groundedness", "op": ">=", "value": 0.8}'
            ),
        }
    )

    response = simulation_client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 200
    (added,) = [
        item
        for item in response.context["proposal"]["upsert"]
        if item["name"] == "llm-grounded"
    ]
    assert added["scope"]["model_kinds"] == ["llm_application"]
    # No LLM application in the portfolio: nobody lacks groundedness.
    assert response.context["result"]["changes"] == []
