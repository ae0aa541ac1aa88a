"""The alert pages: performance and fairness alerts listed like drift
alerts (unresolved by default, filtered, paginated, with a pinned query
count), and reviewers acknowledging or resolving drift and monitoring alerts
from the command center with a note; refusals are shown on the page, on the
field they concern."""

import re
from datetime import timedelta
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.utils import timezone

from drift.models import DriftAlert, MonitoringAlert
from drift.quality import parse_performance
from drift.services import (
    acknowledge_alert,
    ingest_performance_report,
    resolve_alert,
)
from registry.models import Environment
from tests.command_center.conftest import (  # noqa: F401 - fixtures used below
    policies,
    portfolio,
)
from tests.command_center.test_monitoring_pages import report_history
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

MONITORING = "/monitoring/"
# session, user, roles (groups), the environments of the filter, the count,
# the page of alerts with their versions, models and environments.
MONITORING_LIST = 6


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bravo_alerts(portfolio, governance_admin):  # noqa: F811
    """bravo v1 in production: recall 0.60 under its 0.65 critical floor,
    and women selected at under four fifths of men's rate."""
    report_history(portfolio.bravo.versions.get(), governance_admin)
    return {
        alert.kind: alert
        for alert in MonitoringAlert.objects.filter(version__model__name="bravo")
    }


def recall_alert(version, author) -> None:
    """Recall 0.60 in production, under the floor `report_history` set."""
    end = timezone.now()
    ingest_performance_report(
        actor=author,
        version=version,
        environment=Environment.objects.get(name="production"),
        window_start=end - timedelta(days=7),
        window_end=end,
        data=parse_performance(
            {"confusion_matrix": {"tp": 60, "fp": 20, "tn": 180, "fn": 40}},
            max_rows=1,
        ),
    )


def listed(response) -> list[tuple[str, str, str]]:
    return [
        (alert.version.model.name, alert.metric, alert.status)
        for alert in response.context["page"]
    ]


def row_of(response, alert) -> str:
    html = response.content.decode()
    match = re.search(
        rf'<tr data-monitoring-alert="{alert.pk}">.*?</tr>', html, re.S
    ) or re.search(rf'<tr data-alert="{alert.pk}">.*?</tr>', html, re.S)
    assert match, f"no row for alert {alert.pk}"
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))))


# --- the monitoring list --------------------------------------------------------


def test_the_monitoring_page_lists_unresolved_alerts_with_what_they_mean(
    viewer, bravo_alerts
):
    response = signed_in(viewer).get(MONITORING)

    assert response.status_code == 200
    assert sorted(listed(response)) == [
        ("bravo", "disparate_impact_ratio", "open"),
        ("bravo", "recall", "open"),
    ]
    recall = row_of(response, bravo_alerts["performance"])
    assert "v1" in recall and "production" in recall and "Performance" in recall
    assert "0.60 < floor 0.65" in recall
    assert "critical" in recall and "Open" in recall
    fairness = row_of(response, bravo_alerts["fairness"])
    assert "Disparate impact ratio by sex" in fairness
    assert "< floor 0.8" in fairness
    assert 'href="/models/bravo/#performance-title"' in response.content.decode()


def test_the_monitoring_filters(viewer, reviewer, bravo_alerts):
    client = signed_in(viewer)
    resolve_alert(
        actor=reviewer, alert=bravo_alerts["fairness"], note="Known seasonal gap."
    )

    def metrics(query: str) -> list[str]:
        return [metric for _model, metric, _status in listed(client.get(query))]

    assert metrics(MONITORING) == ["recall"]
    assert metrics(f"{MONITORING}?status=resolved") == ["disparate_impact_ratio"]
    assert metrics(f"{MONITORING}?status=resolved&kind=performance") == []
    assert metrics(f"{MONITORING}?kind=performance&metric=recall") == ["recall"]
    assert metrics(f"{MONITORING}?metric=auc") == []
    assert metrics(f"{MONITORING}?severity=critical&environment=production") == [
        "recall"
    ]
    assert metrics(f"{MONITORING}?severity=warning") == []
    assert metrics(f"{MONITORING}?environment=staging") == []
    assert metrics(f"{MONITORING}?model=alpha") == []
    assert metrics(f"{MONITORING}?model=bravo") == ["recall"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?metric=happiness", "metric"),
        ("?kind=drift", "kind"),
        ("?status=closed", "status"),
        ("?page=0", "page"),
        ("?colour=red", "colour"),
    ],
)
def test_bad_monitoring_filters_answer_400_naming_the_field(
    viewer, bravo_alerts, query, field
):
    response = signed_in(viewer).get(f"{MONITORING}{query}")

    assert response.status_code == 400
    assert f"<code>{field}</code>" in response.content.decode()


def test_the_monitoring_page_pages(viewer, bravo_alerts):
    client = signed_in(viewer)

    first = client.get(f"{MONITORING}?page_size=1")
    second = client.get(f"{MONITORING}?page_size=1&page=2")

    assert len(first.context["page"]) == len(second.context["page"]) == 1
    assert listed(first) != listed(second)
    assert 'href="/monitoring/?page_size=1&amp;page=2"' in first.content.decode()


def test_an_archived_models_alerts_are_not_listed(viewer, bravo_alerts, portfolio):  # noqa: F811
    portfolio.bravo.archived_at = timezone.now()
    portfolio.bravo.save()

    assert listed(signed_in(viewer).get(MONITORING)) == []


def test_monitoring_list_queries_do_not_grow_with_the_alerts(
    reviewer, governance_admin, bravo_alerts, django_assert_num_queries
):
    client = signed_in(reviewer)
    client.get(MONITORING)  # the session is read once, then cached
    with django_assert_num_queries(MONITORING_LIST):
        client.get(MONITORING)
    for index in range(4):
        version = ModelVersionFactory(
            model=MLModelFactory(name=f"extra-{index}"), version=1, status="approved"
        )
        recall_alert(version, governance_admin)

    with django_assert_num_queries(MONITORING_LIST):
        response = client.get(MONITORING)
    assert response.context["page"].paginator.count == 6
    assert response.content.decode().count('class="alert-move"') == 6


# --- links to the page ----------------------------------------------------------


def test_the_nav_the_model_page_and_the_overview_link_to_the_page(viewer, bravo_alerts):
    client = signed_in(viewer)

    overview = client.get("/").content.decode()
    model_page = client.get("/models/bravo/").content.decode()
    drift = client.get("/drift/").content.decode()

    assert '<a href="/monitoring/">Monitoring</a>' in overview
    assert 'href="/monitoring/" id="monitoring-alerts-link"' in overview
    assert 'href="/monitoring/?model=bravo" id="monitoring-alerts-link"' in model_page
    assert 'href="/monitoring/"' in drift
    assert 'aria-current="page">Monitoring' in client.get(MONITORING).content.decode()


# --- acknowledge and resolve ----------------------------------------------------


def move(client, kind: str, alert, **data):
    path = "/drift/" if kind == "drift" else MONITORING
    return client.post(
        f"{path}{alert.pk}/move/?status=unresolved",
        {"seen_status": alert.status, **data},
    )


def test_a_reviewer_resolves_a_monitoring_alert_with_a_note(reviewer, bravo_alerts):
    client = signed_in(reviewer)
    recall = bravo_alerts["performance"]
    assert (
        f'action="/monitoring/{recall.pk}/move/"'
        in client.get(MONITORING).content.decode()
    )

    response = move(
        client, "monitoring", recall, move="resolve", note="Labels were late."
    )

    assert response.status_code == 302
    assert response["Location"] == "/monitoring/?status=unresolved"
    recall.refresh_from_db()
    assert recall.status == "resolved"
    assert recall.resolved_by == reviewer
    assert recall.resolution_note == "Labels were late."
    assert LogEntry.objects.get_for_object(recall).first().actor == reviewer
    page = client.get(response["Location"])
    assert "critical alert on recall (v1 of bravo in production) is now resolved" in (
        page.content.decode()
    )
    assert [metric for _m, metric, _s in listed(page)] == ["disparate_impact_ratio"]


def test_a_reviewer_acknowledges_a_drift_alert_with_the_same_form(
    reviewer,
    portfolio,  # noqa: F811
):
    client = signed_in(reviewer)
    bravo = DriftAlert.objects.get(version__model__name="bravo")
    row = row_of(client.get("/drift/"), bravo)
    assert "Acknowledge" in row and "Resolve" in row

    response = move(client, "drift", bravo, move="acknowledge", note="Looking.")

    assert response.status_code == 302
    bravo.refresh_from_db()
    assert (bravo.status, bravo.acknowledged_by, bravo.acknowledgement_note) == (
        "acknowledged",
        reviewer,
        "Looking.",
    )
    # Acknowledged: it may still be resolved, not acknowledged again.
    row = row_of(client.get("/drift/"), bravo)
    assert "Acknowledge " not in row and "Resolve" in row


def test_non_reviewers_see_no_buttons_and_are_refused(
    viewer, data_scientist, executive, bravo_alerts
):
    recall = bravo_alerts["performance"]
    for user in (viewer, data_scientist, executive):
        client = signed_in(user)
        page = client.get(MONITORING).content.decode()
        assert 'class="alert-move"' not in page and 'value="resolve"' not in page

        response = move(client, "monitoring", recall, move="resolve", note="Fine.")

        assert response.status_code == 403, user
    recall.refresh_from_db()
    assert recall.status == "open"


def test_an_empty_note_is_refused_on_the_note_field(reviewer, bravo_alerts):
    recall = bravo_alerts["performance"]

    response = move(
        signed_in(reviewer), "monitoring", recall, move="resolve", note="  "
    )

    assert response.status_code == 400
    assert "<code>note</code> (note): Say what was found or done." in unescape(
        response.content.decode()
    )
    assert "Say what was found or done." in row_of(response, recall)
    recall.refresh_from_db()
    assert recall.status == "open"


def test_an_illegal_move_is_refused_naming_it(reviewer, bravo_alerts):
    recall = bravo_alerts["performance"]
    acknowledge_alert(actor=reviewer, alert=recall, note="On it.")
    recall.refresh_from_db()

    response = move(
        signed_in(reviewer), "monitoring", recall, move="acknowledge", note="Again."
    )

    assert response.status_code == 409
    html = unescape(response.content.decode())
    assert (
        "<code>move</code> (action): The alert on recall is acknowledged; it cannot "
        "become acknowledged." in html
    )
    # Links on the refused page lead back to the list, not to the action.
    assert 'action="/monitoring/"' in html


def test_a_move_someone_made_meanwhile_is_refused_not_overwritten(
    reviewer, second_reviewer, bravo_alerts
):
    recall = bravo_alerts["performance"]
    seen = recall.status  # the reviewer's page shows it open
    acknowledge_alert(actor=second_reviewer, alert=recall, note="Mine.")

    response = signed_in(reviewer).post(
        f"{MONITORING}{recall.pk}/move/",
        {"seen_status": seen, "move": "resolve", "note": "Fixed."},
    )

    assert response.status_code == 409
    html = unescape(response.content.decode())
    assert (
        "<code>seen_status</code> (status): The alert on recall was open on your "
        "page; it has since been acknowledged by reviewer2." in html
    )
    recall.refresh_from_db()
    assert (recall.status, recall.acknowledgement_note) == ("acknowledged", "Mine.")


def test_a_missing_move_or_alert(reviewer, bravo_alerts):
    client = signed_in(reviewer)
    recall = bravo_alerts["performance"]

    no_move = client.post(
        f"{MONITORING}{recall.pk}/move/", {"seen_status": "open", "note": "x"}
    )
    no_alert = client.post(
        f"{MONITORING}999999/move/",
        {"seen_status": "open", "move": "resolve", "note": "x"},
    )

    assert no_move.status_code == 400
    assert "<code>move</code>" in no_move.content.decode()
    assert no_alert.status_code == 404
    assert client.get(f"{MONITORING}{recall.pk}/move/").status_code == 405
