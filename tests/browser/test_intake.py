"""The use-case intake in a real Chromium: the owning data scientist opens the
questionnaire from the model page, answers it, reads the derived category
with its reasoning line by line, and asks for a lower tier; a governance
admin approves the request from the risk class queue. Full-page screenshots
of the form, the result and the queue go to screenshot_dir()."""

import pytest

from registry.intake import submit_intake
from registry.models import MLModel, RiskClassChange, UseCaseIntake
from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.browser.test_reviews import sign_in
from tests.factories import MLModelFactory, UserFactory
from tests.registry.intake_answers import answers

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def credit(team):
    return MLModelFactory(
        name="credit", display_name="Credit scoring", team=team, risk_tier="low"
    )


def test_a_data_scientist_answers_and_a_governance_admin_approves_a_lower_tier(
    live_server, browser_page, credit, data_scientist
):
    UserFactory(username="gina", roles=["governance_admin"])
    problems = Problems(browser_page)
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server.url, "scientist")

    page.goto(f"{live_server.url}/models/credit/")
    assert page.inner_text('[data-ai-act="unassessed"]') == "EU AI Act: Unassessed"
    page.click('[data-ai-act="unassessed"]')
    page.wait_for_url(f"{live_server.url}/models/credit/intake/")

    page.fill("#id_purpose", "Scores consumer credit applications.")
    page.fill("#id_affected_persons", "Applicants for consumer loans.")
    page.check('input[name=affected_groups][value="consumers"]')
    page.select_option("#id_domain", "creditworthiness")
    page.select_option("#id_autonomy", "human_in_the_loop")
    page.check('input[name=personal_data][value="personal"]')
    page.screenshot(path=str(screenshot_dir() / "intake-form.png"), full_page=True)
    page.click("#submit-intake")
    page.wait_for_url(f"{live_server.url}/models/credit/intake/")

    assert "high-risk (Annex III 5(b), creditworthiness)" in page.inner_text(
        "#derived-category"
    )
    reasoning = page.locator("#reasoning li").all_inner_texts()
    assert reasoning[0].startswith("Art. 6(2), Annex III 5(b):")
    assert "missing" in page.inner_text("#oversight")
    page.screenshot(path=str(screenshot_dir() / "intake-result.png"), full_page=True)
    credit.refresh_from_db()
    assert (credit.ai_act_category, credit.risk_tier) == ("high_risk", "high")

    page.select_option("#ask-form select[name=to_tier]", "medium")
    page.fill("#ask-form textarea[name=reason]", "A credit officer decides.")
    page.click("#ask-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/models/credit/intake/")
    assert "governance admin decides" in page.inner_text(".messages")
    assert "You" not in page.inner_text("#pending-change .muted")

    page.goto(f"{live_server.url}/sign-in/")
    page.context.clear_cookies()
    sign_in(page, live_server.url, "gina")
    page.click("nav[aria-label=Main] >> text=Risk classes")
    page.wait_for_url(f"{live_server.url}/risk-class-changes/")
    change = RiskClassChange.objects.get()
    row = page.locator(f'[data-risk-class-change="{change.pk}"]')
    assert "A credit officer decides." in row.inner_text()
    page.screenshot(path=str(screenshot_dir() / "risk-class-queue.png"), full_page=True)
    row.locator("textarea[name=comment]").first.fill("Agreed: human in the loop.")
    row.locator('[data-action="approve-risk-class"]').click()
    page.wait_for_url(f"{live_server.url}/risk-class-changes/")

    assert "Approved the request: credit is medium risk" in page.inner_text(".messages")
    assert MLModel.objects.get(name="credit").risk_tier == "medium"
    assert UseCaseIntake.objects.count() == 1
    page.goto(f"{live_server.url}/models/credit/")
    page.screenshot(
        path=str(screenshot_dir() / "intake-model-page.png"), full_page=True
    )
    problems.assert_none()


def test_long_unbroken_answers_wrap_inside_the_page_at_1366px(
    live_server, browser_page, credit, data_scientist
):
    # A pasted link or a path is one long word; it wraps instead of pushing
    # the page (and its navigation) tens of thousands of pixels wide.
    link = "https://wiki.example.com/credit/" + "x" * 400
    submit_intake(
        actor=data_scientist,
        model=credit,
        answers=answers(
            purpose=f"See {link}",
            affected_persons=link,
            human_oversight_measures=f"Runbook: {link}",
            human_oversight_contact="y" * 200,
        ),
    )
    RiskClassChange.objects.create(
        model=MLModel.objects.get(pk=credit.pk),
        from_tier="high",
        to_tier="low",
        from_category="high_risk",
        to_category="high_risk",
        reason=f"Art. 6(3): {link}",
        requested_by=data_scientist,
    )
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server.url, "scientist")

    for path in ("/models/credit/intake/", "/risk-class-changes/"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1366, (path, width)
    page.goto(f"{live_server.url}/models/credit/intake/")
    page.screenshot(
        path=str(screenshot_dir() / "intake-long-answers.png"), full_page=True
    )
