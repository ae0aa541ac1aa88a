"""The inventory CSV an examiner asks for: streamed a batch at a time."""

import csv
import io

import pytest
from django.test import Client

from command_center.selectors import rows as selectors
from tests.factories import MLModelFactory

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
        selectors.inventory_rows_in_batches, "__kwdefaults__", {"batch": 3, "now": None}
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
