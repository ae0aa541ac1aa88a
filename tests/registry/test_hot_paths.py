"""The registry's hot endpoints (issue 13): the fast JSON builders give what
the serializers give, writes answer what a read answers, and the query count
of each hot path is pinned and does not grow with the data."""

import json

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.request import Request

import mlgov.audit
import registry.hot
from mlgov.api.pagination import StableCursorPagination
from registry import selectors
from registry.api import (
    MLModelSerializer,
    VersionListView,
    VersionSerializer,
    model_data,
    version_data,
)
from tests.factories import MLModelFactory, ModelVersionFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = "/api/v1/models/"


def versions_url(name: str) -> str:
    return f"{MODELS}{name}/versions/"


def version_url(name: str, number: int) -> str:
    return f"{MODELS}{name}/versions/{number}/"


@pytest.fixture
def model(team):
    return MLModelFactory(name="churn", team=team, tags=["pii", "batch"])


@pytest.fixture
def warm_client(api_client_for):
    """A client whose token is already resolved and cached, as every request
    but the first of a busy client finds it."""

    def make(user):
        client = api_client_for(user)
        assert client.get("/api/v1/environments/").status_code == 200
        return client

    return make


def test_version_rows_render_as_the_serializer_does(model, data_scientist, reviewer):
    first = ModelVersionFactory(model=model, version=1, created_by=data_scientist)
    ModelVersionFactory(
        model=model,
        version=2,
        parent=first,
        status="in_review",
        created_by=data_scientist,
        submitted_by=reviewer,
        params={"depth": 3, "nested": {"a": [1, 2]}},
        metrics={"auc": 0.91},
    )
    ModelVersionFactory(model=model, version=3, created_by=None)

    rows = {row["version"]: row for row in selectors.version_rows_of(model=model)}
    for version in selectors.versions_of(model=model):
        assert version_data(rows[version.version]) == VersionSerializer(version).data


def test_inventory_rows_render_as_the_serializer_does(team, data_scientist):
    MLModelFactory(name="a-model", team=team, tags=["pii", "batch"])
    archived = MLModelFactory(name="b-model", team=team, owner=data_scientist)
    archived.archived_at = timezone.now()
    archived.save()
    ModelVersionFactory(model=archived, version=4)

    rows = list(selectors.model_inventory_rows(include_archived=True))
    tags = selectors.tag_names_of([row["id"] for row in rows])
    instances = selectors.model_inventory(include_archived=True)
    assert [model_data(row, tags[row["id"]]) for row in rows] == [
        MLModelSerializer(model).data for model in instances
    ]


def test_a_created_version_answers_what_a_read_of_it_answers(
    api_client_for, data_scientist, model
):
    client = api_client_for(data_scientist)
    client.post(versions_url("churn"), {"artifact_uri": "s3://b/1"}, format="json")

    created = client.post(
        versions_url("churn"),
        {
            "artifact_uri": "s3://b/2",
            "parent_version": 1,
            "params": {"b": 1, "a": {"c": [1, 2]}},
            "metrics": {"auc": 1},
            "model_card": {"intended_use": "Tests."},
        },
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json() == client.get(version_url("churn", 2)).json()
    assert created.json()["parent_version"] == 1
    assert created.json()["created_by"] == "scientist"


def test_a_registered_model_answers_what_a_read_of_it_answers(
    api_client_for, data_scientist, team
):
    client = api_client_for(data_scientist)

    created = client.post(
        MODELS,
        {
            "name": "fresh",
            "display_name": "Fresh",
            "team": "fraud",
            "risk_tier": "low",
            "tags": ["zeta", "alpha", "zeta"],
        },
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json() == client.get(f"{MODELS}fresh/").json()
    assert created.json()["tags"] == ["alpha", "zeta"]
    assert created.json()["owner"] == "scientist"


def test_versions_of_an_unknown_model_are_404(api_client_for, viewer):
    response = api_client_for(viewer).get(versions_url("nope"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_model_without_versions_lists_none(api_client_for, viewer, model):
    response = api_client_for(viewer).get(versions_url("churn"))

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("page_size", [1, 2, 4, 5, 100])
def test_the_first_page_of_versions_is_the_page_the_orm_gives(
    api_client_for, viewer, model, page_size
):
    parent = None
    for number in range(1, 5):
        parent = ModelVersionFactory(model=model, version=number, parent=parent)
    url = versions_url("churn") + f"?page_size={page_size}"

    # Through the view: a first page, unfiltered, comes from the compiled query.
    response = api_client_for(viewer).get(url)

    # The same page through the paginator and the selector's QuerySet.
    paginator = StableCursorPagination()
    request = Request(RequestFactory().get(url))
    rows = paginator.paginate_queryset(
        selectors.version_rows_named(name="churn"), request, VersionListView()
    )
    expected = paginator.get_paginated_response([version_data(row) for row in rows])
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(expected.data))


def test_the_next_pages_follow_the_first(api_client_for, viewer, model):
    for number in range(1, 6):
        ModelVersionFactory(model=model, version=number)
    client = api_client_for(viewer)

    first = client.get(versions_url("churn") + "?page_size=2").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(second["previous"]).json()

    assert [row["version"] for row in first["results"]] == [5, 4]
    assert [row["version"] for row in second["results"]] == [3, 2]
    assert [row["version"] for row in third["results"]] == [1]
    assert (first["previous"], third["next"]) == (None, None)
    assert back["results"] == first["results"]


def test_a_filtered_list_is_filtered(api_client_for, viewer, model):
    ModelVersionFactory(model=model, version=1, status="in_review")
    ModelVersionFactory(model=model, version=2)
    client = api_client_for(viewer)

    response = client.get(versions_url("churn") + "?status=in_review")

    assert [row["version"] for row in response.json()["results"]] == [1]


def test_a_changed_version_is_listed_as_it_now_is(
    api_client_for, data_scientist, model
):
    ModelVersionFactory(model=model, version=1, created_by=data_scientist)
    client = api_client_for(data_scientist)
    assert client.get(versions_url("churn")).json()["results"][0]["params"] == {}

    client.patch(version_url("churn", 1), {"params": {"depth": 4}}, format="json")

    listed = client.get(versions_url("churn")).json()["results"][0]
    assert listed["params"] == {"depth": 4}
    assert listed == client.get(version_url("churn", 1)).json()


# -- pinned query counts, with the token already cached ----------------------


@pytest.mark.parametrize("count", [2, 30])
def test_get_version_is_one_query_however_many_versions(
    warm_client, viewer, model, django_assert_num_queries, count
):
    for number in range(1, count + 1):
        ModelVersionFactory(model=model, version=number)
    client = warm_client(viewer)

    with django_assert_num_queries(1):  # the version, joined to model and users
        response = client.get(version_url("churn", 2))

    assert response.status_code == 200
    assert response.json()["version"] == 2


@pytest.mark.parametrize("count", [2, 30])
def test_list_versions_is_one_query_however_many_versions(
    warm_client, viewer, model, django_assert_num_queries, count
):
    parent = None
    for number in range(1, count + 1):
        parent = ModelVersionFactory(model=model, version=number, parent=parent)
    client = warm_client(viewer)

    with django_assert_num_queries(1):  # the page, joined to model, users, parent
        response = client.get(versions_url("churn") + "?page_size=100")

    rows = response.json()["results"]
    assert [row["version"] for row in rows] == list(range(count, 0, -1))
    assert rows[0]["parent_version"] == count - 1


@pytest.mark.parametrize("count", [3, 40])
def test_search_is_two_queries_however_many_models(
    warm_client, viewer, team, django_assert_num_queries, count
):
    for index in range(count):
        model = MLModelFactory(name=f"bench-{index:03d}", team=team, tags=["a", "b"])
        ModelVersionFactory(model=model, version=1)
    MLModelFactory(name="other", team=team)
    client = warm_client(viewer)

    with django_assert_num_queries(2):  # the page, the page's tags
        response = client.get(MODELS + "?q=bench-&page_size=100")

    rows = response.json()["results"]
    assert len(rows) == count
    assert all(row["tags"] == ["a", "b"] and row["latest_version"] == 1 for row in rows)


@pytest.mark.parametrize("count", [1, 30])
def test_create_version_query_count_does_not_grow_with_versions(
    warm_client, governance_admin, model, django_assert_num_queries, count
):
    for number in range(1, count + 1):
        ModelVersionFactory(model=model, version=number)
    client = warm_client(governance_admin)

    # savepoint, the model found and locked (404 / permission), latest
    # number, insert, audit entry, release savepoint
    with django_assert_num_queries(6):
        response = client.post(
            versions_url("churn"), {"artifact_uri": "s3://b/k"}, format="json"
        )

    assert response.status_code == 201, response.content
    assert response.json()["version"] == count + 1


@pytest.mark.postgres
def test_a_created_version_takes_two_round_trips_before_its_commit(
    warm_client, governance_admin, model, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("round trips shared by statements need PostgreSQL's pipeline")
    client = warm_client(governance_admin)
    together: list[tuple[str, int]] = []
    for module, name in (
        (registry.hot, "fetch_together"),
        (mlgov.audit, "write_together"),
    ):
        run = getattr(module, name)
        monkeypatch.setattr(
            module,
            name,
            lambda *statements, name=name, run=run: (
                together.append((name, len(statements))) or run(*statements)
            ),
        )

    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            versions_url("churn"), {"artifact_uri": "s3://b/k"}, format="json"
        )

    assert response.status_code == 201, response.content
    # The lock with the latest number and the new key, then the version
    # with its audit entry: the four statements between the savepoints.
    assert together == [("fetch_together", 2), ("write_together", 2)]
    assert len(queries) == 6


# -- the token cache never outlives what it caches ---------------------------


def test_a_revoked_token_is_refused_at_once(api_client_for, viewer):
    from mlgov.models import APIToken
    from mlgov.services import revoke_token

    client = api_client_for(viewer)
    assert client.get(MODELS).status_code == 200  # now cached

    revoke_token(token=APIToken.objects.get(user=viewer))

    assert client.get(MODELS).status_code == 401


def test_a_deactivated_user_is_refused_at_once(api_client_for, viewer):
    client = api_client_for(viewer)
    assert client.get(MODELS).status_code == 200

    viewer.is_active = False
    viewer.save()

    assert client.get(MODELS).status_code == 401


def test_a_role_taken_away_is_refused_at_once(api_client_for, data_scientist, model):
    from django.contrib.auth.models import Group

    client = api_client_for(data_scientist)
    body = {"artifact_uri": "s3://b/k"}
    assert client.post(versions_url("churn"), body, format="json").status_code == 201

    data_scientist.groups.set([Group.objects.get(name="viewer")])

    assert client.post(versions_url("churn"), body, format="json").status_code == 403


def test_a_role_group_emptied_is_refused_at_once(api_client_for, model):
    from django.contrib.auth.models import Group

    user = UserFactory(username="member", roles=["viewer"])
    client = api_client_for(user)
    assert client.get(MODELS).status_code == 200

    Group.objects.get(name="viewer").user_set.clear()

    assert client.get(MODELS).status_code == 403


def test_leaving_a_team_is_refused_at_once(api_client_for, data_scientist, model):
    client = api_client_for(data_scientist)
    body = {"artifact_uri": "s3://b/k"}
    assert client.post(versions_url("churn"), body, format="json").status_code == 201

    model.team.members.remove(data_scientist)

    assert client.post(versions_url("churn"), body, format="json").status_code == 404


def test_an_expired_token_is_refused_even_when_cached(api_client_for, viewer):
    from mlgov.models import APIToken

    client = api_client_for(viewer)
    assert client.get(MODELS).status_code == 200
    # Expired in the database, the cached copy still says valid: the
    # expiry is checked on every hit, and is as old as the cached copy.
    token = APIToken.objects.get(user=viewer)
    APIToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    from django.core.cache import cache

    from mlgov.api.authentication import token_cache_key

    user, cached = cache.get(token_cache_key(token.key_hash))
    cached.expires_at = timezone.now()
    cache.set(token_cache_key(token.key_hash), (user, cached))

    assert client.get(MODELS).status_code == 401


def test_an_edited_model_answers_what_a_read_of_it_answers(
    api_client_for, data_scientist, model
):
    client = api_client_for(data_scientist)
    ModelVersionFactory(model=model, version=3)
    assert client.get(f"{MODELS}churn/").status_code == 200  # cached now

    edited = client.patch(
        f"{MODELS}churn/", {"business_use": "owner=ana"}, format="json"
    )

    assert edited.status_code == 200, edited.content
    assert edited.json() == client.get(f"{MODELS}churn/").json()
    assert edited.json()["business_use"] == "owner=ana"
    assert edited.json()["latest_version"] == 3
    assert edited.json()["tags"] == ["batch", "pii"]


def test_an_edited_version_answers_what_a_read_of_it_answers(
    api_client_for, data_scientist, model
):
    client = api_client_for(data_scientist)
    client.post(versions_url("churn"), {"artifact_uri": "s3://b/1"}, format="json")

    edited = client.patch(
        version_url("churn", 1), {"params": {"validated": "true"}}, format="json"
    )

    assert edited.status_code == 200, edited.content
    assert edited.json() == client.get(version_url("churn", 1)).json()
    assert edited.json()["params"] == {"validated": "true"}
