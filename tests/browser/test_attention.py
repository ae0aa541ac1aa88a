"""The attention list in Chromium: ranked by exposure with each row's reason,
as the summary API gives them, and one click to every model by exposure.
Screenshots: overview-attention.png and models-by-exposure.png."""

import pytest

from tests.browser.test_command_center import (  # noqa: F401 - fixtures
    executive_user,
    screenshot_dir,
    sign_in,
)
from tests.browser.test_csp import Problems
from tests.command_center.conftest import (  # noqa: F401 - fixtures used below
    deploy,
    policies,
    portfolio,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_attention_list_ranks_by_exposure_and_leads_to_the_sorted_list(
    live_server,
    browser_page,
    executive_user,  # noqa: F811 - the fixture imported above
    portfolio,  # noqa: F811 - the fixture imported above
):
    deploy(portfolio.bravo.versions.get())
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})

    sign_in(browser_page, live_server.url)
    api = browser_page.request.get(
        f"{live_server.url}/api/v1/portfolio/summary/"
    ).json()

    attention = browser_page.locator("table.attention tbody tr")
    assert attention.count() == len(api["attention"]) == 3
    first = attention.first
    assert first.locator("[data-reason]").inner_text() == (
        "Serves 100% of production and fails 1 enforced rule"
    )
    assert browser_page.locator(
        "table.attention [data-exposure]"
    ).all_inner_texts() == [f"{item['exposure']:.1f}" for item in api["attention"]]
    assert browser_page.locator("table.attention [data-reason]").all_inner_texts() == [
        item["reason"] for item in api["attention"]
    ]
    browser_page.locator("table.attention").screenshot(
        path=str(screenshot_dir() / "overview-attention.png")
    )

    browser_page.click("text=All models by exposure")
    browser_page.wait_for_url(f"{live_server.url}/models/?sort=exposure")

    rows = browser_page.locator("#model-table tbody tr")
    assert [
        rows.nth(index).get_attribute("data-model") for index in range(rows.count())
    ] == [item["model"] for item in api["attention"]] + ["delta"]
    assert browser_page.locator("select[name=sort]").input_value() == "exposure"
    browser_page.screenshot(
        path=str(screenshot_dir() / "models-by-exposure.png"), full_page=True
    )
    problems.assert_none()
