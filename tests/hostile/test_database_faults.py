"""A database that drops connections or cancels statements: reads are tried
once more on a fresh connection, and what still fails is a 503 in the error
shape, never an HTML 500."""

import pytest
from django.db import OperationalError, connection

from registry import selectors
from tests.factories import MLModelFactory

pytestmark = pytest.mark.django_db


def failing_inventory(times: int):
    """model_inventory that loses its connection `times` times, then works."""
    real = selectors.model_inventory
    calls = {"count": 0}

    def inventory(**filters):
        calls["count"] += 1
        if calls["count"] <= times:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**filters)

    inventory.calls = calls
    return inventory


def test_a_request_that_cannot_reach_the_database_is_a_503_in_the_error_shape(
    api_client_for, viewer, monkeypatch
):
    monkeypatch.setattr(selectors, "model_inventory", failing_inventory(times=99))
    response = api_client_for(viewer).get("/api/v1/models/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "unavailable"
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_read_is_retried_once_on_a_connection_error(
    api_client_for, viewer, team, monkeypatch
):
    MLModelFactory(name="churn", team=team)
    inventory = failing_inventory(times=1)
    monkeypatch.setattr(selectors, "model_inventory", inventory)
    response = api_client_for(viewer).get("/api/v1/models/")
    assert response.status_code == 200, response.content
    assert [row["name"] for row in response.json()["results"]] == ["churn"]
    assert inventory.calls["count"] == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_is_never_repeated(api_client_for, data_scientist, team, monkeypatch):
    from registry import services

    calls = {"count": 0}

    def register_model(**kwargs):
        calls["count"] += 1
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "register_model", register_model)
    response = api_client_for(data_scientist).post(
        "/api/v1/models/",
        {"name": "x", "display_name": "X", "team": team.name, "risk_tier": "low"},
        format="json",
    )
    assert response.status_code == 503
    assert calls["count"] == 1


def test_outside_the_api_a_lost_database_is_a_503_page(client, admin_user, monkeypatch):
    from registry.admin import MLModelAdmin

    client.force_login(admin_user)

    def broken(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(MLModelAdmin, "get_queryset", broken)
    response = client.get("/admin/registry/mlmodel/")
    assert response.status_code == 503


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's"
)
def test_postgresql_statements_have_a_timeout(settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (value,) = cursor.fetchone()
    assert value == f"{settings.DATABASE_STATEMENT_TIMEOUT_MS}ms" or value == "20s"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's"
)
def test_a_statement_past_the_timeout_is_a_503(api_client_for, viewer, monkeypatch):
    real = selectors.model_inventory

    def slow_inventory(**filters):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(2)")
        return real(**filters)

    monkeypatch.setattr(selectors, "model_inventory", slow_inventory)
    response = api_client_for(viewer).get("/api/v1/models/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the connection pool is PostgreSQL's"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pool_recovers_when_postgresql_drops_every_connection(live_server, viewer):
    import urllib.error
    import urllib.request

    from mlgov.services import issue_token

    raw = issue_token(user=viewer, name="drill").raw

    def status() -> int:
        request = urllib.request.Request(f"{live_server.url}/api/v1/environments/")
        request.add_header("Authorization", f"Bearer {raw}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert [status() for _ in range(4)] == [200] * 4
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (terminated,) = cursor.fetchone()
    assert terminated >= 1
    assert [status() for _ in range(8)] == [200] * 8
