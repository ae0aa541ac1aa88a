"""Monitoring beyond drift on the pages: the model page's performance and
fairness charts and open alerts, and the policy editor's forms for the two
monitoring rule kinds (generated from their schemas), saved as documents."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from drift.models import MonitoringThreshold
from drift.quality import parse_fairness, parse_performance
from drift.services import ingest_fairness_report, ingest_performance_report
from governance.models import PolicyRevision
from registry.models import Environment
from tests.command_center.conftest import (  # noqa: F401 - fixtures used below
    policies,
    portfolio,
)

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report_history(version, author, recalls=(0.9, 0.8, 0.6), women=(55, 45, 30)):
    """Weekly performance reports (recall falling) and fairness reports by
    sex (women selected less and less) for `version` in production."""
    production = Environment.objects.get(name="production")
    MonitoringThreshold.objects.create(
        environment=production, metric="recall", warning=0.75, critical=0.65
    )
    now = timezone.now()
    for week, (recall, selected) in enumerate(zip(recalls, women, strict=True)):
        end = now - timedelta(weeks=len(recalls) - 1 - week, days=1)
        window = {
            "actor": author,
            "version": version,
            "environment": production,
            "window_start": end - timedelta(days=7),
            "window_end": end,
            "received_at": end + timedelta(hours=1),
        }
        tp = int(recall * 100)
        ingest_performance_report(
            **window,
            data=parse_performance(
                {"confusion_matrix": {"tp": tp, "fp": 20, "tn": 180, "fn": 100 - tp}},
                max_rows=1,
            ),
        )
        ingest_fairness_report(
            **window,
            data=parse_fairness(
                {
                    "attribute": "sex",
                    "group_counts": {
                        "men": {"tp": 40, "fp": 20, "tn": 30, "fn": 10},
                        "women": {
                            "tp": selected,
                            "fp": 0,
                            "tn": 90 - selected,
                            "fn": 10,
                        },
                    },
                },
                max_rows=1,
            ),
        )


def test_the_model_page_charts_performance_and_fairness_with_open_alerts(
    portfolio,  # noqa: F811
    viewer,
    governance_admin,
):
    report_history(portfolio.bravo.versions.get(), governance_admin)

    html = signed_in(viewer).get("/models/bravo/").content.decode()

    recall = re.search(
        r'<figure class="chart-card" data-performance="recall".*?</figure>', html, re.S
    )
    assert recall, "no recall chart"
    chart = recall.group(0)
    assert "Floor 0.75, critical at 0.65." in chart
    assert chart.count('class="mark sev-') == 3
    assert 'class="mark sev-critical"' in chart  # 0.60 is under 0.65
    assert '<line class="threshold"' in chart
    assert 'data-performance="auc"' not in html  # a confusion matrix has no auc
    fairness = re.search(
        r'<figure class="chart-card" data-fairness="sex".*?</figure>', html, re.S
    )
    assert fairness, "no fairness chart"
    assert "under four fifths" in fairness.group(0)
    assert "women" in fairness.group(0) and "men (ref.)" in fairness.group(0)
    alerts = re.search(r'<ul class="monitoring-alerts">.*?</ul>', html, re.S).group(0)
    assert "recall" in alerts and "critical" in alerts
    assert "disparate_impact_ratio by sex" in alerts
    assert "<script" not in chart and "style=" not in chart


def test_a_model_without_reports_says_so(portfolio, viewer):  # noqa: F811
    html = signed_in(viewer).get("/models/bravo/").content.decode()
    assert "No performance report received for this model." in html
    assert "No fairness report received for this model." in html
    assert 'class="monitoring-alerts"' not in html


def test_the_editor_shows_the_monitoring_kinds_and_saves_them(
    portfolio,  # noqa: F811
    governance_admin,
):
    client = signed_in(governance_admin)
    editor = client.get("/policies/new/").content.decode()
    for field in (
        "rules-0-performance_floor-metric",
        "rules-0-performance_floor-op",
        "rules-0-performance_floor-value",
        "rules-0-performance_floor-max_age_days",
        "rules-0-fairness_gap-metric",
        "rules-0-fairness_gap-max",
        "rules-0-fairness_gap-min",
    ):
        assert f'name="{field}"' in editor, field
    data = {
        "name": "live-quality",
        "enforcement": "enforce",
        "environments": ["production"],
        "rules-TOTAL_FORMS": "2",
        "rules-INITIAL_FORMS": "0",
        "rules-0-kind": "performance_floor",
        "rules-0-performance_floor-metric": "recall",
        "rules-0-performance_floor-op": ">=",
        "rules-0-performance_floor-value": "0.7",
        "rules-0-performance_floor-max_age_days": "14",
        "rules-1-kind": "fairness_gap",
        "rules-1-fairness_gap-metric": "disparate_impact_ratio",
        "rules-1-fairness_gap-min": "0.8",
        "reason": "Monitor what production sees",
        "action": "simulate",
    }
    simulated = client.post("/policies/new/", data)
    assert simulated.status_code == 200
    token = re.search(r'name="simulated" value="([^"]+)"', simulated.content.decode())
    assert token, "the page offers no Save after the simulation"
    saved = client.post(
        "/policies/new/",
        {**data, "action": "save", "simulated": unescape(token.group(1))},
    )
    assert saved["Location"] == "/policies/live-quality/"
    document = PolicyRevision.objects.get(policy__name="live-quality").document
    assert document["rules"] == [
        {
            "kind": "performance_floor",
            "params": {
                "metric": "recall",
                "op": ">=",
                "value": 0.7,
                "max_age_days": 14,
            },
        },
        {
            "kind": "fairness_gap",
            "params": {"metric": "disparate_impact_ratio", "min": 0.8},
        },
    ]
    page = signed_in(governance_admin).get("/policies/live-quality/").content.decode()
    assert "the latest performance report&#x27;s recall must be at least 0.70" in page


def test_the_editor_names_a_fairness_bound_on_the_wrong_side(
    portfolio,  # noqa: F811
    governance_admin,
):
    data = {
        "name": "wrong-side",
        "enforcement": "enforce",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-0-kind": "fairness_gap",
        "rules-0-fairness_gap-metric": "disparate_impact_ratio",
        "rules-0-fairness_gap-max": "0.8",
        "reason": "Try",
        "action": "simulate",
    }
    response = signed_in(governance_admin).post("/policies/new/", data)
    page = response.content.decode()
    assert "takes min" in page
    assert 'name="simulated"' not in page
