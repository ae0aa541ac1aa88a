"""mlgov's PostgreSQL backend: django-prometheus's instrumented one, with a
connection pool check that costs no round trip."""

import functools
import select

from django.db.backends.postgresql.base import (
    DatabaseWrapper as DjangoDatabaseWrapper,
)
from django_prometheus.db.backends.postgresql.base import (
    DatabaseWrapper as InstrumentedDatabaseWrapper,
)
from django_prometheus.db.common import ExportingCursorWrapper
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


@functools.cache
def instrumented_cursor_class(cursor_class: type, alias: str, vendor: str) -> type:
    """django-prometheus's cursor class counting queries of `alias`."""
    return ExportingCursorWrapper(cursor_class, alias, vendor)


class DatabaseWrapper(InstrumentedDatabaseWrapper):
    def get_connection_params(self):
        # Django's, with django-prometheus's instrumented cursor class made
        # once: its own version builds the class on every call, and Django's
        # connect() calls it at every checkout from the pool, where the class
        # building was a fifth of a checkout's CPU.
        params = DjangoDatabaseWrapper.get_connection_params(self)
        params["cursor_factory"] = instrumented_cursor_class(
            params["cursor_factory"], self.alias, self.vendor
        )
        return params

    @property
    def pool(self):
        pool = super().pool
        # Django hands psycopg_pool its full check when CONN_HEALTH_CHECKS is
        # on, and takes no check of the caller's; should psycopg_pool rename
        # the attribute, the full check stays (a test holds it).
        if pool is not None and self.settings_dict["CONN_HEALTH_CHECKS"]:
            pool._check = check_pooled_connection
        return pool
