"""Single sign-on in a real Chromium: the sign-in page's provider button, the
provider's own page (a real OpenID Connect provider on loopback), and back in
mlgov signed in with the role the groups give; a person in no mapped group
sees the refusal page. Full-page screenshots of the sign-in page and the
refusal page go to screenshot_dir()."""

import pytest
from django.contrib.auth import get_user_model

from mlgov.permissions import user_roles
from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.command_center.oidc_provider import (  # noqa: F401 - fixtures used below
    PROVIDER_NAME,
    oidc_provider,
    sso_settings,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in_at_provider(page, base_url: str, sub: str) -> None:
    page.goto(f"{base_url}/sign-in/")
    page.click(f"text=Sign in with {PROVIDER_NAME}")
    page.wait_for_selector("input[name=sub]")
    page.fill("input[name=sub]", sub)
    page.click("button:has-text('Authorize')")


def test_signing_in_through_the_provider_lands_on_the_overview_with_the_role(
    live_server,
    browser_page,
    sso_settings,  # noqa: F811 - the fixture imported above
    oidc_provider,  # noqa: F811
):
    oidc_provider.set_user("erin@example.com", groups=["mlgov-viewers"])
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    browser_page.goto(f"{live_server.url}/sign-in/")
    assert browser_page.locator("#id_password").count() == 1
    browser_page.screenshot(
        path=str(screenshot_dir() / "sign-in-sso.png"), full_page=True
    )

    sign_in_at_provider(browser_page, live_server.url, "erin@example.com")
    browser_page.wait_for_url(f"{live_server.url}/")

    assert browser_page.locator("h1").inner_text() == "Portfolio overview"
    assert "erin@example.com" in browser_page.inner_text(".account")
    erin = get_user_model().objects.get(username="erin@example.com")
    assert user_roles(erin) == {"viewer"}
    assert problems.violations() == []


def test_a_person_in_no_mapped_group_sees_why_on_the_refusal_page(
    live_server,
    browser_page,
    sso_settings,  # noqa: F811
    oidc_provider,  # noqa: F811
):
    sso_settings.LOCAL_PASSWORD_LOGIN = False
    oidc_provider.set_user("mallory@example.com", groups=["marketing"])
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    browser_page.goto(f"{live_server.url}/sign-in/")
    assert browser_page.locator("#id_password").count() == 0

    sign_in_at_provider(browser_page, live_server.url, "mallory@example.com")
    browser_page.wait_for_url(f"{live_server.url}/oidc/callback/**")

    assert browser_page.locator("h1").inner_text() == "Sign-in refused"
    assert "marketing" in browser_page.inner_text("[role=alert]")
    browser_page.screenshot(
        path=str(screenshot_dir() / "sign-in-refused.png"), full_page=True
    )
    assert not get_user_model().objects.filter(username="mallory@example.com").exists()
    browser_page.click("text=Back to sign in")
    browser_page.wait_for_url(f"{live_server.url}/sign-in/")
