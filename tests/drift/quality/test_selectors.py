"""drift.selectors.latest_performance_reports and latest_fairness_reports:
what the compliance helpers read, one query each, the latest by reception
even when the demo replays the past out of order."""

from datetime import UTC, datetime, timedelta

import pytest

from drift.quality import parse_fairness, parse_performance
from drift.selectors import latest_fairness_reports, latest_performance_reports
from drift.services import ingest_fairness_report, ingest_performance_report
from registry.models import Environment
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def post(kind, version, actor, environment, days, **payload):
    window = {
        "actor": actor,
        "version": version,
        "environment": Environment.objects.get(name=environment),
        "window_start": T0 + timedelta(days=days - 7),
        "window_end": T0 + timedelta(days=days),
        "received_at": T0 + timedelta(days=days, hours=1),
    }
    if kind == "performance":
        data = parse_performance(payload, max_rows=10)
        return ingest_performance_report(**window, data=data).report
    return ingest_fairness_report(
        **window, data=parse_fairness(payload, max_rows=10)
    ).report


def matrix(tp):
    return {"confusion_matrix": {"tp": tp, "fp": 5, "tn": 50, "fn": 100 - tp}}


def counts(attribute, women):
    return {
        "attribute": attribute,
        "group_counts": {
            "men": {"tp": 40, "fp": 20, "tn": 30, "fn": 10},
            "women": {"tp": women, "fp": 0, "tn": 90 - women, "fn": 10},
        },
    }


def test_the_latest_reports_per_version_in_one_query_each(
    team, data_scientist, django_assert_num_queries
):
    model = MLModelFactory(team=team)
    v1 = ModelVersionFactory(model=model, version=1, status="approved")
    v2 = ModelVersionFactory(model=model, version=2, status="approved")
    newest = post("performance", v1, data_scientist, "production", 14, **matrix(80))
    # Stored afterwards but received earlier (the demo replays the past): it
    # does not replace the latest.
    post("performance", v1, data_scientist, "production", 7, **matrix(60))
    post("performance", v1, data_scientist, "staging", 21, **matrix(10))
    v2_report = post("performance", v2, data_scientist, "production", 3, **matrix(70))
    sex = post("fairness", v1, data_scientist, "production", 14, **counts("sex", 50))
    post("fairness", v1, data_scientist, "production", 7, **counts("sex", 20))
    age = post("fairness", v1, data_scientist, "production", 7, **counts("age", 30))

    with django_assert_num_queries(1):
        performance = latest_performance_reports([v1.pk, v2.pk], "production")
        assert performance[v1.pk].version.model.name == model.name
    with django_assert_num_queries(1):
        fairness = latest_fairness_reports([v1.pk, v2.pk], "production")

    assert performance == {v1.pk: newest, v2.pk: v2_report}
    assert performance[v1.pk].recall == pytest.approx(0.8)
    assert fairness == {v1.pk: [age, sex]}
    assert latest_performance_reports([v2.pk], "staging") == {}
