"""Issue 24's worked example in Chromium, as its people do it: the credit
model's data scientist opens its obligations under the EU AI Act and reads
art-14 (human oversight) not met, with the gap linking to the intake; fills
the human oversight fields on the intake page; and finds art-14 met. The
before and after screenshots go to the screenshot directory as
worked-example-obligations-before.png and -after.png."""

import pytest

from compliance.services import set_framework_enabled
from registry.intake import submit_intake
from registry.models import UseCaseIntake
from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.browser.test_reviews import sign_in
from tests.command_center.conftest import FULL_CARD
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.registry.intake_answers import CREDIT_SCORING

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def credit(team, data_scientist, governance_admin):
    """pd-scorecard v1 approved with a full model card; its intake answered
    (high-risk, Annex III 5(b)) with human oversight blank; the EU AI Act
    pack enabled."""
    model = MLModelFactory(
        name="pd-scorecard",
        display_name="Credit scorecard",
        team=team,
        owner=data_scientist,
    )
    ModelVersionFactory(
        model=model,
        version=1,
        status="approved",
        created_by=data_scientist,
        model_card=FULL_CARD,
    )
    submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)
    set_framework_enabled(actor=governance_admin, framework="eu_ai_act", enabled=True)
    return model


def art_14(page):
    return page.locator('[data-framework="eu_ai_act"] [data-obligation="art-14"]')


def test_a_data_scientist_documents_human_oversight_and_art_14_is_met(
    live_server, browser_page, credit
):
    problems = Problems(browser_page)
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server.url, "scientist")
    obligations = f"{live_server.url}/models/pd-scorecard/obligations/"

    page.goto(obligations)
    before = art_14(page)
    assert before.get_attribute("data-status") != "met"
    assert (
        "intake revision 1 leaves human oversight measures and human oversight "
        "contact blank" in before.inner_text()
    )
    page.screenshot(
        path=str(screenshot_dir() / "worked-example-obligations-before.png"),
        full_page=True,
    )

    # The gap links to the intake, where the team answers.
    before.locator('a[href="/models/pd-scorecard/intake/"]').first.click()
    page.wait_for_url(f"{live_server.url}/models/pd-scorecard/intake/")
    assert page.input_value("#id_purpose") == CREDIT_SCORING["purpose"]
    page.fill(
        "#id_human_oversight_measures",
        "A credit officer confirms every decline and can override the score.",
    )
    page.fill("#id_human_oversight_contact", "Head of Credit Decisioning")
    page.click("#submit-intake")
    page.wait_for_url(f"{live_server.url}/models/pd-scorecard/intake/")
    assert UseCaseIntake.objects.filter(model=credit).count() == 2

    page.goto(obligations)
    after = art_14(page)
    assert after.get_attribute("data-status") == "met"
    assert "revision 2 documents human oversight (contact: Head of Credit" in (
        after.inner_text()
    )
    page.screenshot(
        path=str(screenshot_dir() / "worked-example-obligations-after.png"),
        full_page=True,
    )
    problems.assert_none()
