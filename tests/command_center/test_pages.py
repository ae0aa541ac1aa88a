"""The pages: the numbers they show, the links behind them, their filters,
their query counts (constant whatever the size of the portfolio) and the
cache, which never serves a page older than the last write."""

import re

import pytest
from django.test import Client

from command_center.selectors import portfolio_summary
from compliance.services import set_framework_enabled
from drift.models import DriftAlert
from drift.services import resolve_alert
from governance.documents import parse_policy_document
from governance.models import Policy
from governance.selectors import policies_with_rules, policy_document
from governance.services import known_environment_names, update_policy
from tests.command_center.conftest import add_feature_history, approve, deploy
from tests.factories import (
    DriftAlertFactory,
    MLModelFactory,
    ModelVersionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(viewer) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


def number(response, name: str) -> str:
    """The text of the element marked data-number=name on a page."""
    html = response.content.decode()
    marker = f'data-number="{name}">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("<", start)]


def grow_portfolio(reviewer, count: int, *, deployed: bool = False) -> None:
    for index in range(count):
        version = ModelVersionFactory(
            model=MLModelFactory(name=f"extra-{index}", risk_tier="high"),
            version=1,
            status="approved",
        )
        approve(version, reviewer)
        DriftAlertFactory(latest_report__version=version, severity="critical")
        if deployed:
            deploy(version)
            deploy(version, "staging", days_ago=3, blocking=("freeze",))


# --- numbers and links ----------------------------------------------------------


def test_the_overview_shows_the_summary_numbers(client, portfolio):
    response = client.get("/")

    assert response.status_code == 200
    assert response.context["summary"] == portfolio_summary()
    assert number(response, "models") == "4"
    assert number(response, "versions") == "3"
    assert number(response, "models_compliance_rate") == "25.0%"
    assert number(response, "models_non_compliant") == "3"
    assert number(response, "drift_critical") == "1"
    assert number(response, "overdue_total") == "2"
    assert number(response, "production_compliance_rate") == "—"
    assert number(response, "production_active") == "0"


def test_every_headline_number_links_to_the_list_it_counts(client, portfolio):
    html = client.get("/").content.decode()

    links = [
        '/models/?compliance=non_compliant" data-number="models_non_compliant"',
        '/models/?overdue=true&amp;sort=review_due" data-number="overdue_total"',
        "/models/?risk_tier=high&amp;environment=production"
        '&amp;compliance=non_compliant"',
    ]
    for link in links:
        assert link in html
    assert client.get("/models/?compliance=non_compliant").context["total"] == 3
    assert client.get("/models/?overdue=true&sort=review_due").context["total"] == 2
    high = client.get(
        "/models/?risk_tier=high&environment=production&compliance=non_compliant"
    )
    assert [row.name for row in high.context["page"]] == ["bravo"]
    alerts = client.get("/drift/?severity=critical&status=unresolved")
    assert [a.version.model.name for a in alerts.context["page"]] == ["charlie"]


def test_readiness_is_the_same_on_the_overview_list_model_page_csv_and_api(
    client, portfolio, api_client_for, viewer
):
    overview = client.get("/").content.decode()
    listing = client.get("/models/?q=bravo").content.decode()
    page = client.get("/models/bravo/").content.decode()
    csv = b"".join(client.get("/exports/inventory.csv").streaming_content).decode()
    api = api_client_for(viewer).get("/api/v1/portfolio/summary/").json()

    marker = 'data-readiness="bravo">55.0<'
    assert marker in overview
    assert marker in listing
    assert marker in page
    assert ",55.0," in next(
        line for line in csv.splitlines() if line.startswith("bravo,")
    )
    assert {"model": "bravo", "readiness": 55.0} in [
        {"model": item["model"], "readiness": item["readiness"]}
        for item in api["attention"]
    ]


# --- the cache ---------------------------------------------------------------


def test_a_resolved_alert_changes_the_next_page_load(client, portfolio, reviewer):
    assert number(client.get("/"), "drift_warning") == "1"
    alert = DriftAlert.objects.get(version__model__name="bravo")

    resolve_alert(actor=reviewer, alert=alert, note="Back to normal.")

    assert number(client.get("/"), "drift_warning") == "0"


def test_a_policy_change_changes_the_next_page_load(
    client, portfolio, governance_admin
):
    assert number(client.get("/"), "models_compliance_rate") == "25.0%"
    policy = policies_with_rules().get(name="floor")
    document = parse_policy_document(
        {
            "rules": [
                {
                    "kind": "metric_threshold",
                    "params": {"metric": "auc", "op": ">=", "value": 0.6},
                }
            ]
        },
        environments=known_environment_names(),
        base=policy_document(policy),
    )

    update_policy(
        actor=governance_admin, policy=policy, document=document, reason="Relax"
    )

    # bravo's auc 0.70 now clears the floor.
    assert number(client.get("/"), "models_compliance_rate") == "50.0%"
    assert Policy.objects.get(name="floor").revision == 2


def test_a_new_model_shows_on_the_next_page_load(client, portfolio):
    client.get("/")
    client.get("/models/")

    MLModelFactory(name="foxtrot", risk_tier="low")

    assert number(client.get("/"), "models") == "5"
    assert client.get("/models/").context["total"] == 5


def test_a_warm_page_does_not_recompute(client, portfolio, django_assert_num_queries):
    client.get("/")

    # Session, user, roles, then the fingerprint, and the open ungoverned
    # MLflow changes (an alert, never cached); nothing else.
    with django_assert_num_queries(5):
        assert client.get("/").status_code == 200


# --- query counts --------------------------------------------------------------

# Policies come with their rules in one query (governance.selectors); what
# serves is read with the candidates, so deployments add no query. The
# reviews past due are one more query (command_center.selectors.reviews), and
# the frozen environments one more. For exposure the rows read two more: the
# versions in review past their deadline, and the open alerts per model and
# severity. The open ungoverned MLflow changes are one more, read fresh. The
# versions' facts read the latest performance and fairness reports in one.
# Obligation coverage (compliance) reads the enabled frameworks in one: with
# none enabled, nothing more.
COLD_OVERVIEW = 28
# The model list evaluates its rows: the latest monitoring reports are one,
# the enabled frameworks one.
MODEL_LIST = 25
# With a framework enabled: its custom obligations (one), then the coverage
# facts (compliance.selectors.coverage_facts; the speaking versions' facts
# come with the standings, no query): production deployments, drift
# reports, unhandled alerts, audit retention, the subjects' provenance and
# newest technical document, and the models with their current intake's
# oversight (six).
COLD_OVERVIEW_WITH_FRAMEWORKS = COLD_OVERVIEW + 1 + 6
# The model list with a framework enabled reads coverage as the overview
# does: the custom obligations and the coverage facts. Its column and its
# filter read the rows' counts and the frameworks the summary names, both
# computed with the rows: no query more.
MODEL_LIST_WITH_FRAMEWORKS = MODEL_LIST + 1 + 6
# The model page: its audit history is paged (a count and a page), it reads
# the MLflow origin in one (aliases included), the open ungoverned MLflow
# changes in one, and its row the two exposure queries and the enabled
# frameworks; the current intake and the pending risk class change one each.
# The versions' facts read the latest monitoring reports in one; the
# performance history, the latest fairness reports and the open performance
# and fairness alerts are one each (a model with reports reads the
# environments' limits and the fairness groups in one more each).
MODEL_PAGE = 36
ALERT_LIST = 6


def test_overview_queries_do_not_grow_with_the_portfolio(
    client, portfolio, reviewer, django_assert_num_queries
):
    with django_assert_num_queries(COLD_OVERVIEW):
        client.get("/")
    grow_portfolio(reviewer, 5)

    with django_assert_num_queries(COLD_OVERVIEW):
        response = client.get("/")
    assert number(response, "models") == "9"


def test_overview_queries_do_not_grow_with_the_deployments(
    client, portfolio, reviewer, django_assert_num_queries
):
    deploy(portfolio.alpha.versions.get())
    with django_assert_num_queries(COLD_OVERVIEW):
        client.get("/")
    grow_portfolio(reviewer, 5, deployed=True)

    with django_assert_num_queries(COLD_OVERVIEW):
        response = client.get("/")
    assert number(response, "production_active") == "6"


def test_overview_queries_with_a_framework_enabled_do_not_grow(
    client, portfolio, reviewer, governance_admin, django_assert_num_queries
):
    set_framework_enabled(actor=governance_admin, framework="eu_ai_act", enabled=True)
    deploy(portfolio.alpha.versions.get())
    with django_assert_num_queries(COLD_OVERVIEW_WITH_FRAMEWORKS):
        client.get("/")
    grow_portfolio(reviewer, 5, deployed=True)

    with django_assert_num_queries(COLD_OVERVIEW_WITH_FRAMEWORKS):
        response = client.get("/")
    assert number(response, "production_active") == "6"


def test_model_list_queries_do_not_grow_with_the_portfolio(
    client, portfolio, reviewer, django_assert_num_queries
):
    with django_assert_num_queries(MODEL_LIST):
        client.get("/models/")
    grow_portfolio(reviewer, 5)

    with django_assert_num_queries(MODEL_LIST):
        response = client.get("/models/?sort=readiness")
    assert response.context["total"] == 9


def test_model_list_queries_with_a_framework_enabled_do_not_grow(
    client, portfolio, reviewer, governance_admin, django_assert_num_queries
):
    set_framework_enabled(actor=governance_admin, framework="eu_ai_act", enabled=True)
    deploy(portfolio.alpha.versions.get())
    with django_assert_num_queries(MODEL_LIST_WITH_FRAMEWORKS):
        client.get("/models/")
    grow_portfolio(reviewer, 5, deployed=True)

    with django_assert_num_queries(MODEL_LIST_WITH_FRAMEWORKS):
        response = client.get("/models/?obligations=not_met&sort=obligations")
    assert response.context["total"] == 9
    assert response.content.decode().count('data-coverage="eu_ai_act"') == 9


def test_model_page_queries_are_pinned(
    client, portfolio, reviewer, django_assert_num_queries
):
    model = portfolio.bravo
    for number_ in (2, 3, 4):
        version = ModelVersionFactory(model=model, version=number_, status="approved")
        approve(version, reviewer)
        DriftAlertFactory(latest_report__version=version, severity="warning")

    with django_assert_num_queries(MODEL_PAGE):
        response = client.get("/models/bravo/")
    assert len(response.context["page"].versions) == 4


def test_alert_list_queries_do_not_grow_with_the_alerts(
    client, portfolio, reviewer, django_assert_num_queries
):
    with django_assert_num_queries(ALERT_LIST):
        client.get("/drift/")
    grow_portfolio(reviewer, 5)

    with django_assert_num_queries(ALERT_LIST):
        response = client.get("/drift/")
    assert response.context["page"].paginator.count == 7


# --- lists --------------------------------------------------------------------


def test_model_list_filters_sort_and_search(client, portfolio):
    def names(query: str) -> list[str]:
        return [row.name for row in client.get(f"/models/{query}").context["page"]]

    assert names("") == ["alpha", "bravo", "charlie", "delta"]
    assert names("?sort=readiness") == ["charlie", "bravo", "alpha", "delta"]
    assert names("?sort=-readiness") == ["alpha", "bravo", "charlie", "delta"]
    assert names("?readiness=partial") == ["bravo"]
    assert names("?readiness=low") == ["charlie"]
    assert names("?compliance=compliant&environment=staging") == ["alpha", "bravo"]
    assert names("?overdue=false") == ["bravo", "charlie"]
    assert names("?q=ALP") == ["alpha"]
    assert names("?team=risk&risk_tier=low") == ["charlie"]


def test_model_list_pages_keep_the_filters_in_the_links(client, portfolio, reviewer):
    grow_portfolio(reviewer, 5)

    first = client.get("/models/?risk_tier=high&page_size=2")
    second = client.get("/models/?risk_tier=high&page_size=2&page=2")

    assert [row.name for row in first.context["page"]] == ["bravo", "extra-0"]
    assert [row.name for row in second.context["page"]] == ["extra-1", "extra-2"]
    assert 'href="?risk_tier=high&amp;page_size=2&amp;page=2"' in first.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?risk_tier=extreme", "risk_tier"),
        ("?sort=owner", "sort"),
        ("?page=0", "page"),
        ("?page_size=100000", "page_size"),
        ("?overdue=maybe", "overdue"),
        ("?colour=red", "colour"),
        ("?environment=moon", "environment"),
    ],
)
def test_bad_model_list_filters_answer_400_naming_the_field(
    client, portfolio, query, field
):
    response = client.get(f"/models/{query}")

    assert response.status_code == 400
    assert f"<code>{field}</code>" in response.content.decode()


def test_bad_alert_filters_answer_400_naming_the_field(client, portfolio):
    response = client.get("/drift/?severity=apocalyptic")

    assert response.status_code == 400
    assert "<code>severity</code>" in response.content.decode()


def test_alert_list_shows_unresolved_alerts_by_default(client, portfolio):
    alerts = client.get("/drift/").context["page"]

    assert sorted(a.version.model.name for a in alerts) == ["bravo", "charlie"]
    resolved = client.get("/drift/?status=resolved").context["page"]
    assert [a.version.model.name for a in resolved] == ["alpha"]


def test_the_deployments_list_is_the_ledger_with_its_filters(client, portfolio):
    alpha = portfolio.alpha.versions.get()
    charlie = portfolio.charlie.versions.get()
    deploy(alpha)
    deploy(charlie, days_ago=3, blocking=("governance",))

    active = client.get("/deployments/?environment=production&status=active")
    blocked = client.get("/deployments/?decision=blocked&since_days=30")

    assert [d.model.name for d in active.context["page"]] == ["alpha"]
    assert [d.model.name for d in blocked.context["page"]] == ["charlie"]
    assert "governance: governance detail" in blocked.content.decode()
    assert client.get("/deployments/?since_days=0").status_code == 400


def test_production_numbers_link_to_the_active_deployments(client, portfolio):
    deploy(portfolio.alpha.versions.get())
    deploy(portfolio.bravo.versions.get())

    response = client.get("/")

    assert number(response, "production_compliance_rate") == "50.0%"
    assert number(response, "production_active") == "2"
    html = response.content.decode()
    assert '/deployments/?environment=production&amp;status=active"' in html


def test_the_model_page_shows_the_deployment_timeline(client, portfolio):
    deploy(portfolio.bravo.versions.get(), "staging", days_ago=9)
    deploy(portfolio.bravo.versions.get(), days_ago=2)

    html = client.get("/models/bravo/").content.decode()

    assert html.count("data-deployment=") == 2


# --- the model page ---------------------------------------------------------------


def test_the_model_page_shows_readiness_parts_and_drift_charts(client, portfolio):
    version = portfolio.bravo.versions.get()
    add_feature_history(
        version, "age", [(0.02, "ok"), (0.12, "warning"), (0.4, "critical")]
    )
    add_feature_history(version, "income", [(0.05, "ok")])

    response = client.get("/models/bravo/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "20.0 / 40" in html and "2.5 / 15" in html and "12.5 / 25" in html
    assert html.count('<svg class="chart"') == 2
    assert '<title id="drift-1-title">Drift of age in production</title>' in html
    # The severity is text as well as colour: in the tooltip, the description
    # and the table beside the chart.
    assert "Wasserstein distance 0.4, critical (version 1)" in html
    assert "Latest Wasserstein distance 0.4" in html and "severity critical" in html
    assert '<span class="pill sev-critical">critical</span>' in html


def test_an_unknown_model_is_a_404_page(client):
    response = client.get("/models/nothing-here/")

    assert response.status_code == 404
    assert b"Not found" in response.content


def test_an_archived_model_keeps_its_page(client, portfolio):
    response = client.get("/models/echo/")

    assert response.status_code == 200
    assert "archived" in response.content.decode()


def test_pages_carry_no_inline_style_or_script(client, portfolio, executive):
    exec_client = Client()
    exec_client.force_login(executive)
    for path in [
        "/",
        "/models/",
        "/models/bravo/",
        "/drift/",
        "/simulation/",
        "/policies/",
        "/policies/floor/",
        "/policies/floor/revisions/",
    ]:
        html = exec_client.get(path).content.decode()
        assert " style=" not in html, path
        # Scripts are static files only: a src, no body.
        for tag, body in re.findall(r"(<script[^>]*>)(.*?)</script>", html, re.S):
            assert 'src="/static/' in tag and not body.strip(), path
        assert html.count("<script") == len(re.findall("</script>", html)), path
        assert "<style" not in html, path
