"""The obligations page, the overview's coverage panel, and coverage in
readiness and the attention list."""

import re

import pytest
from django.test import Client

from command_center.selectors import portfolio_summary
from compliance.services import set_framework_enabled

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def row_of(html: str, obligation: str) -> str:
    match = re.search(rf'<tr data-obligation="{obligation}".*?</tr>', html, re.S)
    assert match, obligation
    return match.group(0)


def test_the_obligations_page_shows_status_evidence_links_and_gaps(
    scene, eu_pack, viewer
):
    response = signed_in(viewer).get("/models/credit/obligations/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "data-subject>v1 serving<" in html
    art_9 = row_of(html, "art-9")
    assert 'data-status="partly_met"' in art_9
    assert '<a href="/policies/floor/">1 enforced metric_threshold rule' in art_9
    assert "no enforced policy applies a max_drift_severity rule" in art_9
    art_12 = row_of(html, "art-12")
    assert 'data-status="met"' in art_12
    assert "/deployments/?model=credit&amp;environment=production" in art_12
    art_11 = row_of(html, "art-11")
    assert 'data-status="unmet"' in art_11
    assert "is missing ethical_considerations" in art_11
    # The gaps lead where they are fixed: the version's documentation page,
    # the model's intake.
    assert '<a href="/models/credit/v1/documentation/">no technical' in art_11
    assert '<a href="/models/credit/intake/">no human oversight' in row_of(
        html, "art-14"
    )
    assert 'data-not-applicable="art-50"' in html


def test_the_obligations_page_says_when_no_framework_is_enabled(scene, viewer):
    html = signed_in(viewer).get("/models/credit/obligations/").content.decode()

    assert 'id="no-frameworks"' in html


def test_the_obligations_page_of_an_unknown_model_is_404(eu_pack, viewer):
    assert signed_in(viewer).get("/models/nope/obligations/").status_code == 404


def test_the_obligations_page_needs_a_sign_in(scene):
    response = Client().get("/models/credit/obligations/")

    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_the_obligations_page_queries_are_pinned(
    scene, eu_pack, viewer, django_assert_num_queries
):
    client = signed_in(viewer)
    # Session and user (2), roles (1), the model (1), coverage (17, as
    # compliance's portfolio pin, less nothing: one model).
    with django_assert_num_queries(21):
        client.get("/models/credit/obligations/")


def test_the_model_page_links_its_obligations(scene, viewer):
    html = signed_in(viewer).get("/models/credit/").content.decode()

    assert 'href="/models/credit/obligations/" id="obligations-link"' in html


def test_the_overview_shows_coverage_by_framework(scene, eu_pack, viewer):
    html = signed_in(viewer).get("/").content.decode()

    panel = html[html.index('id="coverage-by-framework"') :]
    assert '<tr data-coverage="eu_ai_act">' in panel
    assert 'data-number="coverage_eu_ai_act_models">2<' in panel
    assert 'data-number="coverage_eu_ai_act_fully_met">1<' in panel
    assert 'data-number="coverage_eu_ai_act_met">5 met<' in panel
    assert 'data-number="coverage_eu_ai_act_unmet">1 unmet<' in panel


def test_the_overview_says_when_no_framework_is_enabled(scene, viewer):
    html = signed_in(viewer).get("/").content.decode()

    assert "No obligation framework is enabled." in html


def test_coverage_takes_a_part_of_readiness_where_a_framework_applies(
    scene, governance_admin
):
    before = {row["model"]: row for row in portfolio_summary()["attention"]}
    set_framework_enabled(actor=governance_admin, framework="eu_ai_act", enabled=True)
    after = {row["model"]: row for row in portfolio_summary()["attention"]}

    # credit: 4 met, 6 partly met, 1 unmet of 11 -> 0.636 of 20 points; the
    # other parts keep 80 of their 100.
    assert after["credit"]["readiness"] == pytest.approx(
        before["credit"]["readiness"] * 0.8 + 20 * (4 + 3) / 11, abs=0.1
    )
    assert after["credit"]["exposure"] > before["credit"]["exposure"]


def test_the_model_page_lists_the_obligations_part(scene, eu_pack, viewer):
    html = signed_in(viewer).get("/models/credit/").content.decode()

    assert "<td>Obligations met</td>" in html
    assert "/ 20</td>" in html
    assert "/ 32.0</td>" in html  # enforced rules: 40 scaled to 80%


def test_the_readiness_help_shows_the_obligations_weight(viewer):
    html = signed_in(viewer).get("/help/readiness/").content.decode()

    assert "data-obligations-weight>20<" in html
    assert (
        '<th scope="row">Enforced rules passing</th><td class="num">32.0</td>' in html
    )
