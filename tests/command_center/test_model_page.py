"""The model page says why: per environment the version that speaks for the
model, every rule it does not meet with its sentence and policy, the waivers
and alerts on it, freezes, the audit history of everything about the model,
the evidence pack and the MLflow origin, and drift charts on each method's
own scale."""

import re
from datetime import timedelta

import pytest
from auditlog.context import set_actor
from django.test import Client
from django.utils import timezone

from drift.models import FeatureDrift
from governance.models import Policy, Waiver
from governance.services import grant_waiver
from integrations.models import (
    MlflowModelLink,
    MlflowSync,
    MlflowVersionLink,
    UngovernedChange,
)
from registry.models import Environment
from registry.services import freeze_environment
from tests.command_center.conftest import approve, deploy
from tests.command_center.test_pages import COLD_OVERVIEW, MODEL_PAGE
from tests.factories import DriftReportFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def block(html: str, marker: str, end: str = "</article>") -> str:
    """The HTML from `marker` to the next `end`."""
    start = html.index(marker)
    return html[start : html.index(end, start)]


def standing(html: str, environment: str) -> str:
    return block(html, f'data-standing="{environment}"')


# --- why it passes or fails, per environment ------------------------------------


def test_a_failing_serving_version_shows_every_unmet_rule_with_its_policy(
    portfolio, viewer
):
    deploy(portfolio.bravo.versions.get())

    html = signed_in(viewer).get("/models/bravo/").content.decode()

    production = standing(html, "production")
    assert "v1 serving" in production and "✗ fails policy" in production
    rule = block(production, 'data-rule="floor#1"', "</li>")
    assert 'href="/policies/floor/"' in rule
    assert "auc 0.70 is below the minimum 0.80" in text(rule)
    assert "blocks" in text(rule)
    # Staging applies no floor: the same version passes there, as a candidate.
    staging = standing(html, "staging")
    assert "v1 candidate" in staging and "✓ passes policy" in staging
    assert "data-rule=" not in staging


def test_a_candidate_shows_its_failing_rules_in_every_environment(portfolio, viewer):
    html = signed_in(viewer).get("/models/charlie/").content.decode()

    for environment in ("development", "staging", "production"):
        found = standing(html, environment)
        assert "v1 candidate" in found, environment
        assert "✗ fails policy" in found, environment
        rule = text(block(found, 'data-rule="review#1"', "</li>"))
        assert "0 of 1 required independent approvals" in rule, environment


def test_a_canary_is_judged_beside_the_primary(portfolio, viewer, reviewer):
    deploy(portfolio.bravo.versions.get())
    canary = ModelVersionFactory(
        model=portfolio.bravo, version=2, status="approved", metrics={"auc": 0.85}
    )
    approve(canary, reviewer)
    deploy(canary, traffic_percent=10, days_ago=1)

    html = signed_in(viewer).get("/models/bravo/").content.decode()

    production = standing(html, "production")
    primary = block(production, 'data-speaking="v1 serving"', "</div>")
    beside = block(production, 'data-speaking="v2 canary at 10%"', "</div>")
    assert "✗ fails policy" in primary and 'data-rule="floor#1"' in primary
    assert "✓ passes policy" in beside and "data-rule=" not in beside


def test_waivers_covering_the_version_show_and_mark_the_rule_waived(
    portfolio, viewer, governance_admin
):
    version = portfolio.bravo.versions.get()
    deploy(version)
    expires = timezone.now() + timedelta(days=30)
    grant_waiver(
        actor=governance_admin,
        version=version,
        policy=Policy.objects.get(name="floor"),
        rule_position=1,
        justification="Retrained model ships next sprint.",
        expires_at=expires,
    )

    html = signed_in(viewer).get("/models/bravo/").content.decode()

    production = standing(html, "production")
    assert "✓ passes policy" in production
    assert "waived" in text(block(production, 'data-rule="floor#1"', "</li>"))
    waiver = text(block(production, "data-waiver=", "</li>") + "</li>")
    assert waiver.endswith(
        f"floor rule 1, until {expires:%-d %b %Y}, granted by "
        f"{governance_admin.username}"
    )


def test_an_expired_waiver_no_longer_covers_the_version(
    portfolio, viewer, governance_admin
):
    version = portfolio.bravo.versions.get()
    deploy(version)
    waiver = grant_waiver(
        actor=governance_admin,
        version=version,
        policy=Policy.objects.get(name="floor"),
        rule_position=1,
        justification="Retrained model ships next sprint.",
        expires_at=timezone.now() + timedelta(days=30),
    )
    Waiver.objects.filter(pk=waiver.pk).update(
        granted_at=timezone.now() - timedelta(days=10),
        expires_at=timezone.now() - timedelta(hours=1),
    )

    html = signed_in(viewer).get("/models/bravo/").content.decode()

    production = standing(html, "production")
    assert "✗ fails policy" in production
    assert "data-waiver=" not in production
    assert "blocks" in text(block(production, 'data-rule="floor#1"', "</li>"))


def test_open_alerts_show_where_they_were_raised(portfolio, viewer):
    html = signed_in(viewer).get("/models/bravo/").content.decode()

    production = text(standing(html, "production"))
    assert "Open drift alerts here:" in production and "warning" in production
    assert "Open drift alerts here:" not in standing(html, "staging")


# --- freezes ----------------------------------------------------------------------


def test_a_frozen_environment_says_so_on_the_model_page_and_the_overview(
    portfolio, viewer, governance_admin, django_assert_num_queries
):
    client = signed_in(viewer)
    assert "frozen-environments" not in client.get("/").content.decode()
    freeze_environment(
        actor=governance_admin,
        environment=Environment.objects.get(name="staging"),
        reason="Cluster upgrade.",
    )

    page = client.get("/models/bravo/").content.decode()
    # The cached overview is not served: the freeze changed the data.
    with django_assert_num_queries(COLD_OVERVIEW):
        overview = client.get("/").content.decode()

    banner = text(block(page, 'data-frozen="staging"', "</p>"))
    assert "Staging is frozen : Cluster upgrade." in banner
    assert f"frozen by {governance_admin.username}" in banner
    assert "frozen" in text(block(standing(page, "staging"), "<h3>", "</h3>"))
    line = text(block(overview, 'id="frozen-environments"', "</section>"))
    assert "1 environment frozen" in line
    assert f"Staging : Cluster upgrade. (by {governance_admin.username}" in line


def test_no_banner_when_nothing_is_frozen(portfolio, viewer):
    client = signed_in(viewer)

    assert "data-frozen=" not in client.get("/models/bravo/").content.decode()
    assert "frozen-environments" not in client.get("/").content.decode()


# --- audit history ----------------------------------------------------------------


def test_the_audit_history_holds_every_kind_of_object_about_the_model(
    portfolio, viewer, governance_admin
):
    version = portfolio.bravo.versions.get()
    deploy(version)
    with set_actor(governance_admin):
        grant_waiver(
            actor=governance_admin,
            version=version,
            policy=Policy.objects.get(name="floor"),
            rule_position=1,
            justification="Retrained model ships next sprint.",
            expires_at=timezone.now() + timedelta(days=30),
        )

    response = signed_in(viewer).get("/models/bravo/")

    kinds = {entry.content_type.model for entry in response.context["audit_page"]}
    assert kinds == {
        "mlmodel",
        "modelversion",
        "approval",
        "waiver",
        "deployment",
        "driftalert",
    }
    html = response.content.decode()
    assert 'data-audit="waiver"' in html
    waiver_row = text(block(html, 'data-audit="waiver"', "</tr>"))
    assert governance_admin.username in waiver_row
    # Nothing about another model.
    assert all(
        "charlie" not in entry.object_repr for entry in response.context["audit_page"]
    )


def test_the_audit_history_is_paged_newest_first(portfolio, viewer, reviewer):
    model = portfolio.bravo
    for number in range(2, 31):
        ModelVersionFactory(model=model, version=number, status="approved")
    client = signed_in(viewer)

    first = client.get("/models/bravo/").context["audit_page"]
    second = client.get("/models/bravo/?page=2").context["audit_page"]

    assert len(first) == 25 and first.paginator.count > 25
    times = [entry.timestamp for entry in [*first, *second]]
    assert times == sorted(times, reverse=True)
    assert not {entry.pk for entry in first} & {entry.pk for entry in second}
    html = client.get("/models/bravo/").content.decode()
    assert 'href="?page=2" rel="next"' in html


def test_model_page_queries_do_not_grow_with_its_history(
    portfolio, viewer, reviewer, governance_admin, django_assert_num_queries
):
    version = portfolio.bravo.versions.get()
    deploy(version)
    # A model with deployments reads their steps in one more query.
    with_deployments = MODEL_PAGE + 1
    client = signed_in(viewer)
    with django_assert_num_queries(with_deployments):
        client.get("/models/bravo/")
    grant_waiver(
        actor=governance_admin,
        version=version,
        policy=Policy.objects.get(name="floor"),
        rule_position=1,
        justification="Retrained model ships next sprint.",
        expires_at=timezone.now() + timedelta(days=30),
    )
    for number in range(2, 16):
        approve(
            ModelVersionFactory(
                model=portfolio.bravo, version=number, status="approved"
            ),
            reviewer,
        )
    deploy(portfolio.bravo.versions.get(version=2), "staging")

    with django_assert_num_queries(with_deployments):
        response = client.get("/models/bravo/?page=2")
    assert response.context["audit_page"].number == 2


# --- links --------------------------------------------------------------------------


def test_the_evidence_pack_is_linked_for_auditors_only(portfolio, auditor, viewer):
    audited = signed_in(auditor).get("/models/bravo/").content.decode()
    viewed = signed_in(viewer).get("/models/bravo/").content.decode()

    assert 'href="/evidence/bravo/"' in audited
    assert 'href="/evidence/bravo/download/"' in audited
    assert "/evidence/bravo/" not in viewed
    # The view behind the link asks the same rule.
    assert signed_in(viewer).get("/evidence/bravo/").status_code == 403
    assert signed_in(auditor).get("/evidence/bravo/").status_code == 200


def test_an_imported_model_links_its_mlflow_origin(portfolio, viewer):
    version = portfolio.bravo.versions.get()
    link = MlflowModelLink.objects.create(
        model=portfolio.bravo,
        tracking_uri="https://mlflow.example.com/",
        mlflow_name="Bravo Scorer",
        imported_by=viewer,
    )
    run_id = "a" * 32
    MlflowVersionLink.objects.create(
        version=version,
        model_link=link,
        mlflow_version=7,
        run_id=run_id,
        source=f"mlflow-artifacts:/12/{run_id}/artifacts/model",
    )

    html = signed_in(viewer).get("/models/bravo/").content.decode()

    origin = block(html, 'data-origin="1"', "</tr>")
    ui = "https://mlflow.example.com/#"
    assert f'href="{ui}/models/Bravo%20Scorer/versions/7"' in origin
    assert f'href="{ui}/experiments/12/runs/{run_id}"' in origin
    assert f'href="{ui}/experiments/12"' in origin
    assert "<code>https://mlflow.example.com/</code>" in html


def test_a_run_outside_mlflows_layout_links_the_run_alone(portfolio, viewer):
    link = MlflowModelLink.objects.create(
        model=portfolio.bravo,
        tracking_uri="http://mlflow:5000",
        mlflow_name="bravo",
        imported_by=viewer,
    )
    MlflowVersionLink.objects.create(
        version=portfolio.bravo.versions.get(),
        model_link=link,
        mlflow_version=1,
        run_id="b" * 32,
        source="s3://bucket/custom/model",
    )

    origin = block(
        signed_in(viewer).get("/models/bravo/").content.decode(),
        'data-origin="1"',
        "</tr>",
    )

    assert f'href="http://mlflow:5000/#/runs/{"b" * 32}"' in origin
    assert "not in the source path" in origin


def ungoverned(portfolio, viewer, *, mlflow_version):
    link = MlflowModelLink.objects.create(
        model=portfolio.bravo,
        tracking_uri="http://mlflow:5000",
        mlflow_name="bravo",
        imported_by=viewer,
        aliases={"production": mlflow_version},
    )
    MlflowVersionLink.objects.create(
        version=portfolio.bravo.versions.get(),
        model_link=link,
        mlflow_version=1,
        aliases=["champion", "production"],
    )
    sync = MlflowSync.objects.create(
        name="main",
        tracking_uri="http://mlflow:5000",
        team=portfolio.bravo.team,
        account=viewer,
        environment=Environment.objects.get(name="production"),
    )
    return UngovernedChange.objects.create(
        model=portfolio.bravo,
        sync=sync,
        alias="production",
        mlflow_version=mlflow_version,
        serving_mlflow_version=None,
        delivery_id="d-1",
    )


def test_the_origin_shows_each_versions_mlflow_aliases(portfolio, viewer):
    ungoverned(portfolio, viewer, mlflow_version=1)

    html = signed_in(viewer).get("/models/bravo/").content.decode()

    aliases = block(html, 'data-aliases="1"', "</td>")
    assert "@champion" in aliases
    assert "@production" in aliases


def test_an_open_ungoverned_change_is_shown_on_the_model_page_and_overview(
    portfolio, viewer
):
    ungoverned(portfolio, viewer, mlflow_version=1)
    client = signed_in(viewer)

    page = client.get("/models/bravo/").content.decode()
    overview = client.get("/").content.decode()

    alert = block(page, 'id="ungoverned-changes"', "</div>")
    assert "Ungoverned change in MLflow" in alert
    assert (
        "<code>@production</code> in production points at MLflow version 1; "
        "mlgov serves no MLflow version"
    ) in alert
    card = block(overview, 'id="ungoverned-card"', "</div>")
    assert 'data-number="ungoverned_changes">1<' in card
    assert 'href="/models/bravo/#origin-title"' in card


def test_a_resolved_ungoverned_change_is_no_longer_shown(portfolio, viewer):
    change = ungoverned(portfolio, viewer, mlflow_version=1)
    change.resolved_at = timezone.now()
    change.save()
    client = signed_in(viewer)

    assert "ungoverned-changes" not in client.get("/models/bravo/").content.decode()
    card = block(client.get("/").content.decode(), 'id="ungoverned-card"', "</div>")
    assert 'data-number="ungoverned_changes">0<' in card
    assert "Aliases in MLflow follow mlgov" in card


def test_a_model_registered_directly_says_so(portfolio, viewer):
    html = signed_in(viewer).get("/models/bravo/").content.decode()

    assert "not imported from MLflow" in html
    assert "mlflow-origin" not in html


# --- drift charts ---------------------------------------------------------------------


def test_drift_charts_plot_each_method_against_its_own_threshold(portfolio, viewer):
    version = portfolio.bravo.versions.get()
    now = timezone.now()
    for weeks, (d, p_value, severity) in enumerate(
        [(0.29, 0.004, "warning"), (0.05, 0.62, "ok")]
    ):
        report = DriftReportFactory(
            version=version,
            window_start=now - timedelta(weeks=weeks + 1),
            window_end=now - timedelta(weeks=weeks),
        )
        FeatureDrift.objects.create(
            report=report,
            feature="age",
            kind="numeric",
            method="ks",
            threshold=0.05,
            statistic=d,
            p_value=p_value,
            psi=0.1,
            drifted=p_value < 0.05,
            severity=severity,
            n_reference=500,
            n_current=400,
        )
        FeatureDrift.objects.create(
            report=report,
            feature="region",
            kind="categorical",
            method="jensenshannon",
            threshold=0.1,
            statistic=0.2,
            psi=0.3,
            drifted=True,
            severity="critical",
            n_reference=5000,
            n_current=4000,
        )

    html = signed_in(viewer).get("/models/bravo/").content.decode()

    assert "the test's p-value against \N{GREEK SMALL LETTER ALPHA}" in text(
        block(html, 'id="drift-convention"', "</p>")
    )
    ks = block(html, 'data-method="ks"', "</figure>")
    assert "Plotted: p-value, alert below \N{GREEK SMALL LETTER ALPHA} = 0.05." in ks
    assert "p-value 0.004, warning (version 1)" in ks
    assert "p-value 0.62, ok (version 1)" in ks
    assert "Latest p-value 0.004" in ks
    js = block(html, 'data-method="jensenshannon"', "</figure>")
    assert "Plotted: Jensen-Shannon distance, alert at or above 0.1." in js
    assert "Jensen-Shannon distance 0.2, critical" in js
