"""registry.hot: each compiled query gives the rows of its ORM twin."""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from registry import hot
from registry.models import Environment, ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.twins import assert_same_instances

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(team, data_scientist, reviewer):
    model = MLModelFactory(name="churn", team=team)
    first = ModelVersionFactory(model=model, created_by=data_scientist)
    second = ModelVersionFactory(
        model=model,
        parent=first,
        created_by=data_scientist,
        submitted_by=reviewer,
        submitted_at=timezone.now(),
        metrics={"auc": 0.9},
        params={"depth": 3},
    )
    return first, second


def test_a_version_row_is_the_orm_row(versions):
    first, second = versions
    for number in (first.version, second.version, 99):
        params = {"name": "churn", "number": number}
        assert hot.version_row_query(**params) == (
            hot.version_row_query.orm_rows(**params)
        )
    row = hot.version_row(name="churn", number=second.version)
    assert (row.parent_number, row.metrics) == (first.version, {"auc": 0.9})
    assert hot.version_row(name="missing", number=1) is None


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_a_page_of_versions_is_the_orm_page(versions, limit):
    for name in ("churn", "missing"):
        assert hot.version_page(name=name, limit=limit) == (
            hot.version_page_query(limit).orm_rows(name=name)
        )
    first, second = versions
    numbers = [row.version for row in hot.version_page(name="churn", limit=limit)]
    assert numbers == [second.version, first.version][:limit]


def test_the_locked_model_is_the_orm_instance(versions):
    with transaction.atomic():
        for name in ("churn", "missing"):
            assert_same_instances(
                hot.model_lock_query(name=name),
                hot.model_lock_query.orm_rows(name=name),
            )


def test_the_latest_version_number_is_the_orm_one(versions, team):
    empty = MLModelFactory(team=team)
    for model_id in (versions[0].model_id, empty.pk):
        assert hot.latest_version_query(model_id=model_id) == (
            hot.latest_version_query.orm_rows(model_id=model_id)
        )
    assert hot.latest_version_number(model_id=versions[0].model_id) == (
        versions[1].version
    )
    assert hot.latest_version_number(model_id=empty.pk) == 0
    for name in ("churn", empty.name, "missing"):
        assert hot.latest_version_of_named_query(name=name) == (
            hot.latest_version_of_named_query.orm_rows(name=name)
        )


def test_the_locked_model_comes_with_its_latest_number(versions, team):
    empty = MLModelFactory(team=team)
    with transaction.atomic():
        model, latest, version_id = hot.model_locked_for_versions(name="churn")
        assert (model, latest) == (versions[0].model, versions[1].version)
        if connection.vendor == "postgresql":
            # Drawn from the versions' sequence, so no row has it yet.
            assert version_id > versions[1].pk
            assert not ModelVersion.objects.filter(pk=version_id).exists()
        else:
            assert version_id is None
        assert hot.model_locked_for_versions(name=empty.name)[:2] == (empty, 0)
        assert hot.model_locked_for_versions(name="missing") == (None, 0, None)


@pytest.mark.postgres
def test_the_latest_number_and_next_key_are_the_orm_ones(versions, team):
    if connection.vendor != "postgresql":
        pytest.skip("a sequence to draw keys from needs PostgreSQL")
    empty = MLModelFactory(team=team)
    for name in ("churn", empty.name, "missing"):
        compiled = hot.latest_and_next_id_query(name=name)
        orm = hot.latest_and_next_id_query.orm_rows(name=name)
        assert [row.latest for row in compiled] == [row.latest for row in orm]
        # Each draw takes the sequence's next value, never one twice.
        assert [row.next_id + 1 for row in compiled] == [row.next_id for row in orm]
    (row,) = hot.latest_and_next_id_query(name="churn")
    assert row.latest == versions[1].version
    assert hot.latest_and_next_id_query(name="missing") == []


def test_the_gates_version_and_environment_are_the_orm_instances(
    versions, governance_admin
):
    production = Environment.objects.get(name="production")
    production.frozen, production.frozen_by = True, governance_admin
    production.freeze_reason = "quarter end"
    production.save()
    for number in (versions[1].version, 99):
        params = {"name": "churn", "number": number}
        assert_same_instances(
            hot.version_with_model_query(**params),
            hot.version_with_model_query.orm_rows(**params),
        )
    for name in ("staging", "production", "missing"):
        assert_same_instances(
            hot.environment_query(name=name), hot.environment_query.orm_rows(name=name)
        )

    version, environment = hot.version_and_environment(
        name="churn", number=versions[1].version, environment="production"
    )
    assert version == versions[1] and version.model.name == "churn"
    assert environment.requires.name == "staging"
    assert environment.frozen_by.username == governance_admin.username
