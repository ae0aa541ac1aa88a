"""The deployment gate's compiled query (mlgov.db): a model's rollouts in
progress in the target environment and, when that environment requires
another, every period the version served there. The gate runs it on every
check, in one round trip with governance's evidence (governance.hot);
tests/deployments/test_hot.py holds it to its ORM twin."""

from datetime import datetime
from typing import NamedTuple

from django.db.models import F, Q, QuerySet

from deployments.models import Deployment
from mlgov.db import CompiledRows

_SERVED_STATUSES = [Deployment.Status.ACTIVE, Deployment.Status.SUPERSEDED]


class DeploymentRow(NamedTuple):
    """What the gate reads of a deployment."""

    id: int
    environment_id: int
    status: str
    version_number: int
    activated_at: datetime | None
    ended_at: datetime | None


def _rows(deployments: QuerySet[Deployment]) -> QuerySet:
    return deployments.order_by("pk").values(
        "id",
        "environment_id",
        "status",
        "activated_at",
        "ended_at",
        version_number=F("version__version"),
    )


def rollouts(model_id: int, environment_id: int) -> QuerySet:
    """The model's rollouts in progress in the target environment."""
    return _rows(
        Deployment.objects.filter(
            model_id=model_id,
            environment_id=environment_id,
            status=Deployment.Status.IN_PROGRESS,
        )
    )


def rollouts_and_service(
    model_id: int, environment_id: int, required_id: int, version_id: int
) -> QuerySet:
    """The model's rollouts in progress in the target environment, and every
    period the version served in the required one."""
    return _rows(
        Deployment.objects.filter(model_id=model_id).filter(
            Q(environment_id=environment_id, status=Deployment.Status.IN_PROGRESS)
            | Q(
                environment_id=required_id,
                version_id=version_id,
                status__in=_SERVED_STATUSES,
                activated_at__isnull=False,
            )
        )
    )


# One of the two, with or without a required environment, on every check.
rollout_query = CompiledRows(rollouts, DeploymentRow, model_id=int, environment_id=int)
rollout_and_service_query = CompiledRows(
    rollouts_and_service,
    DeploymentRow,
    model_id=int,
    environment_id=int,
    required_id=int,
    version_id=int,
)
