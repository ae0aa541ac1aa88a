"""The command center in a real Chromium: sign in, the overview agrees with the
summary API, a number leads to its list, a model page draws its charts, a
simulation runs and is saved, the CSV downloads; and no CSP violation on the
way. Full-page screenshots of the overview and a model page are saved to
$MLGOV_SCREENSHOT_DIR (default var/screenshots) for a reviewer to look at."""

import csv
import io
import os
from pathlib import Path

import pytest
from django.conf import settings

from command_center.demo import seed_snapshots
from tests.browser.test_csp import Problems
from tests.command_center.conftest import (  # noqa: F401 - fixtures used below
    add_feature_history,
    policies,
    portfolio,
)
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


def screenshot_dir() -> Path:
    path = Path(
        os.environ.get("MLGOV_SCREENSHOT_DIR")
        or settings.BASE_DIR / "var" / "screenshots"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def executive_user(portfolio):  # noqa: F811 - the fixture imported above
    bravo = portfolio.bravo.versions.get()
    add_feature_history(
        bravo,
        "customer_age",
        [(0.03, "ok"), (0.08, "ok"), (0.14, "warning"), (0.31, "critical")],
    )
    add_feature_history(
        bravo, "channel", [(0.02, "ok"), (0.05, "ok"), (0.04, "ok"), (0.12, "warning")]
    )
    seed_snapshots()
    return UserFactory(username="eve", password=PASSWORD, roles=["executive"])


def sign_in(page, base_url: str, next_path: str = "/") -> None:
    page.goto(f"{base_url}{next_path}")
    page.wait_for_url(f"{base_url}/sign-in/**")
    page.fill("#id_username", "eve")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")


def shown(page, name: str) -> str:
    return page.inner_text(f'[data-number="{name}"]').strip()


def test_the_overview_shows_the_summary_apis_numbers(
    live_server, browser_page, executive_user
):
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})

    sign_in(browser_page, live_server.url)
    api = browser_page.request.get(
        f"{live_server.url}/api/v1/portfolio/summary/"
    ).json()

    assert browser_page.locator("h1").inner_text() == "Portfolio overview"
    assert shown(browser_page, "models") == str(api["models"]) == "4"
    assert shown(browser_page, "versions") == str(api["versions"])
    assert shown(browser_page, "models_compliant") == str(api["models_compliant"])
    assert (
        shown(browser_page, "models_compliance_rate")
        == f"{api['models_compliance_rate']:.1%}"
    )
    assert shown(browser_page, "drift_critical") == str(
        api["drift_alerts_open"]["critical"]
    )
    assert shown(browser_page, "drift_warning") == str(
        api["drift_alerts_open"]["warning"]
    )
    assert shown(browser_page, "overdue_total") == str(api["overdue_reviews"]["total"])
    for tier, counts in api["by_risk_tier"].items():
        assert shown(browser_page, f"tier_{tier}_models") == str(counts["models"])
    attention = browser_page.locator("[data-readiness]").all_inner_texts()
    assert attention[: len(api["attention"])] == [
        f"{item['readiness']:.1f}" for item in api["attention"]
    ]
    # The navigation an executive gets: policies (to read) and simulation yes,
    # reviews and audit no.
    nav = browser_page.locator("nav[aria-label=Main] a").all_inner_texts()
    assert nav == [
        "Overview",
        "Models",
        "Drift",
        "Monitoring",
        "Deployments",
        "Policies",
        "Simulation",
    ]
    assert (
        browser_page.locator("svg.chart title")
        .first.text_content()
        .startswith("Share of models")
    )

    browser_page.screenshot(path=str(screenshot_dir() / "overview.png"), full_page=True)
    problems.assert_none()


def test_a_number_leads_to_its_list_and_a_model_page_to_its_charts(
    live_server, browser_page, executive_user
):
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(browser_page, live_server.url)

    browser_page.click('[data-number="overdue_total"]')
    browser_page.wait_for_url("**/models/?overdue=true&sort=review_due")
    rows = browser_page.locator("#model-table tbody tr[data-model]")
    assert rows.count() == 2
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.model)")) == [
        "alpha",
        "delta",
    ]

    browser_page.goto(f"{live_server.url}/models/?q=bravo")
    browser_page.click("#model-table a")
    browser_page.wait_for_url("**/models/bravo/")
    assert browser_page.inner_text("#readiness-score") == "55.0"
    charts = browser_page.locator("figure.chart-card svg.chart")
    assert charts.count() == 2
    assert charts.first.is_visible()
    assert (
        browser_page.locator(
            "figure[data-feature=customer_age] svg .mark.sev-critical"
        ).count()
        == 1
    )

    browser_page.screenshot(
        path=str(screenshot_dir() / "model-page.png"), full_page=True
    )
    problems.assert_none()


def test_a_simulation_runs_is_saved_and_compared(
    live_server, browser_page, executive_user
):
    problems = Problems(browser_page)
    sign_in(browser_page, live_server.url, "/simulation/")
    assert "nothing here is enforced" in browser_page.inner_text("#not-enforced")

    floor = browser_page.locator("fieldset[data-policy=floor] input[type=text]").first
    floor.fill('{"metric": "auc", "op": ">=", "value": 0.92}')
    browser_page.click("#run-simulation")
    browser_page.wait_for_selector("#impact-table")
    assert browser_page.inner_text('[data-number="newly_failing"]') == "1"
    assert "alpha" in browser_page.inner_text("#impact-table")
    # The edit survived the run, so saving saves the same proposal.
    assert (
        "0.92"
        in browser_page.locator(
            "fieldset[data-policy=floor] input[type=text]"
        ).first.input_value()
    )

    browser_page.fill("#simulation-name", "Floor at 0.92")
    browser_page.click("#save-simulation")
    browser_page.wait_for_url("**/simulation/*/")
    assert browser_page.locator("h1").inner_text() == "Floor at 0.92"
    browser_page.click("#compare-now")
    browser_page.wait_for_selector("#comparison")
    assert "newly failing\t1\t1\t0" in browser_page.inner_text("#comparison").lower()
    problems.assert_none()


def test_a_simulation_adds_a_rule_and_shows_a_bad_parameter_beside_it(
    live_server, browser_page, executive_user
):
    problems = Problems(browser_page)
    sign_in(browser_page, live_server.url, "/simulation/")
    review = browser_page.locator("fieldset[data-policy=review]")
    new_row = review.locator(".new-rule")

    new_row.locator("select").select_option("model_card_fields")
    new_row.locator("input[type=text]").fill('{"fields": ["colour"]}')
    browser_page.click("#run-simulation")
    browser_page.wait_for_selector("[role=alert]")

    invalid = review.locator("[aria-invalid=true]")
    assert invalid.count() == 1
    message = browser_page.locator("#" + invalid.get_attribute("aria-describedby"))
    assert "Unknown value 'colour'" in message.inner_text()
    assert browser_page.locator("#impact-table").count() == 0
    browser_page.screenshot(
        path=str(screenshot_dir() / "simulation-error.png"), full_page=True
    )

    review.locator(".new-rule input[type=text]").fill('{"fields": ["caveats"]}')
    browser_page.click("#run-simulation")
    browser_page.wait_for_selector("#impact-table")
    # bravo's card has no caveats: the added rule fails it where review applies.
    assert int(browser_page.inner_text('[data-number="newly_failing"]')) > 0
    assert "bravo" in browser_page.inner_text("#impact-table")
    assert "nothing here is enforced" in browser_page.inner_text("#not-enforced")
    # The refused run answered 400, which Chromium logs; nothing else may show.
    problems.console.remove(
        "Failed to load resource: the server responded with a status of 400 "
        "(Bad Request)"
    )
    problems.assert_none()


def test_the_inventory_csv_downloads(
    live_server, browser_page, executive_user, tmp_path
):
    sign_in(browser_page, live_server.url)

    with browser_page.expect_download() as info:
        browser_page.click("text=Download inventory (CSV)")
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)

    assert download.suggested_filename.startswith("mlgov-inventory-")
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [row["model"] for row in rows] == ["alpha", "bravo", "charlie", "delta"]
    assert rows[1]["readiness"] == "55.0"
