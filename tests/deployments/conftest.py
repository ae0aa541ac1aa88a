from datetime import timedelta

import pytest
from django.utils import timezone

from registry.models import Environment
from tests.factories import DeploymentFactory, MLModelFactory, ModelVersionFactory
from tests.mlgov.conftest import log_lines  # noqa: F401  (a shared fixture)


@pytest.fixture
def environments(db):
    return {environment.name: environment for environment in Environment.objects.all()}


@pytest.fixture
def churn(team):
    return MLModelFactory(name="churn", team=team, risk_tier="high")


@pytest.fixture
def approved(churn, data_scientist):
    """churn v7, approved, created and submitted by the team's data scientist."""
    return ModelVersionFactory(
        model=churn, version=7, status="approved", created_by=data_scientist
    )


@pytest.fixture
def soaked(approved, environments):
    """v7 has served in staging for 30 hours (production needs 24)."""
    return DeploymentFactory(
        version=approved,
        environment=environments["staging"],
        activated_at=timezone.now() - timedelta(hours=30),
    )


@pytest.fixture
def scientist_client(api_client_for, data_scientist):
    return api_client_for(data_scientist)


def request_body(**overrides):
    return {"model": "churn", "version": 7, "environment": "production", **overrides}


def checks_of(body):
    return {check["check"]: check for check in body["checks"]}
