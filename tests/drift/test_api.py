import threading
from datetime import timedelta

import numpy as np
import pytest
from auditlog.models import LogEntry
from django.db import connection
from scipy import stats as scipy_stats

from drift.models import DriftAlert, DriftReport, FeatureDrift
from tests.drift.conftest import report_body, shifted_numeric, stable_categorical
from tests.registry.test_api import assert_error

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/drift/reports/"
ALERTS = "/api/v1/drift/alerts/"


def test_design_example_report(api_client_for, data_scientist, version):
    rng = np.random.default_rng(1)
    reference = rng.normal(40, 10, 5000).tolist() + [None] * 12
    current = rng.normal(44, 10, 4000).tolist()
    edges = [None, 0, 1000, 5000, None]
    body = report_body(
        [
            {
                "name": "age",
                "kind": "numeric",
                "reference": {"values": reference},
                "current": {"values": current},
            },
            {
                "name": "income",
                "kind": "numeric",
                "reference": {"bin_edges": edges, "counts": [0, 40, 300, 60]},
                "current": {"bin_edges": edges, "counts": [5, 80, 200, 60]},
            },
            {
                "name": "country",
                "kind": "categorical",
                "reference": {"categories": {"DE": 500, "FR": 300}},
                "current": {"categories": {"DE": 450, "FR": 320, "IT": 30}},
            },
        ]
    )

    response = api_client_for(data_scientist).post(REPORTS, body, format="json")

    assert response.status_code == 201, response.content
    report = response.json()
    age, income, country = report["features"]
    assert age["method"] == "wasserstein"
    assert age["threshold"] == 0.1
    assert age["p_value"] is None
    assert age["n_reference"] == 5000 and age["n_current"] == 4000
    assert age["excluded"] == 12
    clean = np.array([value for value in reference if value is not None])
    expected = scipy_stats.wasserstein_distance(clean, current) / np.std(clean)
    assert age["statistic"] == pytest.approx(expected, abs=1e-9)
    assert income["approximation"] == "binned-cdf"
    assert country["method"] == "chisquare"
    assert {
        "feature",
        "kind",
        "psi",
        "drifted",
        "severity",
        "reference_histogram",
    } <= set(age)
    assert report["drift_share"] == pytest.approx(
        sum(f["drifted"] for f in report["features"]) / 3
    )
    assert report["severity"] in ("warning", "critical")
    assert {alert["feature"] for alert in report["alerts"]} == {
        f["feature"] for f in report["features"] if f["drifted"]
    }
    assert DriftReport.objects.get().submitted_by == data_scientist
    assert LogEntry.objects.get_for_model(DriftReport).get().actor == data_scientist


def test_second_report_updates_the_unresolved_alert(
    api_client_for, data_scientist, version
):
    client = api_client_for(data_scientist)
    client.post(REPORTS, report_body([shifted_numeric(shift=8)]), format="json")

    second = client.post(
        REPORTS, report_body([shifted_numeric(shift=0.1, seed=3)]), format="json"
    )

    alert = DriftAlert.objects.get()
    assert alert.status == "open"
    assert alert.severity == "ok"
    assert alert.latest_report_id == second.json()["id"]
    assert second.json()["alerts"][0]["severity"] == "ok"


def test_not_drifting_features_open_no_alert(api_client_for, data_scientist, version):
    response = api_client_for(data_scientist).post(
        REPORTS, report_body([stable_categorical()]), format="json"
    )

    assert response.json()["severity"] == "ok"
    assert response.json()["alerts"] == []
    assert not DriftAlert.objects.exists()


def test_not_evaluable_feature_is_reported_not_drift(
    api_client_for, data_scientist, version
):
    feature = {
        "name": "empty",
        "kind": "numeric",
        "reference": {"values": [None, None]},
        "current": {"values": [1.0, 2.0]},
    }

    response = api_client_for(data_scientist).post(
        REPORTS, report_body([feature]), format="json"
    )

    assert response.status_code == 201, response.content
    result = response.json()["features"][0]
    assert result["evaluable"] is False
    assert result["drifted"] is False
    assert result["reason"]
    assert response.json()["drift_share"] == 0


@pytest.mark.parametrize(
    ("feature_changes", "field"),
    [
        ({"kind": "ordinal"}, "features[0].kind"),
        ({"reference": {"values": [1, "two", 3]}}, "features[0].reference.values"),
        (
            {
                "reference": {"bin_edges": [0, 1, 2], "counts": [1, 2]},
                "current": {"bin_edges": [0, 1, 3], "counts": [1, 2]},
            },
            "features[0]",
        ),
        (
            {
                "reference": {"bin_edges": [0, 1, 2], "counts": [1, -2]},
                "current": {"bin_edges": [0, 1, 2], "counts": [1, 2]},
            },
            "features[0].reference.counts",
        ),
        ({"reference": "values"}, "features[0].reference"),
        (
            {"reference": {"values": [float(i) * 1e306 for i in range(-60, 60)]}},
            "features[0].reference.values",
        ),
        (
            {
                "reference": {"bin_edges": [0, 1e200, 2e200], "counts": [1, 2]},
                "current": {"bin_edges": [0, 1e200, 2e200], "counts": [1, 2]},
            },
            "features[0].reference.bin_edges",
        ),
        ({"method": "vibes"}, "features[0].method"),
        ({"threshold": "high"}, "features[0].threshold"),
        ({"colour": "red"}, "features[0].colour"),
    ],
)
def test_bad_features_name_the_field(
    api_client_for, data_scientist, version, feature_changes, field
):
    feature = {**shifted_numeric(n=50), **feature_changes}

    response = api_client_for(data_scientist).post(
        REPORTS, report_body([feature]), format="json"
    )

    error = assert_error(response, 400, "invalid")
    assert any(key.startswith(field) for key in error["details"]), error
    assert not DriftReport.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"features": []}, "features"),
        ({"features": {"name": "x"}}, "features"),
        ({"window_end": "2026-10-01T00:00:00Z"}, "window_end"),
        ({"environment": "moon"}, "environment"),
        ({"version": 99}, "version"),
        ({"window_start": "yesterday"}, "window_start"),
        ({"severity": "critical"}, "severity"),
    ],
)
def test_bad_reports_name_the_field(
    api_client_for, data_scientist, version, overrides, field
):
    response = api_client_for(data_scientist).post(
        REPORTS, report_body([stable_categorical()], **overrides), format="json"
    )

    assert any(key.startswith(field) for key in assert_error(response, 400)["details"])
    assert not FeatureDrift.objects.exists()


def test_raw_values_over_the_feature_cap_get_413_naming_the_cap(
    api_client_for, data_scientist, version, settings
):
    settings.DRIFT_MAX_VALUES_PER_FEATURE = 100

    response = api_client_for(data_scientist).post(
        REPORTS, report_body([shifted_numeric(n=101)]), format="json"
    )

    error = assert_error(response, 413, "payload_too_large")
    assert "100" in error["message"] and "histogram" in error["message"]
    assert error["details"]["max_values_per_feature"] == 100


def test_raw_values_over_the_report_cap_get_413(
    api_client_for, data_scientist, version, settings
):
    settings.DRIFT_MAX_VALUES_PER_REPORT = 300

    response = api_client_for(data_scientist).post(
        REPORTS,
        report_body(
            [shifted_numeric(name="a", n=100), shifted_numeric(name="b", n=100)]
        ),
        format="json",
    )

    assert assert_error(response, 413)["details"]["max_values_per_report"] == 300


def test_body_over_the_byte_cap_gets_413(
    api_client_for, data_scientist, version, settings
):
    settings.DRIFT_MAX_BODY_BYTES = 1000

    response = api_client_for(data_scientist).post(
        REPORTS, report_body([shifted_numeric(n=200)]), format="json"
    )

    assert_error(response, 413)


def test_other_teams_cannot_post_reports(api_client_for, other_data_scientist, version):
    response = api_client_for(other_data_scientist).post(
        REPORTS, report_body([stable_categorical()]), format="json"
    )

    assert_error(response, 404)


@pytest.mark.parametrize("role", ["viewer", "executive", "auditor"])
def test_read_only_roles_cannot_post_reports(request, api_client_for, role, version):
    client = api_client_for(request.getfixturevalue(role))

    assert_error(
        client.post(REPORTS, report_body([stable_categorical()]), format="json"), 403
    )
    assert client.get(REPORTS).status_code == 200
    assert client.get(ALERTS).status_code == 200


def test_anonymous_gets_401(anonymous_client, version):
    assert_error(anonymous_client.get(REPORTS), 401)
    assert_error(anonymous_client.post(REPORTS, {}, format="json"), 401)
    assert_error(anonymous_client.get(ALERTS), 401)


@pytest.fixture
def open_alert(api_client_for, data_scientist, version):
    api_client_for(data_scientist).post(
        REPORTS, report_body([shifted_numeric(shift=8)]), format="json"
    )
    return DriftAlert.objects.get()


def test_alert_lifecycle(api_client_for, reviewer, open_alert, data_scientist):
    client = api_client_for(reviewer)

    acknowledged = client.post(
        f"{ALERTS}{open_alert.pk}/acknowledge/", {"note": "Looking"}, format="json"
    )
    resolved = client.post(
        f"{ALERTS}{open_alert.pk}/resolve/", {"note": "Retrained"}, format="json"
    )
    again = client.post(
        f"{ALERTS}{open_alert.pk}/acknowledge/", {"note": "?"}, format="json"
    )

    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["acknowledged_by"] == reviewer.username
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution_note"] == "Retrained"
    assert_error(again, 409, "invalid_transition")
    api_client_for(data_scientist).post(
        REPORTS, report_body([shifted_numeric(shift=8)]), format="json"
    )
    assert DriftAlert.objects.filter(status="open").count() == 1
    assert DriftAlert.objects.count() == 2


def test_alert_moves_need_a_reviewer_and_a_note(
    api_client_for, data_scientist, reviewer, open_alert
):
    assert_error(
        api_client_for(data_scientist).post(
            f"{ALERTS}{open_alert.pk}/acknowledge/", {"note": "x"}, format="json"
        ),
        403,
    )
    error = assert_error(
        api_client_for(reviewer).post(
            f"{ALERTS}{open_alert.pk}/resolve/", {"note": ""}, format="json"
        ),
        400,
    )
    assert "note" in error["details"]
    assert_error(
        api_client_for(reviewer).post(
            f"{ALERTS}999/resolve/", {"note": "x"}, format="json"
        ),
        404,
    )


def test_alert_and_report_filters(api_client_for, viewer, open_alert):
    client = api_client_for(viewer)

    assert len(client.get(ALERTS + "?status=open&model=churn").json()["results"]) == 1
    assert client.get(ALERTS + "?status=resolved").json()["results"] == []
    assert client.get(REPORTS + "?environment=staging").json()["results"] == []
    assert len(client.get(REPORTS + "?model=churn&version=7").json()["results"]) == 1
    assert "status" in assert_error(client.get(ALERTS + "?status=gone"), 400)["details"]
    assert (
        "severity"
        in assert_error(client.get(REPORTS + "?severity=meh"), 400)["details"]
    )


def test_report_detail_has_every_feature(api_client_for, viewer, open_alert):
    report = DriftReport.objects.get()

    body = api_client_for(viewer).get(f"{REPORTS}{report.pk}/").json()

    assert [feature["feature"] for feature in body["features"]] == ["age"]
    assert body["alerts"][0]["id"] == open_alert.pk


@pytest.mark.parametrize("count", [2, 10])
def test_list_query_counts_are_constant(
    api_client_for, data_scientist, viewer, version, django_assert_num_queries, count
):
    writer = api_client_for(data_scientist)
    for seed in range(count):
        writer.post(
            REPORTS,
            report_body([shifted_numeric(name=f"f{seed}", shift=25, n=50, seed=seed)]),
            format="json",
        )
    client = api_client_for(viewer)

    with django_assert_num_queries(3):  # token + user, roles, page
        reports = client.get(REPORTS)
    with django_assert_num_queries(1):  # the page: the token is cached now
        alerts = client.get(ALERTS)

    assert len(reports.json()["results"]) == count
    assert len(alerts.json()["results"]) == count


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_reports_leave_one_unresolved_alert(data_scientist, version):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    from drift.services import ingest_drift_report
    from drift.stats import parse_features
    from registry.models import Environment

    production = Environment.objects.get(name="production")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def post(seed: int) -> None:
        try:
            features = parse_features([shifted_numeric(shift=8, seed=seed)])
            barrier.wait()
            ingest_drift_report(
                actor=data_scientist,
                version=version,
                environment=production,
                window_start=version.created_at,
                window_end=version.created_at + timedelta(days=1),
                features=features,
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert DriftReport.objects.count() == 2
    assert DriftAlert.objects.unresolved().count() == 1


def test_alerts_opened_and_updated_by_reports_are_audited(
    api_client_for, data_scientist, version
):
    client = api_client_for(data_scientist)
    client.post(REPORTS, report_body([shifted_numeric(shift=8)]), format="json")
    client.post(
        REPORTS, report_body([shifted_numeric(shift=0.1, seed=3)]), format="json"
    )

    entries = LogEntry.objects.get_for_model(DriftAlert).order_by("timestamp", "pk")

    assert [entry.action for entry in entries] == [
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
    ]
    assert {entry.actor for entry in entries} == {data_scientist}
    assert entries[1].changes["severity"][1] == "ok"


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        (
            {
                "name": "constant",
                "kind": "numeric",
                "reference": {"values": [5.0] * 1500},
                "current": {"values": [float(v) for v in range(10, 20)] * 150},
            },
            {"evaluable": True, "method": "wasserstein", "drifted": True},
        ),
        (
            {
                "name": "few-values",
                "kind": "numeric",
                "reference": {"values": [0, 1, 2, 3, 4] * 40},
                "current": {"values": [0, 1, 2, 3, 4] * 40},
            },
            {"kind": "categorical", "method": "chisquare", "drifted": False},
        ),
        (
            {
                "name": "new-category",
                "kind": "categorical",
                "reference": {"categories": {"DE": 500}},
                "current": {"categories": {"DE": 400, "IT": 100}},
            },
            {"drifted": True, "evaluable": True},
        ),
        (
            {
                "name": "tiny",
                "kind": "numeric",
                "reference": {"values": [1.5]},
                "current": {"values": [2.5]},
            },
            {"kind": "categorical", "method": "chisquare", "n_reference": 1},
        ),
        (
            {
                "name": "all-missing-current",
                "kind": "numeric",
                "reference": {"values": [1.0, 2.0, 3.0]},
                "current": {"values": [None, None]},
            },
            {"evaluable": False, "drifted": False, "severity": "ok", "excluded": 2},
        ),
    ],
    ids=["constant-reference", "five-values", "new-category", "tiny", "empty-side"],
)
def test_edge_cases_through_the_api(
    api_client_for, data_scientist, version, feature, expected
):
    response = api_client_for(data_scientist).post(
        REPORTS, report_body([feature]), format="json"
    )

    assert response.status_code == 201, response.content
    result = response.json()["features"][0]
    assert {key: result[key] for key in expected} == expected
    assert all(value is None or value == value for value in result.values())


@pytest.mark.parametrize("verb", ["acknowledge", "resolve"])
def test_alert_moves_need_authentication(anonymous_client, open_alert, verb):
    response = anonymous_client.post(
        f"{ALERTS}{open_alert.pk}/{verb}/", {"note": "x"}, format="json"
    )

    assert_error(response, 401)
    open_alert.refresh_from_db()
    assert open_alert.status == "open"


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        (REPORTS, "severity=meh", "severity"),
        (REPORTS, "version=seven", "version"),
        (REPORTS, "status=open", "status"),
        (ALERTS, "sevrity=critical", "sevrity"),
        (ALERTS, "version=0", "version"),
    ],
)
def test_drift_lists_refuse_unknown_or_invalid_parameters(
    api_client_for, viewer, url, query, field
):
    error = assert_error(api_client_for(viewer).get(f"{url}?{query}"), 400, "invalid")

    assert field in error["details"]


def test_drift_lists_ignore_empty_parameters(api_client_for, viewer, open_alert):
    client = api_client_for(viewer)

    assert len(client.get(ALERTS + "?severity=&status=").json()["results"]) == 1


def test_psi_bins_that_count_other_values_get_400_naming_the_field(
    api_client_for, data_scientist, version
):
    edges, psi_edges = [None, 0, 10, None], [None, 2, 5, 8, None]
    feature = {
        "name": "income",
        "kind": "numeric",
        "reference": {
            "bin_edges": edges,
            "counts": [1, 6, 3],
            "psi_bin_edges": psi_edges,
            "psi_counts": [3, 2, 2, 3],
        },
        "current": {
            "bin_edges": edges,
            "counts": [0, 2, 8],
            "psi_bin_edges": psi_edges,
            "psi_counts": [0, 1, 1, 9],
        },
    }

    response = api_client_for(data_scientist).post(
        REPORTS, report_body([feature]), format="json"
    )

    error = assert_error(response, 400, "invalid")
    assert "features[0].current.psi_counts" in error["details"], error
    assert not DriftReport.objects.exists()
