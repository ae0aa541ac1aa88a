"""The model page in Chromium: an auditor opens a model whose serving version
fails, sees every failing rule with its sentence and policy link, the canary
beside it, the frozen environment, the drift charts on their own scales, the
MLflow origin and the evidence pack; an executive sees the page without the
evidence pack. A full-page screenshot goes to the screenshot directory."""

from datetime import timedelta

import pytest
from django.utils import timezone

from drift.models import FeatureDrift
from integrations.models import MlflowModelLink, MlflowVersionLink
from registry.models import Environment
from registry.services import freeze_environment
from tests.browser.test_command_center import screenshot_dir
from tests.browser.test_csp import Problems
from tests.command_center.conftest import (  # noqa: F401 - fixtures used below
    add_feature_history,
    approve,
    deploy,
    policies,
    portfolio,
)
from tests.factories import DriftReportFactory, ModelVersionFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"
RUN_ID = "3f2a" * 8


@pytest.fixture
def failing_in_production(portfolio, reviewer, governance_admin):  # noqa: F811
    """bravo v1 serves production and fails its floor; v2 is a canary at 10%
    that passes; staging is frozen; bravo was imported from MLflow."""
    v1 = portfolio.bravo.versions.get()
    deploy(v1, "staging", days_ago=90)
    deploy(v1)
    v2 = ModelVersionFactory(
        model=portfolio.bravo, version=2, status="approved", metrics={"auc": 0.86}
    )
    approve(v2, reviewer)
    deploy(v2, traffic_percent=10, days_ago=1)
    freeze_environment(
        actor=governance_admin,
        environment=Environment.objects.get(name="staging"),
        reason="Staging cluster upgrade until Friday.",
    )
    add_feature_history(
        v1, "income", [(0.04, "ok"), (0.09, "ok"), (0.16, "warning"), (0.3, "critical")]
    )
    now = timezone.now()
    for weeks, (d, p_value, severity) in enumerate(
        [(0.29, 0.003, "warning"), (0.12, 0.21, "ok"), (0.06, 0.74, "ok")]
    ):
        report = DriftReportFactory(
            version=v1,
            window_start=now - timedelta(weeks=weeks + 1),
            window_end=now - timedelta(weeks=weeks),
        )
        FeatureDrift.objects.create(
            report=report,
            feature="customer_age",
            kind="numeric",
            method="ks",
            threshold=0.05,
            statistic=d,
            p_value=p_value,
            psi=0.08,
            drifted=p_value < 0.05,
            severity=severity,
            n_reference=800,
            n_current=700,
        )
    link = MlflowModelLink.objects.create(
        model=portfolio.bravo,
        tracking_uri="http://mlflow.internal:5000",
        mlflow_name="bravo-scorer",
        imported_by=governance_admin,
    )
    MlflowVersionLink.objects.create(
        version=v1,
        model_link=link,
        mlflow_version=4,
        run_id=RUN_ID,
        source=f"mlflow-artifacts:/3/{RUN_ID}/artifacts/model",
    )
    return portfolio.bravo


def sign_in(page, base_url: str, username: str, next_path: str) -> None:
    page.goto(f"{base_url}{next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")


def test_an_auditor_reads_why_the_serving_version_fails(
    live_server, browser_page, failing_in_production
):
    UserFactory(username="ada", password=PASSWORD, roles=["auditor"])
    problems = Problems(browser_page)
    browser_page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(browser_page, live_server.url, "ada", "/")

    # The overview names the frozen environment; two clicks reach the model.
    assert "Staging cluster upgrade" in browser_page.inner_text("#frozen-environments")
    browser_page.click("nav[aria-label=Main] >> text=Models")
    browser_page.click("#model-table a >> text=Bravo")
    browser_page.wait_for_url("**/models/bravo/")

    production = browser_page.locator("[data-standing=production]")
    primary = production.locator('[data-speaking="v1 serving"]')
    assert "✗ fails policy" in primary.inner_text()
    rule = primary.locator('[data-rule="floor#1"]')
    assert "auc 0.70 is below the minimum 0.80" in rule.inner_text()
    assert rule.locator("a").get_attribute("href") == "/policies/floor/"
    canary = production.locator('[data-speaking="v2 canary at 10%"]')
    assert "✓ passes policy" in canary.inner_text()
    assert "Staging is frozen" in browser_page.inner_text("[data-frozen=staging]")
    ks = browser_page.locator("figure[data-method=ks]")
    assert (
        "alert below \N{GREEK SMALL LETTER ALPHA} = 0.05"
        in ks.locator("figcaption").inner_text()
    )
    assert ks.locator("svg .mark.sev-warning").count() == 1
    assert browser_page.locator("#mlflow-origin a").first.get_attribute("href") == (
        "http://mlflow.internal:5000/#/models/bravo-scorer/versions/4"
    )
    assert browser_page.locator("#evidence-links a").count() == 2
    assert browser_page.locator("#audit-history tbody tr").count() > 0

    browser_page.screenshot(
        path=str(screenshot_dir() / "model-page-why.png"), full_page=True
    )
    problems.assert_none()


def test_an_executive_sees_no_evidence_pack_link(
    live_server, browser_page, failing_in_production
):
    UserFactory(username="eve", password=PASSWORD, roles=["executive"])
    problems = Problems(browser_page)
    sign_in(browser_page, live_server.url, "eve", "/models/bravo/")

    assert browser_page.locator("#evidence-links").count() == 0
    assert browser_page.locator('[data-rule="floor#1"]').count() == 1
    problems.assert_none()
