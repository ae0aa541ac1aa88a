"""GET /api/v1/portfolio/summary/: the overview's numbers for automation."""

import pytest

from command_center.selectors import portfolio_summary

pytestmark = pytest.mark.django_db

URL = "/api/v1/portfolio/summary/"


def test_the_summary_has_designs_field_names(api_client_for, viewer, portfolio):
    body = api_client_for(viewer).get(URL).json()

    assert {
        "models",
        "versions",
        "production",
        "by_risk_tier",
        "drift_alerts_open",
        "gate_decisions_30d",
        "overdue_reviews",
        "attention",
    } <= set(body)
    assert body["models"] == 4
    assert body["production"] == {"active": 0, "compliant": 0, "compliance_rate": None}
    assert body["gate_decisions_30d"]["blocked"] == 0
    assert body["by_risk_tier"]["critical"]["models"] == 1
    assert body["overdue_reviews"]["total"] == 2
    # bravo (high) fails the production floor: 3 x 20 of 1000 points.
    assert body["attention"][0] == {
        "model": "bravo",
        "version": "v1 candidate",
        "readiness": 55.0,
        "exposure": 6.0,
        "reason": "Fails 1 enforced rule for production; serves no production traffic",
        "risk_tier": "high",
        "team": "risk",
    }


def test_the_summary_is_the_overviews_selector(api_client_for, viewer, portfolio):
    assert api_client_for(viewer).get(URL).json() == portfolio_summary()


@pytest.mark.parametrize("role", ["viewer", "data_scientist", "executive", "auditor"])
def test_every_role_reads_the_summary(request, api_client_for, role):
    assert api_client_for(request.getfixturevalue(role)).get(URL).status_code == 200


def test_without_credentials_or_role_the_summary_is_refused(
    anonymous_client, api_client_for, no_role_user
):
    assert anonymous_client.get(URL).status_code == 401
    assert api_client_for(no_role_user).get(URL).status_code == 403


def test_the_summary_takes_no_body_writes(api_client_for, viewer):
    assert api_client_for(viewer).post(URL, {}, format="json").status_code == 405


def test_summary_queries_are_constant(
    api_client_for, viewer, portfolio, django_assert_num_queries
):
    client = api_client_for(viewer)
    client.get(URL)

    # The token, its user and roles come from the API's own cache; what is
    # left is the fingerprint: the numbers themselves come from the cache.
    with django_assert_num_queries(1):
        client.get(URL)
