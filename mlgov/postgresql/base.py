"""mlgov's PostgreSQL backend: django-prometheus's instrumented one, with a
connection pool check that costs no round trip."""

import select

from django_prometheus.db.backends.postgresql.base import (
    DatabaseWrapper as InstrumentedDatabaseWrapper,
)
from psycopg import Connection, OperationalError
from psycopg_pool import ConnectionPool


def check_pooled_connection(connection: Connection) -> None:
    """The pool's check of a connection it is about to hand out: raise when
    it cannot serve, and the pool replaces it.

    psycopg_pool's own check sends an empty query: a round trip to
    PostgreSQL on every request, as much as the query of a small read. An
    idle connection has nothing to read unless the server wrote to it, and a
    server that ends a session (terminated backend, restart, idle timeout)
    writes its reason and closes the socket. So a zero-timeout poll tells the
    cases apart: nothing readable, the connection is as it was left; anything
    readable, the full check decides. What a poll cannot see (a peer gone
    silent) is left to the statement's own error: a read is then retried on a
    fresh connection (mlgov.middleware.DatabaseRetryMiddleware)."""
    if connection.closed or connection.broken:
        raise OperationalError("the pooled connection is closed")
    readable, _, _ = select.select([connection.fileno()], [], [], 0)
    if readable:
        ConnectionPool.check_connection(connection)


class DatabaseWrapper(InstrumentedDatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # Django hands psycopg_pool its full check when CONN_HEALTH_CHECKS is
        # on, and takes no check of the caller's; should psycopg_pool rename
        # the attribute, the full check stays (a test holds it).
        if pool is not None and self.settings_dict["CONN_HEALTH_CHECKS"]:
            pool._check = check_pooled_connection
        return pool
