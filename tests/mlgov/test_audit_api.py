import pytest

from tests.factories import MLModelFactory
from tests.registry.test_api import assert_error

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/audit/"


@pytest.mark.parametrize("role", ["auditor", "governance_admin"])
def test_auditors_and_admins_read_the_trail(
    request, api_client_for, data_scientist, team, role
):
    writer = api_client_for(data_scientist)
    writer.post(
        "/api/v1/models/",
        {
            "name": "churn",
            "display_name": "Churn",
            "team": team.name,
            "risk_tier": "low",
        },
        format="json",
    )
    client = api_client_for(request.getfixturevalue(role))

    rows = client.get(AUDIT + "?object_type=registry.mlmodel").json()["results"]

    assert rows[0]["actor"] == data_scientist.username
    assert rows[0]["action"] == "create"
    assert rows[0]["object_repr"] == "churn"
    assert client.get(AUDIT + f"?actor={data_scientist.username}").json()["results"]


@pytest.mark.parametrize("role", ["viewer", "data_scientist", "reviewer", "executive"])
def test_other_roles_cannot_read_the_trail(request, api_client_for, role):
    assert_error(api_client_for(request.getfixturevalue(role)).get(AUDIT), 403)


def test_anonymous_gets_401(anonymous_client):
    assert_error(anonymous_client.get(AUDIT), 401)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("object_type=nope.thing", "object_type"),
        ("object_id=x", "object_id"),
        ("since=monday", "since"),
    ],
)
def test_bad_filters_name_the_field(api_client_for, auditor, query, field):
    assert (
        field
        in assert_error(api_client_for(auditor).get(f"{AUDIT}?{query}"), 400)["details"]
    )


@pytest.mark.parametrize("count", [2, 15])
def test_audit_list_query_count_is_constant(
    api_client_for, auditor, team, django_assert_num_queries, count
):
    from auditlog.context import set_actor

    with set_actor(auditor):
        for index in range(count):
            MLModelFactory(name=f"m-{index}", team=team)
    client = api_client_for(auditor)

    with django_assert_num_queries(3):
        response = client.get(AUDIT)

    assert len(response.json()["results"]) >= count


def test_an_unknown_filter_is_refused_by_name(api_client_for, auditor):
    response = api_client_for(auditor).get(f"{AUDIT}?who=rita")

    error = assert_error(response, 400, "invalid")
    assert "who" in error["details"]
    assert "actor" in error["message"]
