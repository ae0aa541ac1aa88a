"""The printable evidence pack in Chromium: an auditor opens a monitored
model's pack and reads its performance and fairness reports, the alerts
with who handled them, and the obligations coverage. A screenshot
of the new sections goes to the screenshot directory."""

import pytest

from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.browser.test_obligations import PASSWORD, sign_in
from tests.factories import UserFactory
from tests.integrations.test_evidence_pack import (  # noqa: F401 - fixtures
    history,
    monitored,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_auditor_reads_the_monitoring_and_obligations_of_the_pack(
    live_server,
    browser_page,
    monitored,  # noqa: F811
):
    UserFactory(username="ada", password=PASSWORD, roles=["auditor"])
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 1300})
    sign_in(browser_page, live_server.url, "ada", "/")

    browser_page.goto(f"{live_server.url}/evidence/churn/")

    performance = browser_page.locator("#performance-reports tr")
    assert performance.count() == 3  # the heading and one report per version
    assert "v2 · production" in performance.nth(2).inner_text()
    fairness = browser_page.locator(".fairness-groups")
    assert fairness.count() == 2
    assert "women" in fairness.first.inner_text()
    assert "four-fifths failed" in browser_page.content()
    alerts = browser_page.locator("#monitoring-alerts").inner_text()
    assert "Cut-off recalibrated per segment" in alerts
    assert "demographic_parity_difference" in alerts
    obligations = browser_page.locator(".obligations").first.inner_text()
    assert "Art." in obligations
    # The new sections, not the whole pack (its audit trail runs long).
    browser_page.evaluate(
        "document.getElementById('performance-reports')"
        ".previousElementSibling.scrollIntoView()"
    )
    browser_page.screenshot(path=str(screenshot_dir() / "evidence-pack-monitoring.png"))
    problems.assert_none()
