"""A data scientist chooses their e-mails in Chromium, receives one on a real
SMTP server on loopback, and sees it among their latest notifications. A
full-page screenshot of the page is saved to $MLGOV_SCREENSHOT_DIR (default
var/screenshots)."""

import pytest

from governance.services import reject_version
from integrations.models import NotificationPreference
from integrations.services import send_due_emails
from tests.browser.test_command_center import PASSWORD, screenshot_dir
from tests.browser.test_csp import Problems
from tests.factories import MLModelFactory, ModelVersionFactory, UserFactory
from tests.integrations.smtp_server import mail_server  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_user_sets_preferences_on_the_page_and_receives_the_email(
    live_server,
    browser_page,
    mail_server,  # noqa: F811 - the fixture imported above
):
    scientist = UserFactory(
        username="dana", password=PASSWORD, roles=["data_scientist"]
    )
    reviewer = UserFactory(username="rui", roles=["reviewer"])
    version = ModelVersionFactory(
        model=MLModelFactory(name="churn"),
        version=4,
        status="in_review",
        created_by=scientist,
        submitted_by=scientist,
    )
    page = browser_page
    problems = Problems(page)
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/sign-in/**")
    page.fill("#id_username", "dana")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click(".account >> text=Notifications")
    page.wait_for_url(f"{live_server.url}/account/notifications/")

    assert page.locator("h1").inner_text() == "Notifications"
    assert "dana@example.com" in page.locator(".notice").inner_text()
    page.uncheck("text=The gate blocked a production deployment")
    page.uncheck("text=Critical drift on a version in production")
    page.check("text=Each notification at once")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Your notification settings are saved.")

    stored = NotificationPreference.objects.get(user=scientist)
    assert sorted(stored.muted_kinds) == ["critical_drift", "gate_blocked"]
    assert stored.delivery == "immediate"
    assert not page.is_checked("text=The gate blocked a production deployment")
    assert page.is_checked("text=A reviewer decided on my version")

    reject_version(version=version, reviewer=reviewer, comment="Labels leak.")
    send_due_emails()

    (message,) = mail_server.to("dana@example.com")
    assert message["Subject"] == "churn v4 rejected by rui"
    assert "Their comment: Labels leak." in message.get_content()
    page.reload()
    latest = page.locator("section[aria-labelledby=recent-title] tbody tr")
    assert latest.count() == 1
    assert "churn v4 rejected by rui" in latest.inner_text()
    assert "Sent" in latest.inner_text()
    page.screenshot(
        path=str(screenshot_dir() / "notification-preferences.png"), full_page=True
    )
    problems.assert_none()
