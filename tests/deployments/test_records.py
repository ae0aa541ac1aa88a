"""Decision records and rollout steps are evidence: the database refuses to
change or delete them, whatever path a write takes."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from deployments.models import Deployment, DeploymentStep, GateDecision
from tests.factories import DeploymentFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def run_sql(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def deployment(approved, environments):
    deployment = DeploymentFactory(
        version=approved, environment=environments["staging"]
    )
    DeploymentStep.objects.create(
        deployment=deployment,
        action="complete",
        from_status="in_progress",
        to_status="active",
        traffic_percent=100,
        actor=approved.created_by,
    )
    return deployment


def test_sql_cannot_update_a_decision_record(deployment):
    with pytest.raises(DatabaseError):
        run_sql(
            "UPDATE deployments_gatedecision SET decision = 'blocked' WHERE id = %s",
            [deployment.gate_decision_id],
        )
    with pytest.raises(DatabaseError):
        run_sql("UPDATE deployments_gatedecision SET checks = '[]'")

    assert GateDecision.objects.get().decision == "approved"


def test_sql_cannot_delete_a_decision_record_or_a_step(deployment):
    with pytest.raises(DatabaseError):
        run_sql("DELETE FROM deployments_gatedecision")
    with pytest.raises(DatabaseError):
        run_sql("DELETE FROM deployments_deploymentstep")
    with pytest.raises(DatabaseError):
        run_sql("UPDATE deployments_deploymentstep SET reason = 'edited'")

    assert GateDecision.objects.count() == 1
    assert DeploymentStep.objects.get().reason == ""


def test_the_orm_cannot_edit_or_delete_records_either(deployment):
    record = deployment.gate_decision
    record.warnings = ["made up"]

    with pytest.raises(DatabaseError), transaction.atomic():
        record.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Deployment.objects.filter(pk=deployment.pk).delete()


def test_a_deployment_keeps_what_was_requested_and_decided(deployment, churn):
    other = ModelVersionFactory(model=churn, version=8, status="approved")

    with pytest.raises(DatabaseError):
        run_sql(
            "UPDATE deployments_deployment SET version_id = %s WHERE id = %s",
            [other.pk, deployment.pk],
        )
    with pytest.raises(DatabaseError):
        run_sql(
            "UPDATE deployments_deployment SET decision = 'blocked' WHERE id = %s",
            [deployment.pk],
        )


def test_the_database_refuses_a_move_outside_the_table(deployment, environments):
    blocked = DeploymentFactory(
        version=deployment.version,
        environment=environments["production"],
        status="blocked",
    )

    with pytest.raises(DatabaseError), transaction.atomic():
        Deployment.objects.filter(pk=blocked.pk).update(status="approved")
    with pytest.raises(DatabaseError), transaction.atomic():
        Deployment.objects.filter(pk=deployment.pk).update(status="in_progress")


def test_the_database_allows_one_active_primary_and_one_active_canary(
    deployment, churn, environments
):
    staging = environments["staging"]
    second = DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=8, status="approved"),
        environment=staging,
        status="in_progress",
    )
    canary = DeploymentFactory(
        version=ModelVersionFactory(model=churn, version=9, status="approved"),
        environment=staging,
        strategy="canary",
        traffic_percent=10,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Deployment.objects.filter(pk=second.pk).update(status="active")
    with pytest.raises(IntegrityError), transaction.atomic():
        DeploymentFactory(
            version=canary.version,
            environment=staging,
            strategy="canary",
            traffic_percent=20,
        )
    assert Deployment.objects.active().count() == 2
