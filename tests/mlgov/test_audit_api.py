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

    # token + user, roles, entries page, usernames in their changes
    with django_assert_num_queries(4):
        response = client.get(AUDIT)

    assert len(response.json()["results"]) >= count


def test_changes_show_usernames_not_user_ids(
    api_client_for, auditor, reviewer, data_scientist, team
):
    from governance.models import Approval
    from tests.factories import ModelVersionFactory

    version = ModelVersionFactory(
        model=MLModelFactory(name="churn", team=team),
        status="in_review",
        created_by=data_scientist,
    )
    Approval.objects.create(version=version, reviewer=reviewer, decision="approve")

    rows = (
        api_client_for(auditor).get(AUDIT + "?object_type=approval").json()["results"]
    )

    assert rows[0]["changes"]["reviewer"] == ["None", "reviewer"]
    assert rows[0]["changes"]["decision"] == ["None", "approve"]


@pytest.mark.parametrize(
    "object_type", ["modelversion", "ModelVersion", "registry.modelversion"]
)
def test_object_type_takes_the_short_or_the_full_name(
    api_client_for, auditor, team, object_type
):
    from tests.factories import ModelVersionFactory

    ModelVersionFactory(model=MLModelFactory(name="churn", team=team))

    response = api_client_for(auditor).get(f"{AUDIT}?object_type={object_type}")

    assert response.status_code == 200
    assert {row["object_type"] for row in response.json()["results"]} == {
        "registry.modelversion"
    }


def test_an_unknown_object_type_lists_the_valid_ones(api_client_for, auditor):
    response = api_client_for(auditor).get(f"{AUDIT}?object_type=version")

    message = assert_error(response, 400)["details"]["object_type"][0]
    assert "registry.modelversion" in message
    assert "waiver" in message


def test_an_unknown_filter_is_refused_by_name(api_client_for, auditor):
    response = api_client_for(auditor).get(f"{AUDIT}?who=rita")

    error = assert_error(response, 400, "invalid")
    assert "who" in error["details"]
    assert "actor" in error["message"]
