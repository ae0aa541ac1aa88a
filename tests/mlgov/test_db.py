"""mlgov.db: hot-path queries compiled once, run as prepared statements on
PostgreSQL, with the rows the ORM would give."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mlgov.db import CompiledRows, instance_from_row
from registry.models import MLModel
from tests.factories import MLModelFactory

pytestmark = pytest.mark.django_db

_models_named = CompiledRows(
    lambda name: MLModel.objects.filter(name=name).values("id", "name", "created_at"),
    name="\x00placeholder\x00",
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
