"""Technical documentation in Chromium: the model's data scientist opens v1's
documentation from the model page, generates it, and reads the gaps first and
every section; an auditor then reads the revisions with their checksums and
no Generate button. Screenshots go to the screenshot directory."""

import hashlib

import pytest

from compliance.documentation.services import generate_technical_document
from registry.intake import submit_intake
from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.browser.test_model_page import PASSWORD, sign_in
from tests.compliance.documentation.conftest import documented  # noqa: F401 - fixture
from tests.factories import UserFactory
from tests.genai import support_assistant
from tests.registry.intake_answers import answers

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_team_generates_and_an_auditor_reads_the_documentation(
    live_server,
    browser_page,
    documented,  # noqa: F811
    data_scientist,
):
    data_scientist.set_password(PASSWORD)
    data_scientist.save()
    # The intake answered as for credit scoring, human oversight left blank.
    submit_intake(actor=data_scientist, model=documented, answers=answers())
    UserFactory(username="ada", password=PASSWORD, roles=["auditor"])
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(browser_page, live_server.url, "scientist", "/models/churn/")

    browser_page.click('[data-documentation="1"]')
    browser_page.wait_for_url("**/models/churn/v1/documentation/")
    assert browser_page.locator("#no-document").is_visible()
    browser_page.click("#generate-form button")
    browser_page.wait_for_selector("#doc-gaps")

    assert "Revision 1 of churn v1" in browser_page.inner_text(".messages")
    gaps = browser_page.locator("#doc-gaps li")
    assert gaps.count() == 5
    assert "Human-oversight measures" in browser_page.inner_text("#doc-gaps")
    assert "Use-case intake" not in browser_page.inner_text("#doc-gaps")
    assert "(Annex III 5(b))" in browser_page.inner_text("#section-intended_purpose")
    assert browser_page.locator("[data-section]").count() == 8
    assert "Looks sound" in browser_page.inner_text("#section-validation")
    assert browser_page.locator("#generate-form button").inner_text() == (
        "Generate revision 2"
    )
    browser_page.screenshot(
        path=str(screenshot_dir() / "documentation-generated.png"), full_page=True
    )
    problems.assert_none()

    browser_page.click("text=Sign out")
    auditor = browser_page.context.new_page()
    auditor_problems = Problems(auditor)
    auditor.set_viewport_size({"width": 1366, "height": 900})
    sign_in(auditor, live_server.url, "ada", "/reviews/churn/v1/")
    auditor.click("#documentation-link")
    auditor.wait_for_url("**/models/churn/v1/documentation/")

    assert auditor.locator("#revisions tbody tr").count() == 1
    assert len(auditor.inner_text("#revisions code.checksum")) == 64
    assert auditor.locator("#generate-form").count() == 0
    assert auditor.locator("#pdf-download").get_attribute("href") == (
        "/api/v1/models/churn/versions/1/documentation/1/pdf/"
    )
    auditor.screenshot(
        path=str(screenshot_dir() / "documentation-auditor.png"), full_page=False
    )
    auditor_problems.assert_none()


def test_an_llm_applications_document_shows_its_prompt_and_evaluation_suite(
    live_server, browser_page, team, data_scientist
):
    data_scientist.set_password(PASSWORD)
    data_scientist.save()
    _, v1, _ = support_assistant(team=team, created_by=data_scientist)
    generate_technical_document(actor=data_scientist, version=v1)
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(
        browser_page,
        live_server.url,
        "scientist",
        "/models/support-assistant/v1/documentation/",
    )

    general = browser_page.inner_text("#section-general_description")
    assert "LLM application" in general
    assert "gpt-4.1-2025-04-14" in general
    development = browser_page.inner_text("#section-development")
    digest = hashlib.sha256(v1.prompt_template.encode()).hexdigest()
    assert digest in development
    assert v1.prompt_template.splitlines()[0] in development
    suite = browser_page.locator(
        "#section-validation h3:has-text('Evaluation suite results') + table tbody tr"
    )
    assert suite.count() == len(v1.evaluation_results)
    browser_page.screenshot(
        path=str(screenshot_dir() / "documentation-llm.png"), full_page=True
    )
    problems.assert_none()
