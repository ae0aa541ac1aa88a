"""Concurrent rollouts on PostgreSQL: real threads, real row locks."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from deployments.models import Deployment
from registry.models import Environment
from tests.factories import DeploymentFactory, MLModelFactory, ModelVersionFactory


def _skip_unless_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL")


def _complete_at_once(api_client_for, user, deployments):
    barrier = threading.Barrier(len(deployments))
    statuses: dict[int, tuple[int, dict]] = {}
    clients = [api_client_for(user) for _ in deployments]

    def complete(client, deployment) -> None:
        try:
            barrier.wait()
            response = client.post(f"/api/v1/deployments/{deployment.pk}/complete/")
            statuses[deployment.pk] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [
        threading.Thread(target=complete, args=pair)
        for pair in zip(clients, deployments, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("with_primary", [True, False])
def test_two_completions_at_once_leave_one_active_primary(
    api_client_for, data_scientist, team, with_primary
):
    _skip_unless_postgresql()
    production = Environment.objects.get(name="production")
    model = MLModelFactory(name="churn", team=team)
    primary = None
    if with_primary:
        primary = DeploymentFactory(
            version=ModelVersionFactory(model=model, version=1, status="approved"),
            environment=production,
        )
    # Both started against the same primary (start records it).
    racers = [
        DeploymentFactory(
            version=ModelVersionFactory(model=model, version=n, status="approved"),
            environment=production,
            status="in_progress",
            supersedes=primary,
        )
        for n in (2, 3)
    ]

    results = _complete_at_once(api_client_for, data_scientist, racers)

    codes = sorted(code for code, _ in results.values())
    assert codes == [200, 409]
    loser = next(body for code, body in results.values() if code == 409)
    assert loser["error"]["code"] == "concurrent_rollout"
    active = Deployment.objects.active().filter(model=model, traffic_percent=100)
    assert active.count() == 1
    winner = active.get()
    assert winner.pk in {d.pk for d in racers}
    loser_row = Deployment.objects.get(
        pk=next(d.pk for d in racers if d.pk != winner.pk)
    )
    assert loser_row.status == "in_progress"
    assert not loser_row.steps.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_constraint_holds_when_the_service_is_bypassed(team):
    _skip_unless_postgresql()
    production = Environment.objects.get(name="production")
    model = MLModelFactory(name="churn", team=team)
    DeploymentFactory(
        version=ModelVersionFactory(model=model, version=1, status="approved"),
        environment=production,
    )
    second = DeploymentFactory(
        version=ModelVersionFactory(model=model, version=2, status="approved"),
        environment=production,
        status="in_progress",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Deployment.objects.filter(pk=second.pk).update(status="active")
