"""Cached reads stay correct when rows change, and a Redis outage degrades to
uncached answers (and counted errors), never to a 500."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry import selectors, services
from registry.models import Environment
from registry.selectors import model_detail_cache_namespace
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.mlgov.conftest import metric

pytestmark = pytest.mark.django_db


def queries_for(client, path: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


def test_the_environments_list_is_served_from_the_cache(api_client_for, viewer):
    client = api_client_for(viewer)

    first_queries, first = queries_for(client, "/api/v1/environments/")
    second_queries, second = queries_for(client, "/api/v1/environments/")

    assert second == first
    assert second_queries < first_queries


def test_changing_an_environment_shows_in_the_next_list(
    api_client_for, viewer, governance_admin
):
    client = api_client_for(viewer)
    queries_for(client, "/api/v1/environments/")
    production = Environment.objects.get(name="production")
    production.frozen = True
    production.freeze_reason = "Year-end change freeze"

    services.save_environment(actor=governance_admin, environment=production)

    _, page = queries_for(client, "/api/v1/environments/")
    listed = {row["name"]: row for row in page["results"]}
    assert listed["production"]["frozen"] is True
    assert listed["production"]["freeze_reason"] == "Year-end change freeze"


def test_an_environment_edited_in_the_admin_shows_in_the_api(
    api_client_for, viewer, governance_admin
):
    api = api_client_for(viewer)
    queries_for(api, "/api/v1/environments/")
    staging = Environment.objects.get(name="staging")
    governance_admin.is_staff = True
    governance_admin.save()
    admin = Client()
    admin.force_login(governance_admin)

    response = admin.post(
        f"/admin/registry/environment/{staging.pk}/change/",
        {
            "name": "staging",
            "rank": staging.rank,
            "requires": staging.requires_id or "",
            "min_soak_hours": 48,
            "freeze_reason": "",
        },
    )

    assert response.status_code == 302, response.content
    assert response["Location"] == "/admin/registry/environment/"
    _, page = queries_for(api, "/api/v1/environments/")
    listed = {row["name"]: row for row in page["results"]}
    assert listed["staging"]["min_soak_hours"] == 48


def test_model_detail_is_cached_and_refreshed_by_every_change(
    api_client_for, data_scientist, team
):
    model = MLModelFactory(team=team, name="churn", display_name="Churn")
    client = api_client_for(data_scientist)
    first_queries, first = queries_for(client, "/api/v1/models/churn/")
    second_queries, _ = queries_for(client, "/api/v1/models/churn/")
    assert second_queries < first_queries
    assert first["latest_version"] is None

    client.patch("/api/v1/models/churn/", {"display_name": "Churn v2"}, format="json")
    _, after_edit = queries_for(client, "/api/v1/models/churn/")
    client.post(
        "/api/v1/models/churn/versions/",
        {"artifact_uri": "s3://models/churn/1"},
        format="json",
    )
    _, after_version = queries_for(client, "/api/v1/models/churn/")
    services.update_model(actor=data_scientist, model=model, tags=["pii"])
    _, after_tags = queries_for(client, "/api/v1/models/churn/")

    assert after_edit["display_name"] == "Churn v2"
    assert after_version["latest_version"] == 1
    assert after_tags["tags"] == ["pii"]


class TestRedisDown:
    """REDIS_URL points at a closed port."""

    def test_the_api_still_answers_from_the_database(
        self, broken_cache, api_client_for, viewer, team
    ):
        MLModelFactory(team=team, name="churn")
        client = api_client_for(viewer)

        environments = client.get("/api/v1/environments/")
        detail = client.get("/api/v1/models/churn/")
        inventory = client.get("/api/v1/models/")

        assert environments.status_code == 200
        assert {row["name"] for row in environments.json()["results"]} >= {
            "development",
            "staging",
            "production",
        }
        assert detail.status_code == 200
        assert detail.json()["name"] == "churn"
        assert inventory.status_code == 200

    def test_writes_still_work_and_are_visible(
        self, broken_cache, api_client_for, data_scientist, team
    ):
        ModelVersionFactory(model=MLModelFactory(team=team, name="churn"))
        client = api_client_for(data_scientist)

        response = client.patch(
            "/api/v1/models/churn/", {"display_name": "Renamed"}, format="json"
        )

        assert response.status_code == 200
        assert client.get("/api/v1/models/churn/").json()["display_name"] == "Renamed"

    def test_the_admin_still_answers(self, broken_cache, governance_admin):
        governance_admin.is_staff = True
        governance_admin.save()
        client = Client()
        client.force_login(governance_admin)

        assert client.get("/admin/").status_code == 200
        assert client.get("/admin/registry/environment/").status_code == 200
        assert Client().get("/admin/login/").status_code == 200

    def test_rate_limiting_fails_open_and_says_so(
        self, broken_cache, api_client_for, viewer, log_lines
    ):
        broken_cache.RATELIMIT_API_READ = "1/m"
        broken_cache.RATELIMIT_FAIL_OPEN = True
        client = api_client_for(viewer)
        before = metric("mlgov_ratelimit_cache_failures_total", outcome="allowed")

        statuses = [client.get("/api/v1/environments/").status_code for _ in range(3)]

        assert statuses == [200, 200, 200]
        assert metric("mlgov_ratelimit_cache_failures_total", outcome="allowed") == (
            before + 3
        )
        warnings = [line for line in log_lines() if line["logger"] == "mlgov.ratelimit"]
        assert len(warnings) == 3
        assert all(line["level"] == "warning" for line in warnings)

    def test_rate_limiting_can_be_told_to_fail_closed(
        self, broken_cache, api_client_for, viewer
    ):
        broken_cache.RATELIMIT_FAIL_OPEN = False
        client = api_client_for(viewer)

        response = client.get("/api/v1/environments/")

        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable"
        assert response["Retry-After"]

    def test_cache_errors_are_counted_and_logged(
        self, broken_cache, api_client_for, viewer, log_lines
    ):
        before = metric("mlgov_cache_errors_total")

        api_client_for(viewer).get("/api/v1/environments/")

        assert metric("mlgov_cache_errors_total") > before
        assert any(line["logger"] == "mlgov.cache.redis" for line in log_lines())

    def test_readiness_names_the_cache(self, broken_cache):
        response = Client().get("/readyz")

        assert response.status_code == 503
        assert response.json()["failing"] == ["cache"]


def detail_generation(name: str) -> int:
    return cache.get(f"gen:{model_detail_cache_namespace(name)}") or 0


def test_a_transaction_reads_its_own_writes_and_caches_none_of_them(
    data_scientist, team
):
    model = MLModelFactory(team=team, name="churn", display_name="Churn")
    assert selectors.model_detail(name="churn").display_name == "Churn"
    generation = detail_generation("churn")

    with pytest.raises(RuntimeError), transaction.atomic():
        services.update_model(
            actor=data_scientist, model=model, display_name="Churn, uncommitted"
        )
        seen = selectors.model_detail(name="churn").display_name
        raise RuntimeError("rolled back")

    assert seen == "Churn, uncommitted"
    # Nothing moved and nothing uncommitted was cached: after the rollback
    # the cached detail, still right, answers without a query.
    assert detail_generation("churn") == generation
    with CaptureQueriesContext(connection) as queries:
        assert selectors.model_detail(name="churn").display_name == "Churn"
    assert len(queries) == 0


def test_a_commit_forgets_a_namespace_once_however_often_it_changed(
    data_scientist, team, django_capture_on_commit_callbacks
):
    model = MLModelFactory(team=team, name="churn")
    selectors.model_detail(name="churn")
    generation = detail_generation("churn")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        services.update_model(actor=data_scientist, model=model, tags=["pii"])
        services.create_version(
            actor=data_scientist, model=model, artifact_uri="s3://m/1"
        )
        assert detail_generation("churn") == generation

    assert len(callbacks) == 1
    assert detail_generation("churn") == generation + 1
    assert selectors.model_detail(name="churn").latest_version == 1
