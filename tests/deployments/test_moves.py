"""One table of moves: the services take each move's target from
DEPLOYMENT_TRANSITIONS, and the database's guard allows exactly the status
changes that table allows."""

import re

import pytest
from django.db import connection

from deployments.constants import CLIENT_ACTIONS, DEPLOYMENT_TRANSITIONS
from deployments.models import DeploymentStep
from deployments.services import (
    complete_deployment,
    fail_deployment,
    promote_deployment,
    rollback_deployment,
    start_deployment,
)
from tests.factories import DeploymentFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

_PAIR = re.compile(
    r"\(\s*OLD\.status\s*=\s*'(\w+)'\s+AND\s+NEW\.status\s*=\s*'(\w+)'\s*\)"
)


def table_status_changes() -> set[tuple[str, str]]:
    """(from, to) of every move in the table that changes the status (a
    promotion keeps it: the guard only looks at changes)."""
    return {
        (old, new)
        for old, moves in DEPLOYMENT_TRANSITIONS.items()
        for new in moves.values()
        if old != new
    }


def installed_guard_sql() -> str:
    """The status guard as the database holds it now, from its catalog."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_get_functiondef('deployments_deployment_guard'::regproc)"
            )
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                "AND name = 'deployments_deployment_moves'"
            )
        (sql,) = cursor.fetchone()
    return sql


def test_the_database_guard_allows_exactly_the_tables_status_changes():
    installed = set(_PAIR.findall(installed_guard_sql()))

    assert installed, "no (OLD.status, NEW.status) pair found in the guard"
    assert installed == table_status_changes()


def test_the_guard_migration_lists_the_tables_status_changes():
    from importlib import import_module

    migration = import_module("deployments.migrations.0002_immutable_records")

    assert set(migration.MOVES) == table_status_changes()


@pytest.fixture
def production(environments):
    return environments["production"]


@pytest.fixture
def primary(churn, production):
    return DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=6, status="approved"),
        environment=production,
    )


def test_every_client_move_lands_where_the_table_says_and_records_it(
    data_scientist, approved, churn, production, primary
):
    full = DeploymentFactory(
        version=approved, environment=production, status="approved"
    )
    canary = DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=9, status="approved"),
        environment=production,
        strategy="canary",
        traffic_percent=10,
        status="approved",
    )
    failing = DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=10, status="approved"),
        environment=production,
        status="in_progress",
    )
    moves = [
        (fail_deployment, failing, {}),
        (start_deployment, full, {}),
        (complete_deployment, full, {}),
        (rollback_deployment, full, {}),
        (start_deployment, canary, {}),
        (complete_deployment, canary, {}),
        (promote_deployment, canary, {"traffic_percent": 50}),
    ]
    seen = set()
    for service, deployment, extra in moves:
        before = type(deployment).objects.get(pk=deployment.pk).status
        moved = service(
            actor=data_scientist, deployment=deployment, reason="r", **extra
        )
        step = DeploymentStep.objects.filter(deployment=deployment).last()
        action = step.action
        seen.add(action)
        assert (step.from_status, step.to_status) == (
            before,
            DEPLOYMENT_TRANSITIONS[before][action],
        )
        assert moved.status == DEPLOYMENT_TRANSITIONS[before][action]
        assert (step.actor, step.reason) == (data_scientist, "r")

    assert seen == set(CLIENT_ACTIONS)
