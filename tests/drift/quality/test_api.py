"""The performance and fairness report endpoints, their alerts and their
lifecycle, and the 400s that name the field."""

import numpy as np
import pytest
from auditlog.models import LogEntry
from sklearn.metrics import f1_score, roc_auc_score

from drift.models import (
    FairnessReport,
    LatestMonitoringReport,
    MonitoringAlert,
    PerformanceReport,
)
from registry.models import Environment
from tests.drift.conftest import set_production_floors
from tests.registry.test_api import assert_error

pytestmark = pytest.mark.django_db

VERSION = "/api/v1/models/churn/versions/7/"
PERFORMANCE = VERSION + "performance-reports/"
FAIRNESS = VERSION + "fairness-reports/"
ALERTS = "/api/v1/monitoring/alerts/"
WINDOW = {
    "environment": "production",
    "window_start": "2026-11-01T00:00:00Z",
    "window_end": "2026-11-08T00:00:00Z",
}


def scores(n=1000, seed=0, signal=0.3):
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.3
    values = np.clip(rng.normal(0.35 + signal * labels, 0.2), 0, 1)
    return labels, values


def counts(women_selected=40):
    return {
        "men": {"tp": 40, "fp": 20, "tn": 30, "fn": 10},
        "women": {
            "tp": women_selected // 2,
            "fp": women_selected - women_selected // 2,
            "tn": 100 - women_selected - 10,
            "fn": 10,
        },
    }


@pytest.fixture
def floors(db):
    set_production_floors()


def test_raw_scores_are_computed_stored_and_kept_as_latest(
    api_client_for, data_scientist, version
):
    labels, values = scores()
    body = {**WINDOW, "labels": labels.tolist(), "scores": values.tolist()}

    response = api_client_for(data_scientist).post(PERFORMANCE, body, format="json")

    assert response.status_code == 201, response.content
    report = response.json()
    assert report["auc"] == pytest.approx(roc_auc_score(labels, values))
    assert report["auc_method"] == "exact"
    assert report["f1"] == pytest.approx(f1_score(labels, values >= 0.5))
    assert report["sample_size"] == 1000
    assert report["model"] == "churn" and report["version"] == 7
    assert report["alerts"] == []
    stored = PerformanceReport.objects.get()
    assert stored.submitted_by == data_scientist
    assert LogEntry.objects.get_for_model(PerformanceReport).get().actor == (
        data_scientist
    )
    latest = LatestMonitoringReport.objects.get()
    assert latest.performance_report == stored
    assert latest.values["auc"] == pytest.approx(report["auc"])


def test_a_metric_below_the_floor_opens_an_alert_that_later_reports_update(
    api_client_for, data_scientist, reviewer, version, floors
):
    client = api_client_for(data_scientist)
    labels, values = scores(signal=0.1)  # a weak model: auc well below 0.7
    first = client.post(
        PERFORMANCE,
        {**WINDOW, "labels": labels.tolist(), "scores": values.tolist()},
        format="json",
    )
    assert first.status_code == 201, first.content
    (alert,) = first.json()["alerts"]
    assert alert["metric"] == "auc" and alert["kind"] == "performance"
    assert alert["severity"] == "critical" and alert["limit"] == 0.7
    assert alert["status"] == "open"

    labels, values = scores(signal=0.6, seed=1)
    second = client.post(
        PERFORMANCE,
        {**WINDOW, "labels": labels.tolist(), "scores": values.tolist()},
        format="json",
    )
    stored = MonitoringAlert.objects.get()
    assert stored.severity == "ok"  # recovered, but never closed by itself
    assert stored.status == "open"
    assert stored.latest_performance_report_id == second.json()["id"]

    reviewer_client = api_client_for(reviewer)
    acknowledged = reviewer_client.post(
        f"{ALERTS}{stored.pk}/acknowledge/", {"note": "retraining"}, format="json"
    )
    assert acknowledged.json()["status"] == "acknowledged"
    resolved = reviewer_client.post(
        f"{ALERTS}{stored.pk}/resolve/", {"note": "retrained"}, format="json"
    )
    assert resolved.json()["status"] == "resolved"
    again = reviewer_client.post(
        f"{ALERTS}{stored.pk}/resolve/", {"note": "twice"}, format="json"
    )
    assert assert_error(again, 409, "invalid_transition")

    labels, values = scores(signal=0.1, seed=2)
    client.post(
        PERFORMANCE,
        {**WINDOW, "labels": labels.tolist(), "scores": values.tolist()},
        format="json",
    )
    assert MonitoringAlert.objects.count() == 2
    assert MonitoringAlert.objects.unresolved().get().severity == "critical"
    listed = api_client_for(data_scientist).get(ALERTS, {"status": "open"})
    assert [row["id"] for row in listed.json()["results"]] == [
        MonitoringAlert.objects.unresolved().get().pk
    ]


def test_a_data_scientist_cannot_handle_alerts(
    api_client_for, data_scientist, version, floors
):
    client = api_client_for(data_scientist)
    labels, values = scores(signal=0.1)
    client.post(
        PERFORMANCE,
        {**WINDOW, "labels": labels.tolist(), "scores": values.tolist()},
        format="json",
    )
    alert = MonitoringAlert.objects.get()
    response = client.post(f"{ALERTS}{alert.pk}/resolve/", {"note": "x"}, format="json")
    assert_error(response, 403)


def test_binned_scores_and_a_confusion_matrix(api_client_for, data_scientist, version):
    client = api_client_for(data_scientist)
    binned = client.post(
        PERFORMANCE,
        {
            **WINDOW,
            "score_bins": {
                "bin_edges": [0, 0.25, 0.5, 0.75, 1],
                "positives": [10, 30, 80, 180],
                "negatives": [400, 200, 60, 40],
            },
        },
        format="json",
    )
    assert binned.status_code == 201, binned.content
    assert binned.json()["auc_method"] == "binned"
    assert binned.json()["recall"] == pytest.approx(260 / 300)
    matrix = client.post(
        PERFORMANCE,
        {**WINDOW, "confusion_matrix": {"tp": 50, "fp": 10, "tn": 30, "fn": 10}},
        format="json",
    )
    assert matrix.status_code == 201
    assert matrix.json()["auc"] is None
    assert matrix.json()["accuracy"] == pytest.approx(0.8)
    assert matrix.json()["notes"]
    listed = client.get(PERFORMANCE)
    assert [row["id"] for row in listed.json()["results"]] == [
        matrix.json()["id"],
        binned.json()["id"],
    ]
    detail = client.get(f"{PERFORMANCE}{binned.json()['id']}/")
    assert detail.json()["auc"] == binned.json()["auc"]
    assert_error(
        client.get(f"{VERSION.replace('/7/', '/8/')}performance-reports/"), 404
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"labels": [1, 0], "scores": [0.5, 2]}, "scores[1]"),
        ({"labels": [1, 0], "scores": [0.5]}, "scores"),
        ({"labels": [1, 0]}, "scores"),
        ({}, "labels"),
        ({"confusion_matrix": {"tp": 1}}, "confusion_matrix.fp"),
        ({"confusion_matrix": "many"}, "confusion_matrix"),
        ({"labels": "1,0", "scores": [0.5]}, "labels"),
        (
            {"environment": "mars", "labels": [1, 0], "scores": [0.4, 0.6]},
            "environment",
        ),
        (
            {"window_end": "2026-10-01T00:00:00Z", "labels": [1], "scores": [0.4]},
            "window_end",
        ),
        (
            {"decision_threshold": 2, "labels": [1], "scores": [0.4]},
            "decision_threshold",
        ),
        ({"surprise": 1, "labels": [1], "scores": [0.4]}, "surprise"),
    ],
)
def test_bad_performance_reports_are_400s_naming_the_field(
    api_client_for, data_scientist, version, body, field
):
    response = api_client_for(data_scientist).post(
        PERFORMANCE, {**WINDOW, **body}, format="json"
    )
    error = assert_error(response, 400)
    assert field in error["details"], error


def test_raw_rows_over_the_cap_are_413_naming_it(
    api_client_for, data_scientist, version, settings
):
    settings.DRIFT_MAX_VALUES_PER_FEATURE = 10
    response = api_client_for(data_scientist).post(
        PERFORMANCE, {**WINDOW, "labels": [1] * 11, "scores": [0.5] * 11}, format="json"
    )
    error = assert_error(response, 413, "payload_too_large")
    assert error["details"]["max_rows"] == 10


def test_only_the_owning_team_posts(
    api_client_for, other_data_scientist, viewer, version
):
    body = {**WINDOW, "confusion_matrix": {"tp": 5, "fp": 1, "tn": 5, "fn": 1}}
    assert_error(
        api_client_for(other_data_scientist).post(PERFORMANCE, body, format="json"), 404
    )
    assert_error(api_client_for(viewer).post(PERFORMANCE, body, format="json"), 403)
    assert api_client_for(viewer).get(PERFORMANCE).status_code == 200


def test_a_fairness_report_stores_its_groups_and_flags_the_four_fifths_rule(
    api_client_for, data_scientist, version
):
    response = api_client_for(data_scientist).post(
        FAIRNESS,
        {**WINDOW, "attribute": "sex", "group_counts": counts(women_selected=40)},
        format="json",
    )

    assert response.status_code == 201, response.content
    report = response.json()
    assert report["reference_group"] == "men"
    assert report["disparate_impact_ratio"] == pytest.approx(0.4 / 0.6)
    assert report["four_fifths_passed"] is False
    women = next(g for g in report["groups"] if g["group"] == "women")
    assert women["fails_four_fifths"] is True
    (alert,) = report["alerts"]
    # Without a configured limit the four-fifths rule applies, as a warning.
    assert alert["metric"] == "disparate_impact_ratio"
    assert alert["attribute"] == "sex"
    assert alert["severity"] == "warning" and alert["limit"] == 0.8
    stored = FairnessReport.objects.get()
    assert stored.groups.count() == 2
    detail = api_client_for(data_scientist).get(f"{FAIRNESS}{stored.pk}/")
    assert len(detail.json()["groups"]) == 2
    assert detail.json()["alerts"][0]["id"] == alert["id"]


def test_a_gap_past_the_configured_maximum_alerts(
    api_client_for, data_scientist, version, floors
):
    client = api_client_for(data_scientist)
    body = {**WINDOW, "attribute": "sex", "group_counts": counts(women_selected=20)}
    report = client.post(FAIRNESS, body, format="json").json()
    by_metric = {alert["metric"]: alert for alert in report["alerts"]}
    assert by_metric["demographic_parity_difference"]["severity"] == "critical"
    assert by_metric["disparate_impact_ratio"]["severity"] == "warning"
    # Another attribute is another subject: its own alerts.
    client.post(
        FAIRNESS,
        {**WINDOW, "attribute": "age_band", "group_counts": counts(women_selected=20)},
        format="json",
    )
    assert MonitoringAlert.objects.unresolved().count() == 4
    assert LatestMonitoringReport.objects.filter(kind="fairness").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"group_counts": counts()}, "attribute"),
        ({"attribute": "sex"}, "group_counts"),
        (
            {"attribute": "sex", "group_counts": {"men": counts()["men"]}},
            "group_counts",
        ),
        (
            {
                "attribute": "sex",
                "group_counts": {
                    **counts(),
                    "other": {"tp": 0, "fp": 0, "tn": 0, "fn": 0},
                },
            },
            "group_counts.other",
        ),
        (
            {"attribute": "sex", "group_counts": counts(), "reference_group": "x"},
            "reference_group",
        ),
        (
            {
                "attribute": "sex",
                "predictions": [1, 0],
                "labels": [1, 0],
                "groups": ["a"],
            },
            "groups",
        ),
    ],
)
def test_bad_fairness_reports_are_400s_naming_the_field(
    api_client_for, data_scientist, version, body, field
):
    response = api_client_for(data_scientist).post(
        FAIRNESS, {**WINDOW, **body}, format="json"
    )
    error = assert_error(response, 400)
    assert field in error["details"], error


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_fairness_reports_leave_one_unresolved_alert(
    data_scientist, version
):
    import threading
    from datetime import timedelta

    from django.db import connection

    from drift.quality import parse_fairness
    from drift.services import ingest_fairness_report

    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    production = Environment.objects.get(name="production")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def post() -> None:
        try:
            data = parse_fairness(
                {"attribute": "sex", "group_counts": counts(women_selected=20)},
                max_rows=1,
            )
            barrier.wait()
            ingest_fairness_report(
                actor=data_scientist,
                version=version,
                environment=production,
                window_start=version.created_at,
                window_end=version.created_at + timedelta(days=1),
                data=data,
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert FairnessReport.objects.count() == 2
    assert MonitoringAlert.objects.unresolved().count() == 1
    assert LatestMonitoringReport.objects.count() == 1


def test_the_alert_list_filters_by_metric_and_names_a_bad_one(
    api_client_for, data_scientist, version, floors
):
    labels, values = scores(signal=0.1)
    api_client_for(data_scientist).post(
        PERFORMANCE,
        {**WINDOW, "labels": labels.tolist(), "scores": values.tolist()},
        format="json",
    )
    client = api_client_for(data_scientist)
    opened = {alert.metric: alert.pk for alert in MonitoringAlert.objects.all()}

    by_auc = client.get(ALERTS, {"metric": "auc"})
    by_ece = client.get(ALERTS, {"metric": "ece"})
    unknown = client.get(ALERTS, {"metric": "vibes"})

    assert [row["id"] for row in by_auc.json()["results"]] == [opened["auc"]]
    assert [row["metric"] for row in by_ece.json()["results"]] == (
        ["ece"] if "ece" in opened else []
    )
    assert "metric" in assert_error(unknown, 400)["details"]


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (PERFORMANCE, {"labels": [1, None, 0], "scores": [0.5, 0.4, 0.3]}, "labels[1]"),
        (
            FAIRNESS,
            {
                "attribute": "sex",
                "predictions": [1, 0, None],
                "labels": [1, 0, 1],
                "groups": ["a", "b", "a"],
            },
            "predictions[2]",
        ),
        (
            FAIRNESS,
            {
                "attribute": "sex",
                "predictions": [1, 0, 1],
                "labels": [1, 0, 1],
                "groups": ["a", None, "a"],
            },
            "groups[1]",
        ),
    ],
)
def test_a_null_row_is_a_400_naming_the_row(
    api_client_for, data_scientist, version, url, body, field
):
    response = api_client_for(data_scientist).post(
        url, {**WINDOW, **body}, format="json"
    )
    error = assert_error(response, 400)
    assert list(error["details"]) == [field], error
    assert "None" not in error["message"]  # JSON says null


def test_rows_over_the_cap_are_refused_before_any_row_is_checked(
    api_client_for, data_scientist, version, settings
):
    # One answer for a body too large to take: the cap, whatever its rows
    # hold (checking millions of rows first took tens of seconds).
    settings.DRIFT_MAX_VALUES_PER_FEATURE = 10
    response = api_client_for(data_scientist).post(
        FAIRNESS,
        {
            **WINDOW,
            "attribute": "sex",
            "predictions": [1] * 10 + [None],
            "labels": [1] * 11,
            "groups": ["a"] * 11,
        },
        format="json",
    )
    error = assert_error(response, 413, "payload_too_large")
    assert error["details"]["max_rows"] == 10
