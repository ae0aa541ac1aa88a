"""In Chromium: a signed-in user without admin rights who opens /admin/ lands
on the command center with a message; 404 and 500 pages wear the command
center's layout; and the main pages log no console error and no CSP
violation. Full-page screenshots of the 404 and 500 pages, of the redirected
admin visit and of the readiness help go to screenshot_dir()."""

import pytest

from governance.engine import READINESS_WEIGHTS
from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.command_center.conftest import (  # noqa: F401 - fixtures used below
    policies,
    portfolio,
)
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"
MAIN_PAGES = [
    "/",
    "/models/",
    "/models/alpha/",
    "/models/bravo/",
    "/drift/",
    "/deployments/",
    "/simulation/",
    "/help/readiness/",
]


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/sign-in/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def test_a_data_scientist_opening_the_admin_lands_on_the_command_center(
    live_server, browser_page, team
):
    scientist = UserFactory(
        username="dana", password=PASSWORD, roles=["data_scientist"]
    )
    team.members.add(scientist)
    problems = Problems(browser_page)
    sign_in(browser_page, live_server.url, "dana")

    browser_page.goto(f"{live_server.url}/admin/")

    browser_page.wait_for_url(f"{live_server.url}/")
    assert browser_page.locator("h1").inner_text() == "Portfolio overview"
    message = browser_page.locator(".messages .message").inner_text()
    assert "The admin is for staff accounts" in message
    assert browser_page.locator("#id_password").count() == 0
    browser_page.screenshot(
        path=str(screenshot_dir() / "admin-refused-to-overview.png"), full_page=True
    )
    problems.assert_none()


def test_an_anonymous_visitor_still_gets_the_admin_login(live_server, browser_page):
    browser_page.goto(f"{live_server.url}/admin/")

    browser_page.wait_for_url(f"{live_server.url}/admin/login/?next=/admin/")
    assert browser_page.locator("#id_password").is_visible()


def test_the_404_page_wears_the_command_center_layout(
    live_server, browser_page, viewer
):
    viewer.set_password(PASSWORD)
    viewer.save()
    problems = Problems(browser_page)
    sign_in(browser_page, live_server.url, viewer.username)

    response = browser_page.goto(f"{live_server.url}/no-such-page/")

    assert response.status == 404
    assert browser_page.locator("header.topbar nav").is_visible()
    assert browser_page.locator("h1").inner_text() == "Not found"
    browser_page.click("text=Back to the overview")
    browser_page.wait_for_url(f"{live_server.url}/")
    browser_page.goto(f"{live_server.url}/no-such-page/")
    browser_page.screenshot(path=str(screenshot_dir() / "404.png"), full_page=True)
    problems.assert_none_but_the_status_of(404)


@pytest.mark.urls("tests.mlgov.urls_extra")
def test_the_500_page_wears_the_command_center_layout(live_server, browser_page):
    problems = Problems(browser_page)

    response = browser_page.goto(f"{live_server.url}/failing/")

    assert response.status == 500
    assert browser_page.locator("header.topbar").is_visible()
    assert browser_page.locator("h1").inner_text() == "Something went wrong"
    assert "Traceback" not in browser_page.content()
    browser_page.screenshot(path=str(screenshot_dir() / "500.png"), full_page=True)
    problems.assert_none_but_the_status_of(500)


def test_the_main_pages_log_no_console_error(
    live_server,
    browser_page,
    portfolio,  # noqa: F811 - the fixture imported above
):
    UserFactory(username="eve", password=PASSWORD, roles=["executive"])
    problems = Problems(browser_page)
    sign_in(browser_page, live_server.url, "eve")

    for path in MAIN_PAGES:
        response = browser_page.goto(f"{live_server.url}{path}")
        browser_page.wait_for_load_state("load")
        assert response.status == 200, path
        problems.assert_none()
    browser_page.goto(f"{live_server.url}/help/readiness/")
    weights = browser_page.locator("#readiness-parts [data-weight]").all_inner_texts()
    assert weights == [str(weight) for weight in READINESS_WEIGHTS.values()]
    browser_page.screenshot(
        path=str(screenshot_dir() / "readiness-help.png"), full_page=True
    )
