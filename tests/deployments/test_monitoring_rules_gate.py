"""The gate blocks on the monitoring rule kinds: performance_floor and
fairness_gap read the latest reports of the version in the target
environment, in the dry-run and the recorded request alike."""

import pytest

from tests.deployments.conftest import checks_of, request_body

pytestmark = pytest.mark.django_db

CHECK_URL = "/api/v1/deployments/check/"
LIST_URL = "/api/v1/deployments/"
VERSION = "/api/v1/models/churn/versions/7/"
WINDOW = {
    "window_start": "2026-11-01T00:00:00Z",
    "window_end": "2026-11-08T00:00:00Z",
}


def post_performance(client, environment, tp, fp, tn, fn):
    response = client.post(
        VERSION + "performance-reports/",
        {
            **WINDOW,
            "environment": environment,
            "confusion_matrix": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
        },
        format="json",
    )
    assert response.status_code == 201, response.content


def post_fairness(client, women_selected):
    response = client.post(
        VERSION + "fairness-reports/",
        {
            **WINDOW,
            "environment": "production",
            "attribute": "sex",
            "group_counts": {
                "men": {"tp": 40, "fp": 20, "tn": 30, "fn": 10},
                "women": {
                    "tp": women_selected,
                    "fp": 0,
                    "tn": 100 - women_selected - 10,
                    "fn": 10,
                },
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.content


@pytest.fixture
def recall_floor(make_policy):
    return make_policy(
        "live-recall",
        [
            {
                "kind": "performance_floor",
                "params": {"metric": "recall", "op": ">=", "value": 0.7},
            }
        ],
        environments=["production"],
    )


def test_no_performance_report_blocks_and_says_so(
    scientist_client, soaked, recall_floor
):
    for url in (CHECK_URL, LIST_URL):
        body = scientist_client.post(url, request_body(), format="json").json()
        assert body["decision"] == "blocked"
        governance = checks_of(body)["governance"]
        assert governance["passed"] is False
        assert "no performance report in production" in governance["detail"]


def test_a_recall_below_the_floor_blocks_and_one_above_passes(
    scientist_client, soaked, recall_floor
):
    # A report elsewhere does not speak for production.
    post_performance(scientist_client, "staging", tp=90, fp=10, tn=90, fn=10)
    post_performance(scientist_client, "production", tp=50, fp=10, tn=90, fn=50)
    blocked = scientist_client.post(CHECK_URL, request_body(), format="json").json()
    assert blocked["decision"] == "blocked"
    (result,) = blocked["evaluation"]["results"]
    assert result["kind"] == "performance_floor"
    assert result["detail"] == "recall 0.50 is below the minimum 0.70 in production"

    post_performance(scientist_client, "production", tp=90, fp=10, tn=90, fn=10)
    approved = scientist_client.post(LIST_URL, request_body(), format="json").json()
    assert approved["decision"] == "approved"
    assert approved["evaluation"]["results"][0]["detail"] == (
        "recall 0.90 meets the minimum 0.70 in production"
    )


def test_the_four_fifths_rule_blocks_the_gate(scientist_client, soaked, make_policy):
    make_policy(
        "four-fifths",
        [
            {
                "kind": "fairness_gap",
                "params": {"metric": "disparate_impact_ratio", "min": 0.8},
            }
        ],
        environments=["production"],
    )
    post_fairness(scientist_client, women_selected=30)  # 0.3 / 0.6 = 0.5
    blocked = scientist_client.post(LIST_URL, request_body(), format="json").json()
    assert blocked["decision"] == "blocked"
    assert blocked["evaluation"]["results"][0]["detail"] == (
        "disparate_impact_ratio 0.50 is below the minimum 0.80 by sex in production"
    )

    post_fairness(scientist_client, women_selected=55)  # 0.55 / 0.6 = 0.92
    check = scientist_client.post(CHECK_URL, request_body(), format="json").json()
    assert check["decision"] == "approved"


def test_an_advisory_monitoring_rule_warns_without_blocking(
    scientist_client, soaked, make_policy
):
    make_policy(
        "watch-gap",
        [
            {
                "kind": "fairness_gap",
                "params": {"metric": "demographic_parity_difference", "max": 0.05},
            }
        ],
        enforcement="advisory",
        environments=["production"],
    )
    post_fairness(scientist_client, women_selected=30)
    body = scientist_client.post(CHECK_URL, request_body(), format="json").json()
    assert body["decision"] == "approved"
    assert any("demographic_parity_difference" in w for w in body["warnings"])
