"""The model page's performance and fairness charts in Chromium: a reviewer
sees recall fall under the production floor, the youngest group selected
under four fifths of the reference rate, and the open alerts, with no CSP
problem. Screenshots of both sections go to the screenshot directory."""

import pytest

from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.browser.test_model_page import PASSWORD, sign_in
from tests.command_center.conftest import (  # noqa: F401 - fixtures used below
    policies,
    portfolio,
)
from tests.command_center.test_monitoring_pages import report_history
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_reviewer_reads_performance_and_fairness_on_the_model_page(
    live_server,
    browser_page,
    portfolio,  # noqa: F811
    governance_admin,
):
    report_history(
        portfolio.bravo.versions.get(),
        governance_admin,
        recalls=(0.92, 0.88, 0.81, 0.72, 0.6),
        women=(58, 52, 46, 38, 30),
    )
    UserFactory(username="rita", password=PASSWORD, roles=["reviewer"])
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(browser_page, live_server.url, "rita", "/models/bravo/")

    recall = browser_page.locator("figure[data-performance=recall]")
    assert "Floor 0.75, critical at 0.65." in recall.locator("figcaption").inner_text()
    assert recall.locator("svg .mark.sev-ok").count() == 3
    assert recall.locator("svg .mark.sev-warning").count() == 1
    assert recall.locator("svg .mark.sev-critical").count() == 1
    fairness = browser_page.locator("figure[data-fairness=sex]")
    assert "under four fifths" in fairness.locator("h3").inner_text()
    assert fairness.locator("svg .bar").count() == 2
    assert fairness.locator("svg .mark.sev-warning").count() == 1
    alerts = browser_page.locator(".monitoring-alerts li")
    assert alerts.count() == 2
    assert "recall" in alerts.first.inner_text() or "recall" in alerts.last.inner_text()

    browser_page.locator("#performance-title").scroll_into_view_if_needed()
    section = browser_page.locator("section[aria-labelledby=performance-title]")
    section.screenshot(path=str(screenshot_dir() / "monitoring-performance.png"))
    browser_page.locator("section[aria-labelledby=fairness-title]").screenshot(
        path=str(screenshot_dir() / "monitoring-fairness.png")
    )
    problems.assert_none()
