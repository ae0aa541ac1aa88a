"""deployments.hot: the gate's compiled deployments query gives the rows of
its ORM twin, with and without a required environment."""

import pytest

from deployments import hot
from registry.models import Environment
from tests.factories import DeploymentFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(team, data_scientist):
    staging = Environment.objects.get(name="staging")
    production = Environment.objects.get(name="production")
    version = ModelVersionFactory(
        model__team=team, created_by=data_scientist, status="approved"
    )
    newer = ModelVersionFactory(
        model=version.model, created_by=data_scientist, status="approved"
    )
    served = DeploymentFactory(version=version, environment=staging, status="active")
    rolling = DeploymentFactory(
        version=newer, environment=production, status="in_progress"
    )
    return version, staging, production, served, rolling


def test_the_rollouts_are_the_orm_rows(scene):
    version, _, production, _, rolling = scene
    params = {"model_id": version.model_id, "environment_id": production.pk}

    rows = hot.rollout_query(**params)

    assert rows == hot.rollout_query.orm_rows(**params)
    assert [(row.id, row.version_number) for row in rows] == [
        (rolling.pk, rolling.version.version)
    ]


def test_the_rollouts_and_service_are_the_orm_rows(scene):
    version, staging, production, served, rolling = scene
    params = {
        "model_id": version.model_id,
        "environment_id": production.pk,
        "required_id": staging.pk,
        "version_id": version.pk,
    }

    rows = hot.rollout_and_service_query(**params)

    assert rows == hot.rollout_and_service_query.orm_rows(**params)
    assert [row.id for row in rows] == sorted([served.pk, rolling.pk])
    assert hot.rollout_and_service_query(**{**params, "model_id": 0}) == []
