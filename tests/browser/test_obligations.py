"""Obligation coverage in Chromium: an auditor opens the overview, reads the
coverage by framework, opens the credit model and its obligations, sees each
obligation's status with the evidence linked or the gap, and follows a policy
link. Screenshots of the obligations page and the overview's panel go to the
screenshot directory."""

import pytest

from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.compliance.conftest import eu_pack, scene  # noqa: F401 - fixtures
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


def sign_in(page, base_url: str, username: str, next_path: str) -> None:
    page.goto(f"{base_url}{next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")


def test_an_auditor_reads_the_obligations_of_a_high_risk_model(
    live_server,
    browser_page,
    scene,  # noqa: F811
    eu_pack,  # noqa: F811
):
    UserFactory(username="ada", password=PASSWORD, roles=["auditor"])
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(browser_page, live_server.url, "ada", "/")

    panel = browser_page.locator("#coverage-by-framework")
    row = panel.locator('[data-coverage="eu_ai_act"]')
    assert row.locator("th").text_content() == "EU AI Act"
    assert row.locator('[data-number="coverage_eu_ai_act_unmet"]').inner_text() == (
        "1 unmet"
    )
    panel.screenshot(path=str(screenshot_dir() / "overview-coverage-panel.png"))

    browser_page.goto(f"{live_server.url}/models/credit/")
    browser_page.click("#obligations-link")
    browser_page.wait_for_url("**/models/credit/obligations/")

    eu = browser_page.locator('[data-framework="eu_ai_act"]')
    assert "4 met" in eu.locator('[data-counts="eu_ai_act"]').inner_text()
    art_11 = eu.locator('[data-obligation="art-11"]')
    assert art_11.get_attribute("data-status") == "unmet"
    assert "missing ethical_considerations" in art_11.inner_text()
    art_9 = eu.locator('[data-obligation="art-9"]')
    assert "Partly met" in art_9.inner_text()
    browser_page.screenshot(
        path=str(screenshot_dir() / "model-obligations.png"), full_page=True
    )

    art_9.locator('[data-evidence="enforced_rule"] a').first.click()
    browser_page.wait_for_url("**/policies/floor/")
    problems.assert_none()


def test_an_executive_filters_the_models_with_unmet_obligations(
    live_server,
    browser_page,
    scene,  # noqa: F811
    eu_pack,  # noqa: F811
):
    UserFactory(username="eve", password=PASSWORD, roles=["executive"])
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(browser_page, live_server.url, "eve", "/models/")

    cell = browser_page.locator(
        '[data-obligations="credit"] [data-coverage="eu_ai_act"]'
    )
    assert cell.inner_text() == "EU AI Act 4/11 met"
    browser_page.select_option('select[name="obligations"]', "not_met")
    browser_page.select_option('select[name="framework"]', "eu_ai_act")
    browser_page.click("form.filters button[type=submit]")
    browser_page.wait_for_url("**/models/?*obligations=not_met*")
    rows = browser_page.locator("#model-table tbody tr[data-model]")
    # chatbot's one applicable obligation (its classification) is met.
    assert rows.evaluate_all("rows => rows.map(row => row.dataset.model)") == ["credit"]
    browser_page.locator("#model-table").screenshot(
        path=str(screenshot_dir() / "model-list-obligations.png")
    )

    browser_page.locator(
        '[data-obligations="credit"] [data-coverage="eu_ai_act"]'
    ).click()
    browser_page.wait_for_url("**/models/credit/obligations/#framework-eu_ai_act")
    assert "4 met" in browser_page.locator('[data-counts="eu_ai_act"]').inner_text()
    problems.assert_none()
