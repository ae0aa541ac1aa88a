"""mlgov.db: hot-path queries compiled once, run as prepared statements on
PostgreSQL, several in one round trip, with the rows the ORM would give."""

from datetime import datetime
from typing import NamedTuple

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import IntegerField
from django.db.models.functions import Cast
from django.test.utils import CaptureQueriesContext

from mlgov.db import CompiledInstances, CompiledRows, fetch_together
from registry.models import MLModel
from tests.factories import MLModelFactory

pytestmark = pytest.mark.django_db


class ModelRow(NamedTuple):
    id: int
    name: str
    created_at: datetime


class Name(NamedTuple):
    name: str


class NameAsNumber(NamedTuple):
    as_number: int


_models_named = CompiledRows(
    lambda name: MLModel.objects.filter(name=name).values("id", "name", "created_at"),
    ModelRow,
    name=str,
)
_models_of_team = CompiledRows(
    lambda team_id: (
        MLModel.objects.filter(team_id=team_id)
        .order_by("name")
        .values_list("name", flat=True)
    ),
    Name,
    team_id=int,
)
# Fails in PostgreSQL, not in Python: a model name is not a number.
_name_as_number = CompiledRows(
    lambda name: MLModel.objects.filter(name=name).values(
        as_number=Cast("name", IntegerField())
    ),
    NameAsNumber,
    name=str,
)
_model_named = CompiledInstances(
    lambda name: MLModel.objects.select_related("team").filter(name=name), name=str
)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pipelines are PostgreSQL's"
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_compiled_rows_are_the_orm_rows_named(team):
    MLModelFactory(name="churn", team=team)
    MLModelFactory(name="fraud", team=team)

    for name in ("churn", "fraud", "missing"):
        expected = [
            ModelRow(**row)
            for row in MLModel.objects.filter(name=name).values(
                "id", "name", "created_at"
            )
        ]
        assert _models_named(name=name) == expected
        assert _models_named.orm_rows(name=name) == expected
    assert _models_named(name="churn")[0].name == "churn"


def test_compiled_rows_are_logged_like_every_query(team):
    MLModelFactory(name="churn", team=team)

    with CaptureQueriesContext(connection) as queries:
        _models_named(name="churn")

    assert len(queries) == 1


def test_the_parameters_take_the_place_of_the_values_they_stand_for(team):
    """A constant of the query equal to a sample value stays a constant: the
    places of the parameters are where the two compilations differ."""
    MLModelFactory(name="churn", team=team)
    MLModelFactory(name="fraud", team=team)
    # 1000 is the first sample of the first int parameter (mlgov.db._samples).
    sample = CompiledRows(
        lambda team_id, name: (
            MLModel.objects.exclude(pk=1000)
            .filter(team_id=team_id, name=name)
            .values_list("name", flat=True)
        ),
        Name,
        team_id=int,
        name=str,
    )

    assert sample(team_id=team.pk, name="churn") == [Name("churn")]
    assert sample(team_id=team.pk, name="fraud") == [Name("fraud")]
    assert sample(team_id=team.pk + 1, name="fraud") == []


def test_a_parameter_that_does_not_reach_the_sql_unchanged_is_refused(team):
    contains = CompiledRows(
        lambda name: MLModel.objects.filter(name__contains=name).values("name"),
        Name,
        name=str,
    )

    with pytest.raises(AssertionError, match="changed"):
        contains(name="churn")


def test_a_row_class_that_is_not_the_query_columns_is_refused(team):
    wrong = CompiledRows(
        lambda name: MLModel.objects.filter(name=name).values("id", "name"),
        Name,
        name=str,
    )

    with pytest.raises(AssertionError, match="fields"):
        wrong(name="churn")


def test_compiled_instances_are_whole_as_the_orm_builds_them(team):
    model = MLModelFactory(name="churn", team=team, description="Churn model")

    (found,) = _model_named(name="churn")
    (expected,) = _model_named.orm_rows(name="churn")

    assert found.get_deferred_fields() == set()
    assert [getattr(found, f.attname) for f in MLModel._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in MLModel._meta.concrete_fields
    ]
    assert found.pk == model.pk
    assert found.team.name == team.name  # loaded with it
    assert _model_named(name="missing") == []


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
def test_compiled_rows_run_prepared_on_postgresql(team, settings):
    MLModelFactory(name="churn", team=team)
    settings.DATABASE_PREPARED_STATEMENTS = True

    _models_named(name="churn")
    _models_named(name="churn")

    sql = _models_named.statement(name="churn")[0]
    prepared = [s for s in prepared_statements() if "registry_mlmodel" in s]
    assert prepared, sql
    assert _models_named(name="churn")[0].name == "churn"


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

    assert _models_named.results(churn) == _models_named(name="churn")
    assert missing == []
    assert _models_of_team.results(names) == [Name("churn"), Name("fraud")]
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
    assert _models_named(name="churn")[0].name == "churn"
