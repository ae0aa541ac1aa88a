"""The alert pages in a real Chromium at a 1366px-wide window: no label of
the main navigation wraps; a reviewer opens Monitoring from the navigation,
filters to performance alerts and resolves one with a note; on Drift the
same form acknowledges a drift alert. Screenshots of both pages go to
screenshot_dir()."""

import pytest

from drift.models import DriftAlert, MonitoringAlert
from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.browser.test_reviews import sign_in
from tests.command_center.conftest import (  # noqa: F401 - fixtures used below
    policies,
    portfolio,
)
from tests.command_center.test_alert_pages import bravo_alerts  # noqa: F401
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDE = {"width": 1366, "height": 900}


def nav_link_heights(page) -> dict[str, float]:
    return page.evaluate(
        """() => Object.fromEntries(
            [...document.querySelectorAll('nav[aria-label=Main] a')].map(
                (a) => [a.textContent.trim(), a.getBoundingClientRect().height]))"""
    )


def single_line_height(page) -> float:
    """A nav link's height when its label is one line: its line height and
    its vertical padding."""
    return page.evaluate(
        """() => {
            const a = document.querySelector('nav[aria-label=Main] a');
            const style = getComputedStyle(a);
            const probe = document.createElement('span');
            probe.textContent = 'x';
            probe.style.font = style.font;
            probe.style.lineHeight = style.lineHeight;
            probe.style.display = 'block';
            a.parentElement.appendChild(probe);
            const line = probe.getBoundingClientRect().height;
            probe.remove();
            const padding = parseFloat(style.paddingTop)
                + parseFloat(style.paddingBottom);
            return line + padding;
        }"""
    )


def test_no_nav_label_wraps_at_1366_pixels(live_server, browser_page):
    # A staff governance admin sees every link the navigation has.
    UserFactory(username="gina", roles=["governance_admin"], is_staff=True)
    browser_page.set_viewport_size(WIDE)
    sign_in(browser_page, live_server.url, "gina")

    heights = nav_link_heights(browser_page)
    line = single_line_height(browser_page)

    assert {"Risk classes", "Monitoring", "Admin"} <= set(heights)
    assert all(abs(height - line) < 0.5 for height in heights.values()), (
        heights,
        line,
    )
    # Every label is in view, none cut off by the account links.
    assert browser_page.evaluate(
        """() => { const ul = document.querySelector('ul.nav');
                   return ul.scrollWidth <= ul.clientWidth; }"""
    )


def test_a_reviewer_filters_monitoring_alerts_and_resolves_one(
    live_server,
    browser_page,
    bravo_alerts,  # noqa: F811
):
    UserFactory(username="rita", roles=["reviewer"])
    recall = bravo_alerts["performance"]
    problems = Problems(browser_page)
    browser_page.set_viewport_size(WIDE)
    sign_in(browser_page, live_server.url, "rita")

    browser_page.click("nav[aria-label=Main] >> text=Monitoring")
    browser_page.wait_for_url(f"{live_server.url}/monitoring/")
    assert browser_page.locator("#monitoring-alert-table tbody tr").count() == 2

    browser_page.select_option("select[name=kind]", "performance")
    browser_page.click("form.filters button[type=submit]")
    browser_page.wait_for_url("**/monitoring/?kind=performance*")
    rows = browser_page.locator("#monitoring-alert-table tbody tr")
    assert rows.count() == 1
    row = browser_page.locator(f'[data-monitoring-alert="{recall.pk}"]')
    assert "0.60 < floor 0.65" in row.inner_text()
    row.locator("textarea").fill("Ground truth arrived late; recall is back.")
    browser_page.screenshot(
        path=str(screenshot_dir() / "monitoring-alerts.png"), full_page=True
    )

    row.locator("button[value=resolve]").click()
    browser_page.wait_for_url("**/monitoring/?kind=performance*")

    assert "is now resolved" in browser_page.inner_text(".messages")
    assert "No alert matches these filters." in browser_page.inner_text(
        "#monitoring-alert-table"
    )
    recall.refresh_from_db()
    assert (recall.status, recall.resolved_by.username) == ("resolved", "rita")
    assert recall.resolution_note == "Ground truth arrived late; recall is back."
    assert MonitoringAlert.objects.get(kind="fairness").status == "open"
    problems.assert_none()


def test_a_reviewer_acknowledges_a_drift_alert(
    live_server,
    browser_page,
    portfolio,  # noqa: F811
):
    UserFactory(username="rita", roles=["reviewer"])
    bravo = DriftAlert.objects.get(version__model__name="bravo")
    problems = Problems(browser_page)
    browser_page.set_viewport_size(WIDE)
    sign_in(browser_page, live_server.url, "rita")

    browser_page.click("nav[aria-label=Main] >> text=Drift")
    browser_page.wait_for_url(f"{live_server.url}/drift/")
    row = browser_page.locator(f'[data-alert="{bravo.pk}"]')
    row.locator("textarea").fill("Looking into the new campaign's traffic.")
    row.locator("button[value=acknowledge]").click()
    browser_page.wait_for_url(f"{live_server.url}/drift/")

    row = browser_page.locator(f'[data-alert="{bravo.pk}"]')
    assert "Acknowledged" in row.inner_text()
    assert row.locator("button[value=acknowledge]").count() == 0
    assert "is now acknowledged" in browser_page.inner_text(".messages")
    browser_page.screenshot(
        path=str(screenshot_dir() / "drift-alert-acknowledge.png"), full_page=True
    )
    bravo.refresh_from_db()
    assert bravo.acknowledged_by.username == "rita"
    problems.assert_none()
