"""The pool's check of a connection it hands out: no round trip for a healthy
idle connection, and a connection the server ended is refused."""

import select
import time

import psycopg
import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

from mlgov.postgresql.base import check_pooled_connection

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the pool is PostgreSQL's"
    ),
    pytest.mark.django_db,
]


@pytest.fixture
def pooled():
    """A connection from a pool of its own, returned and closed afterwards."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    pool = ConnectionPool(kwargs={**params, "autocommit": True}, min_size=1, open=True)
    try:
        with pool.connection() as conn:
            yield conn
    finally:
        pool.close()


def test_the_pool_of_the_app_uses_the_cheap_check():
    assert connection.pool._check is check_pooled_connection


def test_a_healthy_idle_connection_passes_without_a_round_trip(pooled, monkeypatch):
    pings = []
    monkeypatch.setattr(
        "mlgov.postgresql.base.ConnectionPool.check_connection",
        staticmethod(pings.append),
    )

    check_pooled_connection(pooled)

    assert pings == []
    assert pooled.execute("SELECT 1").fetchone() == (1,)


def test_a_connection_whose_backend_was_terminated_is_refused(pooled):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pooled.info.backend_pid])
    deadline = time.monotonic() + 5
    while not select.select([pooled.fileno()], [], [], 0.1)[0]:
        assert time.monotonic() < deadline, "the server's goodbye never came"

    with pytest.raises(psycopg.OperationalError):
        check_pooled_connection(pooled)


def test_a_closed_connection_is_refused(pooled):
    pooled.close()

    with pytest.raises(psycopg.OperationalError):
        check_pooled_connection(pooled)


def test_every_checkout_uses_one_instrumented_cursor_class():
    from tests.mlgov.conftest import metric

    first = connection.get_connection_params()["cursor_factory"]
    executed = {"alias": "default", "vendor": "postgresql"}
    before = metric("django_db_execute_total", **executed)

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")

    assert connection.get_connection_params()["cursor_factory"] is first
    assert metric("django_db_execute_total", **executed) == before + 1
