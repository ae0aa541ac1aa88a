"""The admin and the API docs work in a real browser under the CSP, and no
violation is reported. Skipped only when /usr/bin/chromium is missing."""

import pytest

from tests.factories import MLModelFactory, UserFactory

# Transactional, since the live server reads through its own connection;
# serialized_rollback restores the rows of data migrations (role groups,
# environments, content types) that the flush after each test removes. They
# also run last (tests/conftest.py), so no test that does not restore those
# rows runs after their flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"

# Records CSP violations the page reports, before any of its scripts run.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


class Problems:
    """Console errors, CSP messages and uncaught page errors of one page."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_console(self, message) -> None:
        text = message.text
        if message.type == "error" or "Content Security Policy" in text:
            self.console.append(text)

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations || []")

    def assert_none(self) -> None:
        assert self.violations() == []
        assert [m for m in self.console if "Content Security Policy" in m] == []
        assert self.console == []
        assert self.errors == []

    def assert_none_but_the_status_of(self, status: int) -> None:
        """No problem besides Chromium's note that the page itself answered
        `status` (an error page's own status is what it is for)."""
        expected = f"the server responded with a status of {status}"
        self.console = [m for m in self.console if expected not in m]
        self.assert_none()


@pytest.fixture
def staff_user():
    user = UserFactory(
        username="gina", is_staff=True, is_superuser=True, password=PASSWORD
    )
    MLModelFactory(name="churn")
    return user


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", "gina")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def test_the_admin_works_under_the_csp(live_server, browser_page, staff_user):
    problems = Problems(browser_page)

    log_in(browser_page, live_server.url)
    assert browser_page.locator("#site-name").is_visible()
    browser_page.goto(f"{live_server.url}/admin/registry/mlmodel/")
    browser_page.wait_for_selector("#result_list")
    # The change list's JavaScript runs: ticking a row enables the actions bar.
    browser_page.check("input.action-select")
    browser_page.wait_for_selector("tr.selected")

    problems.assert_none()


def test_the_api_docs_render_under_the_csp(live_server, browser_page, staff_user):
    problems = Problems(browser_page)
    log_in(browser_page, live_server.url)

    browser_page.goto(f"{live_server.url}/api/docs/")
    browser_page.wait_for_selector(".swagger-ui .info .title")
    browser_page.wait_for_selector(".opblock-summary-path")

    assert "mlgov API" in browser_page.inner_text(".swagger-ui .info .title")
    paths = browser_page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/models/" in path for path in paths)
    problems.assert_none()


def test_the_watch_catches_an_inline_script_the_csp_blocks(
    live_server, browser_page, staff_user
):
    problems = Problems(browser_page)
    browser_page.goto(f"{live_server.url}/admin/login/")

    browser_page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.body.appendChild(script);
        }"""
    )
    browser_page.wait_for_function("window.__cspViolations.length > 0")

    assert browser_page.evaluate("window.__injected === undefined")
    assert any("script-src" in v for v in problems.violations())
