"""Hot-path database reads: ORM queries compiled once per process.

On the hottest endpoints (one version by name and number, the deployment
gate) building a QuerySet and compiling its joins cost more CPU than
everything else in the view, PostgreSQL's work included, and the SQL never
changes between requests. `CompiledRows` keeps the query written with the
ORM, so it follows the models; only the compilation is reused.

On PostgreSQL the database then planned each of them again on every request,
which cost it more CPU than answering: with DATABASE_PREPARED_STATEMENTS
(the default) they run as prepared statements of the connection (psycopg's
protocol-level ones), planned once per connection. Django keeps prepared
statements off for every other query, as connection poolers in transaction
mode need; PgBouncer 1.21+ handles protocol-level ones with
`max_prepared_statements` set, otherwise turn the setting off.

A request that needs several of them at once asks `fetch_together`: on
PostgreSQL they go out in one round trip (psycopg's pipeline mode). Under
load a round trip is not only the network: each one puts the worker to sleep
until PostgreSQL's backend is scheduled, answers, and wakes it again, and on
a busy host every wake-up waits for a core."""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, connections
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


class CompiledRows:
    """A values() or values_list() query the ORM builds and compiles once per
    process (and database vendor), then runs with new parameters, its rows
    converted as the ORM converts them.

    `build(**params)` makes the query; `placeholders` are sample values,
    distinct from any constant of the query, that mark where each parameter
    goes. Placeholders must reach the SQL unchanged (integers and text do;
    datetimes do not on SQLite, which adapts them to text)."""

    def __init__(self, build: Callable[..., QuerySet], **placeholders: Any) -> None:
        self._build = build
        self._placeholders = placeholders
        self._compiled: dict[str, tuple] = {}

    def _compile(self) -> tuple:
        query = self._build(**self._placeholders).query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in self._placeholders.items()}
        slots = [(by_value.get(param), param) for param in params]
        if {name for name, _ in slots if name} != set(self._placeholders):
            raise AssertionError("a placeholder is not a parameter of the query")
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(fields).items())
        return sql, slots, names, converters

    def _compiled_query(self) -> tuple:
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiled = self._compiled[connection.vendor] = self._compile()
        return compiled

    def statement(self, **params: Any) -> tuple[str, list[Any]]:
        """The SQL and its parameters for these values."""
        sql, slots, _, _ = self._compiled_query()
        return sql, [params[n] if n else value for n, value in slots]

    def raw(self, **params: Any) -> list[tuple]:
        """The rows as the database driver returns them, unconverted (JSON
        as text, for instance): hashable, for callers that cache on them."""
        with _cursor() as cursor:
            cursor.execute(*self.statement(**params))
            return cursor.fetchall()

    def bound(self, **params: Any) -> "BoundRows":
        """This query with its parameters, to run with `fetch_together`."""
        return BoundRows(self, params)

    def convert(self, rows: Iterable[tuple]) -> list[tuple]:
        """Rows from `raw` converted as the ORM converts them."""
        converters = self._compiled_query()[3]
        if not converters:
            return list(rows)
        result = []
        for row in rows:
            values = list(row)
            for position, (functions, expression) in converters:
                value = values[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                values[position] = value
            result.append(tuple(values))
        return result

    def dicts(self, rows: Iterable[tuple]) -> list[dict[str, Any]]:
        """Rows from `raw` converted, as dicts by column name."""
        names = self._compiled_query()[2]
        return [dict(zip(names, row, strict=True)) for row in self.convert(rows)]

    def __call__(self, **params: Any) -> list[dict[str, Any]]:
        """The rows as dicts by column name."""
        return self.dicts(self.raw(**params))


@dataclass(frozen=True)
class BoundRows:
    """A compiled query and the values of its parameters."""

    query: CompiledRows
    params: dict[str, Any]


def fetch_together(*queries: BoundRows) -> list[list[tuple]]:
    """The raw rows (as `CompiledRows.raw` gives them) of each query, in
    order. On PostgreSQL all of them reach the server in one round trip, a
    pipeline; elsewhere they run one after the other. For reads that do not
    depend on each other: a failing query aborts the ones after it."""
    if connection.vendor != "postgresql" or len(queries) < 2:
        return [bound.query.raw(**bound.params) for bound in queries]
    statements = [bound.query.statement(**bound.params) for bound in queries]
    cursors = _server_binding_cursors(len(statements))
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, params)
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _prepares() -> bool:
    return bool(getattr(settings, "DATABASE_PREPARED_STATEMENTS", False))


def _cursor():
    """A cursor of the default connection, as `connection.cursor()` gives
    (queries logged when Django logs them, the same execute wrappers), that
    prepares its statements on PostgreSQL when DATABASE_PREPARED_STATEMENTS."""
    if connection.vendor != "postgresql" or not _prepares():
        return connection.cursor()
    return _server_binding_cursors(1)[0]


def _server_binding_cursors(count: int) -> list:
    """`count` server-binding cursors of the default PostgreSQL connection
    (the kind a pipeline takes), wrapped as `connection.cursor()` wraps its
    own; they prepare their statements when DATABASE_PREPARED_STATEMENTS."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor_class = _server_binding_cursor_class(_prepares())
    wrap = (
        connection.make_debug_cursor
        if connection.queries_logged
        else connection.make_cursor
    )
    with connection.wrap_database_errors:
        return [wrap(cursor_class(connection.connection)) for _ in range(count)]


@functools.cache
def _server_binding_cursor_class(prepare: bool) -> type:
    """Django's server-binding psycopg cursor, preparing every statement it
    runs or none, counted in the database metrics like the connection's own
    cursors."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class CompiledQueryCursor(ServerBindingCursor):
        def execute(self, query, params=None, **kwargs):
            # psycopg's Cursor.execute; the stubs type Django's alias loosely.
            return super().execute(  # type: ignore[misc]
                query, params, prepare=prepare, **kwargs
            )

    from django_prometheus.db.common import (
        DatabaseWrapperMixin,
        ExportingCursorWrapper,
    )

    if isinstance(connections[connection.alias], DatabaseWrapperMixin):
        return ExportingCursorWrapper(
            CompiledQueryCursor, connection.alias, "postgresql"
        )
    return CompiledQueryCursor


def instance_from_row(model: type[M], values: dict[str, Any]) -> M:
    """A model instance from some of its columns (by attname), as the ORM
    builds one from `.only()`: the others are deferred and load on access."""
    present = [f for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(
        connection.alias,
        [f.attname for f in present],
        [values[f.attname] for f in present],
    )
