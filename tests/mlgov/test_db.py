"""mlgov.db: hot-path queries compiled once, run as prepared statements on
PostgreSQL, several in one round trip, with the rows the ORM would give."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import IntegerField
from django.db.models.functions import Cast
from django.test.utils import CaptureQueriesContext

from mlgov.db import CompiledRows, fetch_together, instance_from_row
from registry.models import MLModel
from tests.factories import MLModelFactory

pytestmark = pytest.mark.django_db

_models_named = CompiledRows(
    lambda name: MLModel.objects.filter(name=name).values("id", "name", "created_at"),
    name="\x00placeholder\x00",
)


_models_of_team = CompiledRows(
    lambda team_id: (
        MLModel.objects.filter(team_id=team_id)
        .order_by("name")
        .values_list("name", flat=True)
    ),
    team_id=2_000_000_099,
)
# Fails in PostgreSQL, not in Python: a model name is not a number.
_name_as_number = CompiledRows(
    lambda name: MLModel.objects.filter(name=name).values_list(
        Cast("name", IntegerField()), flat=True
    ),
    name="\x00placeholder\x00",
)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pipelines are PostgreSQL's"
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_compiled_rows_are_the_orm_rows(team):
    MLModelFactory(name="churn", team=team)
    MLModelFactory(name="fraud", team=team)

    for name in ("churn", "fraud", "missing"):
        expected = list(
            MLModel.objects.filter(name=name).values("id", "name", "created_at")
        )
        assert _models_named(name=name) == expected


def test_compiled_rows_are_logged_like_every_query(team):
    MLModelFactory(name="churn", team=team)

    with CaptureQueriesContext(connection) as queries:
        _models_named(name="churn")

    assert len(queries) == 1


def test_an_instance_from_some_columns_defers_the_others(team):
    model = MLModelFactory(name="churn", team=team, description="Churn model")

    partial = instance_from_row(MLModel, {"id": model.pk, "name": "churn"})

    assert partial.get_deferred_fields() >= {"description", "team_id"}
    assert partial.description == "Churn model"  # loaded on access


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
def test_compiled_rows_run_prepared_on_postgresql(team, settings):
    MLModelFactory(name="churn", team=team)
    settings.DATABASE_PREPARED_STATEMENTS = True

    _models_named(name="churn")
    _models_named(name="churn")

    sql = _models_named._compiled_query()[0]
    prepared = [s for s in prepared_statements() if "registry_mlmodel" in s]
    assert prepared, sql
    assert _models_named(name="churn")[0]["name"] == "churn"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
def test_prepared_statements_can_be_turned_off(team, settings):
    MLModelFactory(name="churn", team=team)
    settings.DATABASE_PREPARED_STATEMENTS = False
    connection.connection.execute("DEALLOCATE ALL")

    _models_named(name="churn")

    assert prepared_statements() == []


@pytest.mark.parametrize("prepare", [True, False])
def test_queries_fetched_together_give_what_each_gives_alone(team, settings, prepare):
    settings.DATABASE_PREPARED_STATEMENTS = prepare
    MLModelFactory(name="churn", team=team)
    MLModelFactory(name="fraud", team=team)

    with CaptureQueriesContext(connection) as queries:
        churn, missing, names = fetch_together(
            _models_named.bound(name="churn"),
            _models_named.bound(name="missing"),
            _models_of_team.bound(team_id=team.pk),
        )

    assert _models_named.dicts(churn) == _models_named(name="churn")
    assert missing == []
    assert _models_of_team.convert(names) == [("churn",), ("fraud",)]
    assert len(queries) == 3  # each one logged, as the ORM's are


@postgresql_only
def test_queries_fetched_together_take_one_pipeline(team, monkeypatch):
    MLModelFactory(name="churn", team=team)
    connection.ensure_connection()
    pipelines = []
    pipeline = type(connection.connection).pipeline
    monkeypatch.setattr(
        type(connection.connection),
        "pipeline",
        lambda self: pipelines.append(1) or pipeline(self),
    )

    fetch_together(
        _models_named.bound(name="churn"), _models_of_team.bound(team_id=team.pk)
    )

    assert pipelines == [1]


@postgresql_only
def test_a_failing_query_fetched_together_raises_and_the_connection_goes_on(team):
    MLModelFactory(name="churn", team=team)

    with pytest.raises(DatabaseError), transaction.atomic():
        fetch_together(
            _models_named.bound(name="churn"), _name_as_number.bound(name="churn")
        )

    assert not connection.connection.pgconn.pipeline_status  # left pipeline mode
    assert _models_named(name="churn")[0]["name"] == "churn"
