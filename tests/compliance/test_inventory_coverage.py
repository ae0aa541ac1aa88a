"""Obligation coverage in the inventory: the models list's column, filter and
sort, and the CSV's columns, each agreeing with the model's obligations
page."""

import csv
import io
import re
from datetime import datetime

import pytest
from django.test import Client
from django.utils import timezone

from command_center.portfolio import ModelRow
from command_center.views.exports import _coverage_cells
from compliance.packs import shipped_packs
from compliance.services import set_framework_enabled
from registry.intake import submit_intake
from tests.factories import MLModelFactory
from tests.registry.intake_answers import MINIMAL

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def inventory(scene, eu_pack, governance_admin):
    """credit (high-risk, some obligations not met), chatbot (minimal, its
    intake answered: the one obligation that applies is met) and ledger
    (never assessed: its classification obligation unmet)."""
    submit_intake(actor=governance_admin, model=scene.chatbot, answers=MINIMAL)
    MLModelFactory(name="ledger", team=scene.credit.team)
    return scene


def page_counts(client: Client, name: str) -> dict[str, tuple[int, int, int]]:
    """Per framework, the counts the model's obligations page shows."""
    response = client.get(f"/models/{name}/obligations/")
    return {
        item["framework"].id: (
            item["counts"].met,
            item["counts"].partly_met,
            item["counts"].unmet,
        )
        for item in response.context["frameworks"]
        if item["counts"].applicable
    }


def list_cells(html: str, name: str) -> dict[str, tuple[int, int, int, str, str]]:
    """Per framework, the list's cell for `name`: counts, link and text."""
    cell = re.search(rf'<td data-obligations="{name}">(.*?)</td>', html, re.S)
    assert cell, name
    return {
        framework: (int(met), int(partly), int(unmet), href, text)
        for href, framework, met, partly, unmet, text in re.findall(
            r'<a href="([^"]+)" class="pill \w+" data-coverage="(\w+)" '
            r'data-met="(\d+)" data-partly-met="(\d+)" data-unmet="(\d+)"'
            r"[^>]*>([^<]+)</a>",
            cell.group(1),
        )
    }


def names(client: Client, query: str = "") -> list[str]:
    return [row.name for row in client.get(f"/models/{query}").context["page"]]


def test_the_list_shows_the_counts_the_obligations_page_shows(inventory, viewer):
    client = signed_in(viewer)
    html = client.get("/models/").content.decode()

    for name in ("credit", "chatbot", "ledger"):
        cells = list_cells(html, name)
        expected = page_counts(client, name)
        assert {framework: cell[:3] for framework, cell in cells.items()} == expected, (
            name
        )
        met, partly, unmet, href, text = cells["eu_ai_act"]
        assert href == f"/models/{name}/obligations/#framework-eu_ai_act"
        assert text == f"EU AI Act {met}/{met + partly + unmet} met"
    credit = list_cells(html, "credit")["eu_ai_act"]
    assert credit[0] < sum(credit[:3])
    assert list_cells(html, "chatbot")["eu_ai_act"][4] == "EU AI Act 1/1 met"
    assert list_cells(html, "ledger")["eu_ai_act"][4] == "EU AI Act 0/1 met"


def test_each_enabled_framework_that_applies_has_its_line(
    inventory, viewer, governance_admin
):
    set_framework_enabled(actor=governance_admin, framework="nist_ai_rmf", enabled=True)
    client = signed_in(viewer)
    html = client.get("/models/").content.decode()

    cells = list_cells(html, "credit")
    assert set(cells) == {"eu_ai_act", "nist_ai_rmf"}
    assert {key: cell[:3] for key, cell in cells.items()} == page_counts(
        client, "credit"
    )
    assert cells["nist_ai_rmf"][4].startswith("NIST AI RMF ")


def test_the_filter_keeps_the_models_with_obligations_not_met(inventory, viewer):
    client = signed_in(viewer)

    assert names(client, "?obligations=not_met") == ["credit", "ledger"]
    assert names(client, "?obligations=all_met") == ["chatbot"]
    assert names(client, "?obligations=not_met&framework=eu_ai_act") == [
        "credit",
        "ledger",
    ]
    assert names(client, "?obligations=not_met&risk_tier=high") == ["credit"]


def test_the_filter_narrows_to_one_framework(inventory, viewer, governance_admin):
    set_framework_enabled(actor=governance_admin, framework="nist_ai_rmf", enabled=True)
    client = signed_in(viewer)
    # chatbot meets the EU AI Act's one applicable obligation; whether it
    # meets NIST's is NIST's own counts.
    nist = page_counts(client, "chatbot").get("nist_ai_rmf")
    assert nist is not None

    eu_only = names(client, "?obligations=not_met&framework=eu_ai_act")
    any_framework = names(client, "?obligations=not_met")

    assert "chatbot" not in eu_only
    assert ("chatbot" in any_framework) == (nist[0] < sum(nist))


def test_an_unknown_or_disabled_framework_is_a_400_naming_it(inventory, viewer):
    client = signed_in(viewer)

    disabled = client.get("/models/?obligations=not_met&framework=nist_ai_rmf")
    assert disabled.status_code == 400
    assert "framework" in disabled.content.decode()
    bad = client.get("/models/?obligations=some")
    assert bad.status_code == 400
    assert "obligations" in bad.content.decode()


def test_the_list_sorts_by_share_of_obligations_met(inventory, viewer):
    client = signed_in(viewer)

    # ledger 0 of 1, credit some of its, chatbot 1 of 1.
    assert names(client, "?sort=obligations") == ["ledger", "credit", "chatbot"]


def test_without_a_framework_enabled_there_is_no_column(scene, viewer):
    client = signed_in(viewer)
    html = client.get("/models/").content.decode()

    assert "data-obligations=" not in html
    assert 'name="obligations"' not in html
    assert names(client, "?obligations=not_met") == []


# --- the CSV ---------------------------------------------------------------------


def download(user) -> list[dict[str, str]]:
    response = signed_in(user).get("/exports/inventory.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_csv_has_the_counts_the_obligations_page_shows(inventory, viewer):
    rows = {row["model"]: row for row in download(viewer)}
    client = signed_in(viewer)

    for name in ("credit", "chatbot", "ledger"):
        met, partly, unmet = page_counts(client, name)["eu_ai_act"]
        row = rows[name]
        assert (
            row["eu_ai_act_met"],
            row["eu_ai_act_partly_met"],
            row["eu_ai_act_unmet"],
        ) == (str(met), str(partly), str(unmet)), name
    assert "nist_ai_rmf_met" not in rows["credit"]


def test_the_csv_has_the_intake_category_and_revision(
    inventory, viewer, governance_admin
):
    rows = {row["model"]: row for row in download(viewer)}

    chatbot = rows["chatbot"]
    assert (chatbot["ai_act_category"], chatbot["intake_answered"]) == (
        "minimal",
        "yes",
    )
    assert chatbot["intake_revision"] == "1"
    assert chatbot["intake_derived_category"] == "minimal"
    answered_at = datetime.fromisoformat(chatbot["intake_answered_at"])
    assert answered_at.tzinfo is not None
    ledger = rows["ledger"]
    assert (ledger["intake_answered"], ledger["intake_revision"]) == ("no", "")
    assert (ledger["intake_answered_at"], ledger["ai_act_category"]) == (
        "",
        "unassessed",
    )
    assert rows["credit"]["ai_act_category"] == "high_risk"


def test_a_framework_that_does_not_apply_leaves_its_cells_empty():
    # Every shipped pack has an obligation for every category (the EU AI
    # Act's Art. 6), so a row without a framework's counts is a row outside
    # a custom-only scope: empty cells, not zeros.
    row = ModelRow(
        model_id=1,
        name="m",
        display_name="M",
        team="t",
        team_display="T",
        owner="",
        risk_tier="low",
        registered_at=timezone.now(),
        versions=0,
        compliance={},
        readiness_label=None,
        readiness=None,
        readiness_points={},
        coverage={"eu_ai_act": (2, 1, 0)},
    )
    packs = shipped_packs()

    cells = _coverage_cells(row, (packs["eu_ai_act"], packs["nist_ai_rmf"]))

    assert cells == [2, 1, 0, "", "", ""]


def test_the_csv_without_frameworks_has_no_coverage_columns(scene, viewer):
    (row, *_) = download(viewer)

    assert not [column for column in row if column.endswith("_partly_met")]
    assert "intake_answered" in row
