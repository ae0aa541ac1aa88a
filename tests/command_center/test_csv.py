"""The inventory CSV an examiner asks for: streamed a batch at a time."""

import csv
import io
import json

import pytest
from django.test import Client

from command_center.selectors import rows as selectors
from compliance.services import set_framework_enabled
from tests.command_center.conftest import deploy
from tests.command_center.test_pages import grow_portfolio
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def download(user) -> tuple:
    client = Client()
    client.force_login(user)
    response = client.get("/exports/inventory.csv")
    body = b"".join(response.streaming_content).decode()
    return response, list(csv.DictReader(io.StringIO(body)))


def test_the_csv_has_one_row_per_inventory_model_with_its_governance_facts(
    viewer, portfolio
):
    response, rows = download(viewer)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="mlgov-inventory-'
    )
    by_name = {row["model"]: row for row in rows}
    assert list(by_name) == ["alpha", "bravo", "charlie", "delta"]
    bravo = by_name["bravo"]
    assert bravo["team"] == "risk"
    assert bravo["risk_tier"] == "high"
    assert bravo["versions"] == "1"
    assert (bravo["production_version"], bravo["compliant_production"]) == (
        "v1 candidate",
        "no",
    )
    assert (bravo["development_version"], bravo["compliant_development"]) == (
        "v1 candidate",
        "yes",
    )
    assert (bravo["readiness_version"], bravo["readiness"]) == ("v1 candidate", "55.0")
    assert bravo["last_approval"] != ""
    assert bravo["review_overdue"] == "no"
    assert by_name["alpha"]["review_overdue"] == "yes"
    delta = by_name["delta"]
    assert (
        delta["production_version"],
        delta["readiness"],
        delta["compliant_production"],
    ) == ("", "", "")
    assert delta["last_approval"] == ""
    assert delta["next_review_due"] != ""


def test_the_csv_reads_the_inventory_in_batches(viewer, portfolio, monkeypatch):
    batches = []
    original = selectors.model_rows

    def counting(models, **kwargs):
        rows = original(models, **kwargs)
        batches.append(len(rows))
        return rows

    monkeypatch.setattr(selectors, "model_rows", counting)
    monkeypatch.setattr(
        selectors.inventory_batches,
        "__kwdefaults__",
        {"batch": 3, "now": None, "frameworks": None},
    )

    _response, rows = download(viewer)

    assert batches == [3, 1]
    assert len(rows) == 4


def test_spreadsheet_formulas_in_names_are_neutralised(viewer, db):
    MLModelFactory(name="formula", display_name='=HYPERLINK("http://x")')

    _response, rows = download(viewer)

    assert rows[0]["display_name"].startswith("'=")


def test_anonymous_users_cannot_download(db):
    response = Client().get("/exports/inventory.csv")

    assert response.status_code == 302


def test_the_csv_names_the_failing_production_rules_and_the_open_alerts(
    viewer, portfolio
):
    deploy(portfolio.bravo.versions.get())

    _response, rows = download(viewer)

    by_name = {row["model"]: row for row in rows}
    bravo = by_name["bravo"]
    assert bravo["production_failing_rules"] == "floor rule 1 (metric_threshold)"
    (detail,) = json.loads(bravo["production_failing_details"])
    assert {key: detail[key] for key in ("version", "policy", "rule", "kind")} == {
        "version": 1,
        "policy": "floor",
        "rule": 1,
        "kind": "metric_threshold",
    }
    assert "auc" in detail["reason"]
    assert (bravo["open_warning_alerts"], bravo["open_critical_alerts"]) == ("1", "0")
    assert (bravo["exposure"], bravo["exposure_reason"]) == (
        "15.0",
        "Serves 100% of production and fails 1 enforced rule",
    )
    charlie = by_name["charlie"]
    assert charlie["production_failing_rules"] == "review rule 1 (min_approvals)"
    # An acknowledged alert is still open; alpha's critical one is resolved.
    assert (charlie["open_warning_alerts"], charlie["open_critical_alerts"]) == (
        "0",
        "1",
    )
    alpha = by_name["alpha"]
    assert (alpha["production_failing_rules"], alpha["production_failing_details"]) == (
        "",
        "",
    )
    assert (alpha["open_warning_alerts"], alpha["open_critical_alerts"]) == ("0", "0")
    assert by_name["delta"]["exposure"] == "0.0"


def test_the_csv_lists_the_canarys_failures_beside_the_primarys(viewer, portfolio):
    alpha_v1 = portfolio.alpha.versions.get()
    canary = ModelVersionFactory(
        model=portfolio.alpha, version=2, status="approved", metrics={"auc": 0.5}
    )
    deploy(alpha_v1)
    deploy(canary, traffic_percent=10)

    _response, rows = download(viewer)

    alpha = next(row for row in rows if row["model"] == "alpha")
    assert alpha["production_failing_rules"] == (
        "floor rule 1 (metric_threshold); review rule 1 (min_approvals)"
    )
    details = json.loads(alpha["production_failing_details"])
    assert [(item["version"], item["policy"]) for item in details] == [
        (2, "floor"),
        (2, "review"),
    ]


# Session, user, roles and environments; per batch of models, its names and
# its rows (environments, what speaks and serves, governance's eight, the
# last approvals, the reviews past their deadline, the open alerts per model
# and severity, and the models); then the empty batch that ends it. Exposure
# added the reviews past their deadline and the open alerts; the latest
# performance and fairness reports are governance's eighth; obligation
# coverage the enabled frameworks, read once for every batch. Each batch
# reads its models' current use-case intakes in one more (registry's
# current_intakes).
CSV_QUERIES = 22


def test_csv_queries_do_not_grow_with_the_portfolio(
    viewer, portfolio, reviewer, django_assert_num_queries
):
    client = Client()
    client.force_login(viewer)

    def lines() -> list[str]:
        response = client.get("/exports/inventory.csv")
        return b"".join(response.streaming_content).decode().splitlines()

    with django_assert_num_queries(CSV_QUERIES):
        lines()
    grow_portfolio(reviewer, 5, deployed=True)

    with django_assert_num_queries(CSV_QUERIES):
        assert len(lines()) == 1 + 9


# With a framework enabled: the custom obligations, once for every batch;
# then per batch compliance's coverage facts (the speaking versions' facts
# come with the standings, no query): production deployments, drift
# reports, unhandled alerts, audit retention, provenance and documents, and
# the models with their intake's oversight (six). A portfolio where nothing
# serves skips the drift reports.
CSV_QUERIES_WITH_FRAMEWORKS = CSV_QUERIES + 1 + 6


def test_csv_queries_with_a_framework_enabled_do_not_grow(
    viewer, portfolio, reviewer, governance_admin, django_assert_num_queries
):
    set_framework_enabled(actor=governance_admin, framework="eu_ai_act", enabled=True)
    deploy(portfolio.alpha.versions.get())
    client = Client()
    client.force_login(viewer)

    def lines() -> list[str]:
        response = client.get("/exports/inventory.csv")
        return b"".join(response.streaming_content).decode().splitlines()

    with django_assert_num_queries(CSV_QUERIES_WITH_FRAMEWORKS):
        lines()
    grow_portfolio(reviewer, 5, deployed=True)

    with django_assert_num_queries(CSV_QUERIES_WITH_FRAMEWORKS):
        found = lines()
    assert len(found) == 1 + 9
    assert found[0].endswith("eu_ai_act_met,eu_ai_act_partly_met,eu_ai_act_unmet")
