"""Hot-path database reads: ORM queries compiled once per process.

On the hottest endpoints (one version by name and number, the deployment
gate, a version's creation) building a QuerySet and compiling its joins cost
more CPU than everything else in the view, PostgreSQL's work included, and
the SQL never changes between requests. `CompiledRows` and
`CompiledInstances` keep the query written with the ORM, so it follows the
models; only the compilation is reused. Domain code does not use them
directly: each app keeps its compiled queries in one module, `hot.py`, beside
the selectors whose QuerySets they compile, and tests each against its ORM
twin (`orm_rows`).

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
from typing import Any, Generic, NamedTuple, TypeVar

from django.conf import settings
from django.db import connection, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery
from django.db.models.sql.compiler import SQLInsertCompiler

M = TypeVar("M", bound=Model)
R = TypeVar("R", bound=tuple)
T = TypeVar("T")

# The kinds of value a parameter may take: both reach the SQL unchanged on
# every database (a datetime does not on SQLite, which adapts it to text).
PARAMETER_KINDS = (int, str)


def _samples(kinds: dict[str, type], round_: int) -> dict[str, Any]:
    """Values for each parameter, distinct from one another and from the
    values of any other round: where the query puts each one is found by
    compiling it twice (see `_Compiled._compile`)."""
    samples: dict[str, Any] = {}
    for index, (name, kind) in enumerate(kinds.items()):
        if kind is int:
            # Small, so that they fit every integer column (Django refuses a
            # lookup outside a column's range); 1 and 0 avoided, equal to
            # True and False.
            samples[name] = 1_000 + 2 * index + round_
        else:
            samples[name] = f"mlgov.db parameter {name} {round_}"
    return samples


class _Plan(NamedTuple):
    sql: str
    # For each parameter of the SQL: the name of the caller's parameter that
    # goes there and the type the ORM wraps it in (or None), or None and the
    # query's own constant.
    slots: list[tuple[str | None, Any]]
    converters: list[tuple[int, tuple[list, Any]]]
    # What turns a converted row into a result (see `_results_plan`).
    shape: Any


class _Compiled(Generic[T]):
    """A query the ORM builds and compiles once per process (and database
    vendor), run with new parameters.

    `build(**params)` makes the QuerySet; `kinds` gives each parameter's type
    (int or str). The positions of the parameters in the SQL are found by
    compiling the query twice, with two sets of distinct sample values: a
    position whose value follows the samples is the parameter's, one whose
    value stays is the query's own constant, whatever its value. A parameter
    that reaches the SQL changed (`icontains` wraps it in %), or that changes
    the SQL itself (None, a slice), fails at the first compilation."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: type) -> None:
        for name, kind in kinds.items():
            if kind not in PARAMETER_KINDS:
                raise TypeError(f"parameter {name}: int or str, not {kind!r}")
        self._build = build
        self._kinds = kinds
        self._plans: dict[str, _Plan] = {}

    def _compile(self) -> _Plan:
        first, second = _samples(self._kinds, 0), _samples(self._kinds, 1)
        compiler = self._build(**first).query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        other = self._build(**second).query.get_compiler(connection=connection)
        other_sql, other_params = other.as_sql()
        if sql != other_sql or len(params) != len(other_params):
            raise AssertionError("the query's SQL depends on its parameters' values")
        slots: list[tuple[str | None, Any]] = []
        for value, changed in zip(params, other_params, strict=True):
            names = [
                name
                for name in self._kinds
                if isinstance(value, self._kinds[name])
                and value == first[name]
                and changed == second[name]
            ]
            if names:
                # The ORM's own adaptation kept (on PostgreSQL an integer is
                # sent typed, Int4 or Int8, as its column is).
                wrap = None if type(value) in PARAMETER_KINDS else type(value)
                slots.append((names[0], wrap))
            elif value == changed:
                slots.append((None, value))
            else:
                raise AssertionError(f"a parameter reaches the SQL changed: {value!r}")
        if {name for name, _ in slots if name} != set(self._kinds):
            raise AssertionError("a parameter is not a parameter of the query")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(fields).items())
        return _Plan(sql, slots, converters, self._results_plan(compiler))

    def _results_plan(self, compiler: Any) -> Any:
        """What turning converted rows into results needs, from the compiler
        of the query (its select list filled in by `as_sql`)."""
        raise NotImplementedError

    def _plan(self) -> _Plan:
        plan = self._plans.get(connection.vendor)
        if plan is None:
            plan = self._plans[connection.vendor] = self._compile()
        return plan

    def statement(self, **params: Any) -> tuple[str, list[Any]]:
        """The SQL and its parameters for these values."""
        plan = self._plan()
        return plan.sql, [
            (value(params[name]) if value else params[name]) if name else value
            for name, value in plan.slots
        ]

    def raw(self, **params: Any) -> list[tuple]:
        """The rows as the database driver returns them, unconverted (JSON
        as text, for instance): hashable, for callers that cache on them."""
        with _cursor() as cursor:
            cursor.execute(*self.statement(**params))
            return cursor.fetchall()

    def bound(self, **params: Any) -> "BoundRows[T]":
        """This query with its parameters, to run with `fetch_together`."""
        return BoundRows(self, params)

    def results(self, rows: Iterable[tuple]) -> list[T]:
        """Rows from `raw` (or `fetch_together`) as this query's results."""
        plan = self._plan()
        return self._make(plan.shape, self._converted(plan.converters, rows))

    def __call__(self, **params: Any) -> list[T]:
        """The query's results for these values."""
        return self.results(self.raw(**params))

    def orm_rows(self, **params: Any) -> list[T]:
        """The same results through the ORM, uncompiled: the twin that the
        tests compare with."""
        raise NotImplementedError

    @staticmethod
    def _converted(converters: list, rows: Iterable[tuple]) -> list[list[Any]]:
        if not converters:
            return [list(row) for row in rows]
        result = []
        for row in rows:
            values = list(row)
            for position, (functions, expression) in converters:
                value = values[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                values[position] = value
            result.append(values)
        return result

    def _make(self, shape: Any, rows: list[list[Any]]) -> list[T]:
        raise NotImplementedError


class CompiledRows(_Compiled[R]):
    """A values() or values_list() query, compiled once, whose rows come back
    as `row`: a NamedTuple whose fields are the query's columns by name (in
    any order), so no caller unpacks columns by position."""

    def __init__(
        self, build: Callable[..., QuerySet], row: type[R], **kinds: type
    ) -> None:
        super().__init__(build, **kinds)
        self._row = row

    def _results_plan(self, compiler: Any) -> Any:
        query = compiler.query
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        fields = list(self._row._fields)  # type: ignore[attr-defined]
        if sorted(names) != sorted(fields):
            raise AssertionError(
                f"{self._row.__name__} has fields {fields}; the query gives {names}"
            )
        order = [names.index(field) for field in fields]
        return names, (None if order == list(range(len(order))) else order)

    def _make(self, shape: Any, rows: list[list[Any]]) -> list[R]:
        make = self._row._make  # type: ignore[attr-defined]
        _, order = shape
        if order is None:
            return [make(values) for values in rows]
        return [make([values[i] for i in order]) for values in rows]

    def orm_rows(self, **params: Any) -> list[R]:
        names, _ = self._plan().shape
        rows = []
        for item in self._build(**params):
            if isinstance(item, dict):
                values = [item[name] for name in names]
            elif isinstance(item, tuple):
                values = list(item)
            else:  # values_list(flat=True)
                values = [item]
            rows.append(values)
        return self._make(self._plan().shape, rows)


class CompiledInstances(_Compiled[M]):
    """A query of model instances (select_related ones included), compiled
    once, whose instances are built as the ORM builds them: every column
    loaded, none deferred."""

    def _results_plan(self, compiler: Any) -> Any:
        if compiler.annotation_col_map or compiler.query.deferred_loading[0]:
            raise AssertionError("only whole instances: no annotations, no only()")
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        # Django 5.2's signature; the stubs follow a later one.
        populators = get_related_populators(  # type: ignore[call-arg]
            klass_info, select, connection.alias
        )
        return klass_info["model"], start, end, init_list, populators

    def _make(self, shape: Any, rows: list[list[Any]]) -> list[M]:
        model, start, end, init_list, populators = shape
        instances = []
        for row in rows:
            instance = model.from_db(connection.alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            instances.append(instance)
        return instances

    def orm_rows(self, **params: Any) -> list[M]:
        return list(self._build(**params))


@dataclass(frozen=True)
class BoundRows(Generic[T]):
    """A compiled query and the values of its parameters."""

    query: _Compiled[T]
    params: dict[str, Any]


def fetch_together(*queries: BoundRows) -> list[list[tuple]]:
    """The raw rows (as `raw` gives them) of each query, in order; each
    query's `results` turns its own into results. On PostgreSQL all of them
    reach the server in one round trip, a pipeline; elsewhere they run one
    after the other. For reads that do not depend on each other: a failing
    query aborts the ones after it."""
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


class CompiledInsert(Generic[M]):
    """The INSERT of new rows of `model`, compiled once per process, vendor
    and number of rows by the ORM's insert compiler: every local concrete
    column (the primary key too when `with_pk`, for rows whose key was drawn
    before), VALUES rows, nothing returned (the generic compiler, not
    PostgreSQL's, which sends several rows as UNNEST arrays and asks for
    their keys back). Each value is prepared as Model.save prepares it (the
    field's pre_save, which sets auto_now and the like on the instance, then
    get_db_prep_save); the first compilation checks that the compiler's own
    parameters are these, in this order. No signal is sent."""

    def __init__(self, model: type[M], *, with_pk: bool) -> None:
        self.model = model
        self.fields = [
            field
            for field in model._meta.local_concrete_fields
            if with_pk or not field.primary_key
        ]
        self._sql: dict[tuple[str, int], str] = {}

    def statement(self, instances: list[M]) -> tuple[str, list[Any]]:
        """The SQL and parameters inserting `instances`, in order."""
        db = connections[connection.alias]  # not the proxy, for every field
        params = [
            field.get_db_prep_save(field.pre_save(instance, True), db)
            for instance in instances
            for field in self.fields
        ]
        key = (connection.vendor, len(instances))
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = self._compiled(instances, params)
        return sql, params

    def _compiled(self, instances: list[M], params: list[Any]) -> str:
        query = InsertQuery(self.model)
        # raw: the values as they are now, pre_save already applied.
        query.insert_values(self.fields, list[Model](instances), raw=True)
        compiler = SQLInsertCompiler(query, connection, connection.alias)
        ((sql, compiled),) = compiler.as_sql()

        def comparable(values: Iterable[Any]) -> list[tuple[type, Any]]:
            return [(type(value), getattr(value, "obj", value)) for value in values]

        if comparable(compiled) != comparable(params):
            name = self.model.__name__
            raise AssertionError(f"the insert of {name} takes other parameters")
        return sql


def write_together(*statements: tuple[str, list[Any]]) -> None:
    """Run writing statements (SQL and parameters) in order, in the current
    transaction: on PostgreSQL in one round trip (a pipeline), each one
    prepared when DATABASE_PREPARED_STATEMENTS; elsewhere one after the
    other. A failing statement raises, as its own execute would, and
    aborts the ones after it."""
    with _cursor() as cursor:
        if connection.vendor != "postgresql" or len(statements) < 2:
            for sql, params in statements:
                cursor.execute(sql, params)
            return
        # One cursor for all: no statement's rows are read back.
        with connection.wrap_database_errors, connection.connection.pipeline():
            for sql, params in statements:
                cursor.execute(sql, params)


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
