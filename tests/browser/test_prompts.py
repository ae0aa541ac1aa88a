"""An LLM application in Chromium: a reviewer opens the model page, reads the
provider, the prompt template and the evaluation results the gate decides
on, follows the link to the prompt diff, and sees the changed lines side by
side; a screenshot of each page goes to the screenshot directory, and no
page breaks the content security policy."""

import pytest

from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.browser.test_model_page import PASSWORD, sign_in
from tests.factories import TeamFactory, UserFactory
from tests.genai import LLM_RULES, support_assistant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def assistant(make_policy):
    make_policy("llm-floor", LLM_RULES)
    author = UserFactory(username="sam", roles=["data_scientist"])
    return support_assistant(
        team=TeamFactory(name="care"), created_by=author, status="in_review"
    )


def test_a_reviewer_reads_the_llm_section_and_the_prompt_diff(
    live_server, browser_page, assistant
):
    UserFactory(username="rita", password=PASSWORD, roles=["reviewer"])
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(browser_page, live_server.url, "rita", "/models/support-assistant/")

    llm = browser_page.locator("#llm")
    assert "LLM application" in llm.locator("h2").inner_text()
    assert llm.locator("[data-provider-model]").inner_text() == "gpt-4.1-2025-04-14"
    assert (
        "Never reveal personal data."
        in llm.locator("[data-prompt-template]").inner_text()
    )
    rows = llm.locator("[data-evaluation-results] tbody tr")
    assert rows.count() == 2
    assert rows.nth(1).inner_text().split("\t")[:4] == [
        "toxicity",
        "0.03",
        "detoxify",
        "2000",
    ]
    llm.scroll_into_view_if_needed()
    llm.screenshot(path=str(screenshot_dir() / "llm-model-section.png"))

    browser_page.click("#prompt-diff-link")
    browser_page.wait_for_url("**/models/support-assistant/prompts/")
    table = browser_page.locator("#prompt-side-by-side")
    changed = table.locator("tr[data-change=changed]")
    assert changed.count() == 1
    assert "say you do not know otherwise." in changed.inner_text()
    added = table.locator("tr[data-change=added]")
    assert "Never reveal personal data." in added.inner_text()
    # The highlight comes from the stylesheet, not inline styles.
    colour = added.locator("td.new").last.evaluate(
        "cell => getComputedStyle(cell).backgroundColor"
    )
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    browser_page.click("#prompt-unified summary")
    assert "+Never reveal personal data." in browser_page.inner_text("#prompt-unified")
    browser_page.screenshot(
        path=str(screenshot_dir() / "llm-prompt-diff.png"), full_page=True
    )

    browser_page.select_option("#prompt-from", "2")
    browser_page.click("#prompt-diff-form button[type=submit]")
    browser_page.wait_for_url("**/prompts/?from=2&to=2")
    assert "the templates are the same" in browser_page.inner_text("#prompt-diff h2")
    problems.assert_none()
