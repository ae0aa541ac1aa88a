"""The reviewers' workspace in a real Chromium: a reviewer signs in, opens
the queue from the navigation, sees the failing rule's reason on the review
page and approves in one click; a governance admin assigns a reviewer and
grants a waiver by choosing the failing rule. Full-page screenshots of the
queue and the review page go to screenshot_dir()."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import Approval, ReviewAssignment, Waiver
from tests.browser.test_command_center import PASSWORD, screenshot_dir
from tests.browser.test_csp import Problems
from tests.factories import MLModelFactory, ModelVersionFactory, UserFactory
from tests.governance.conftest import approvals, auc_floor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REASON = "auc 0.78 is below the minimum 0.80"


@pytest.fixture
def churn_in_review(team, data_scientist, make_policy):
    """churn v2 (high risk) waits 6 days, past its 5-day deadline, and fails
    the AUC floor; one approval is enough once the floor is met or waived."""
    make_policy("floor", [auc_floor(0.8)])
    make_policy("review", [approvals(1)])
    churn = MLModelFactory(name="churn", team=team, risk_tier="high")
    ModelVersionFactory(
        model=churn, version=1, status="approved", metrics={"auc": 0.85}
    )
    return ModelVersionFactory(
        model=churn,
        version=2,
        status="in_review",
        created_by=data_scientist,
        submitted_at=timezone.now() - timedelta(days=6),
        metrics={"auc": 0.78},
        model_card={"intended_use": "Retention offers.", "limitations": "Retail."},
        training_data_ref="s3://data/churn/2026-11",
    )


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/sign-in/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def test_a_reviewer_approves_from_the_queue_with_the_reasons_visible(
    live_server, browser_page, churn_in_review
):
    UserFactory(username="rita", roles=["reviewer"])
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(browser_page, live_server.url, "rita")

    browser_page.click("nav[aria-label=Main] >> text=Reviews")
    browser_page.wait_for_url(f"{live_server.url}/reviews/")
    row = browser_page.locator('[data-review="churn-v2"]')
    assert "overdue" in row.inner_text()
    browser_page.screenshot(
        path=str(screenshot_dir() / "review-queue.png"), full_page=True
    )

    row.locator("text=Review").click()
    browser_page.wait_for_url(f"{live_server.url}/reviews/churn/v2/")
    failing = browser_page.locator(".rule-fail").first
    assert REASON in failing.inner_text()
    assert browser_page.locator('[data-metric="auc"] .delta').inner_text() == "-0.07"
    browser_page.screenshot(
        path=str(screenshot_dir() / "review-page.png"), full_page=True
    )

    browser_page.click("#approve-form button[type=submit]")
    browser_page.wait_for_url(f"{live_server.url}/reviews/churn/v2/")

    # The floor still fails, unwaived: approved by rita, the version waits.
    assert "You approved churn v2. It is now in review." in browser_page.inner_text(
        ".messages"
    )
    assert "approved by rita" in browser_page.inner_text("#decide-title + ul")
    assert Approval.objects.get(version=churn_in_review).reviewer.username == "rita"
    problems.assert_none()


def test_a_governance_admin_assigns_a_reviewer_and_waives_the_failing_rule(
    live_server, browser_page, churn_in_review
):
    UserFactory(username="gina", roles=["governance_admin"])
    UserFactory(username="rob", roles=["reviewer"])
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(browser_page, live_server.url, "gina")
    browser_page.click("nav[aria-label=Main] >> text=Reviews")
    browser_page.locator('[data-review="churn-v2"] >> text=Review').click()
    browser_page.wait_for_url(f"{live_server.url}/reviews/churn/v2/")

    browser_page.select_option("#assign-reviewer", "rob")
    browser_page.click("#assign-form button[type=submit]")
    browser_page.wait_for_url(f"{live_server.url}/reviews/churn/v2/")
    assert "rob is asked to review churn v2." in browser_page.inner_text(".messages")
    assert "rob" in browser_page.inner_text("#assigned-reviewers")

    browser_page.select_option(
        "#waiver-rule", label=f"floor · Metric threshold: {REASON}"
    )
    browser_page.fill(
        "#waiver-justification", "The holdout changed; the AUC is not comparable."
    )
    browser_page.fill("#waiver-ticket", "RISK-42")
    browser_page.click("#waiver-form button[type=submit]")
    browser_page.wait_for_url(f"{live_server.url}/reviews/churn/v2/")

    assert "Waiver granted for churn v2" in browser_page.inner_text(".messages")
    assert "waived" in browser_page.locator(".verdict").first.inner_text()
    waiver = Waiver.objects.get()
    assert (waiver.policy.name, waiver.rule_position, waiver.ticket) == (
        "floor",
        1,
        "RISK-42",
    )
    assert ReviewAssignment.objects.get().reviewer.username == "rob"
    browser_page.screenshot(
        path=str(screenshot_dir() / "review-page-admin.png"), full_page=True
    )
    problems.assert_none()
