"""Every state change of deployments: gate decisions and rollout moves."""

from dataclasses import dataclass
from datetime import datetime

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from deployments import selectors
from deployments.constants import CLIENT_ACTIONS, DEPLOYMENT_TRANSITIONS
from deployments.exceptions import (
    ConcurrentRolloutError,
    InvalidDeploymentMoveError,
    NotACanaryError,
    NothingToRollBackError,
)
from deployments.gates import GateResult, run_gate
from deployments.models import (
    Deployment,
    DeploymentStep,
    GateDecision,
    Strategy,
)
from mlgov.audit import record_bulk_changes, record_creations
from mlgov.events import announce
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_write_model
from registry.models import Environment, ModelVersion

FULL_TRAFFIC = 100


@dataclass(frozen=True)
class GateCheck:
    """The gate's answer to one request, with the evidence it counted."""

    version: ModelVersion
    environment: Environment
    strategy: str
    traffic_percent: int
    result: GateResult
    approval_ids: list[int]
    waiver_ids: list[int]
    requested_by: AbstractBaseUser
    requested_at: datetime

    def unsaved_deployment(
        self, *, client_ip: str | None = None, request_id: str = ""
    ) -> Deployment:
        """The deployment this answer records, with its decision record,
        neither saved: what a request writes and a dry run answers."""
        result = self.result
        record = GateDecision(
            version=self.version,
            environment=self.environment,
            strategy=self.strategy,
            traffic_percent=self.traffic_percent,
            decision=result.decision,
            checks=[item.as_dict() for item in result.checks],
            warnings=list(result.warnings),
            evaluation=result.verdict.as_dict(),
            approval_ids=self.approval_ids,
            waiver_ids=self.waiver_ids,
            requested_by=self.requested_by,
            requested_at=self.requested_at,
            client_ip=client_ip,
            request_id=request_id,
        )
        return Deployment(
            gate_decision=record,
            model=self.version.model,
            version=self.version,
            environment=self.environment,
            strategy=self.strategy,
            traffic_percent=self.traffic_percent,
            decision=result.decision,
            status=(
                Deployment.Status.APPROVED
                if result.is_approved
                else Deployment.Status.BLOCKED
            ),
            requested_by=self.requested_by,
            requested_at=self.requested_at,
        )


def _traffic_for(strategy: str, traffic_percent: int | None) -> int:
    if strategy == Strategy.FULL:
        if traffic_percent is not None:
            raise FieldError(
                "traffic_percent", "A full deployment takes all traffic; omit it."
            )
        return FULL_TRAFFIC
    if traffic_percent is None:
        raise FieldError("traffic_percent", "A canary needs a share from 1 to 99.")
    if not 1 <= traffic_percent <= 99:
        raise FieldError("traffic_percent", "A canary's share is from 1 to 99.")
    return traffic_percent


def check_deployment(
    *,
    actor: AbstractBaseUser,
    version: ModelVersion,
    environment: Environment,
    strategy: str = Strategy.FULL,
    traffic_percent: int | None = None,
    now: datetime | None = None,
) -> GateCheck:
    """Run the gate for a prospective deployment; writes nothing."""
    now = now or timezone.now()
    traffic = _traffic_for(strategy, traffic_percent)
    inputs = selectors.gate_inputs(version=version, environment=environment, now=now)
    return GateCheck(
        version=version,
        environment=environment,
        strategy=strategy,
        traffic_percent=traffic,
        result=run_gate(inputs.facts, now=now),
        approval_ids=inputs.approval_ids,
        waiver_ids=inputs.waiver_ids,
        requested_by=actor,
        requested_at=now,
    )


@transaction.atomic
def request_deployment(
    *,
    actor: AbstractBaseUser,
    version: ModelVersion,
    environment: Environment,
    strategy: str = Strategy.FULL,
    traffic_percent: int | None = None,
    client_ip: str | None = None,
    request_id: str | None = None,
    now: datetime | None = None,
) -> Deployment:
    """Ask the gate and record its decision, a refusal included: the decision
    record is evidence either way. An approved request can then be started."""
    if not can_write_model(actor, version.model):
        raise PermissionDeniedError(f"You may not deploy {version.model.name}.")
    check = check_deployment(
        actor=actor,
        version=version,
        environment=environment,
        strategy=strategy,
        traffic_percent=traffic_percent,
        now=now,
    )
    result = check.result
    deployment = check.unsaved_deployment(
        client_ip=client_ip, request_id=request_id or ""
    )
    record = deployment.gate_decision
    # Nothing refers to a decision not yet written: known without asking,
    # when the audit trail reads every field of the new row.
    GateDecision.deployment.related.set_cached_value(record, None)
    with disable_auditlog():
        record.save(force_insert=True)
        deployment.save(force_insert=True)
    record_creations([record, deployment])
    environment_name = environment.name
    announce(
        "deployment.requested",
        deployment_id=deployment.pk,
        model=version.model.name,
        version=version.version,
        environment=environment_name,
        strategy=strategy,
        traffic_percent=check.traffic_percent,
        decision=result.decision,
        failing_checks=list(result.failing_checks),
        actor_id=actor.pk,
    )
    return deployment


def _step(
    deployment: Deployment,
    *,
    action: str,
    from_status: str,
    actor: AbstractBaseUser,
    at: datetime,
    reason: str = "",
) -> None:
    DeploymentStep.objects.create(
        deployment=deployment,
        action=action,
        from_status=from_status,
        to_status=deployment.status,
        traffic_percent=deployment.traffic_percent,
        reason=reason,
        actor=actor,
        at=at,
    )


def _record_move(
    deployment: Deployment,
    *,
    action: str,
    from_status: str,
    actor: AbstractBaseUser,
    at: datetime,
    reason: str,
) -> None:
    """A client's move: its ledger step, and its announcement after commit."""
    _step(
        deployment,
        action=action,
        from_status=from_status,
        actor=actor,
        at=at,
        reason=reason,
    )
    _announce_move(deployment, action=action, from_status=from_status, actor=actor)


def _audit_status_change(deployment: Deployment, from_status: str) -> None:
    """An audit entry for a status moved by a conditional update (which sends
    no signal), attributed like the request's other entries."""
    record_bulk_changes(
        [deployment],
        action=LogEntry.Action.UPDATE,
        changes=lambda row: {"status": [from_status, row.status]},
    )


def _allowed_actions(status: str) -> list[str]:
    return [a for a in CLIENT_ACTIONS if a in DEPLOYMENT_TRANSITIONS[status]]


def _lock_for(
    *, actor: AbstractBaseUser, deployment: Deployment, action: str
) -> Deployment:
    """The deployment's row, locked, after the permission and table checks."""
    locked = (
        Deployment.objects.select_for_update(of=("self",))
        .select_related("model", "version", "environment")
        .get(pk=deployment.pk)
    )
    if not can_write_model(actor, locked.model):
        raise PermissionDeniedError(f"You may not move deployments of {locked.model}.")
    if action not in DEPLOYMENT_TRANSITIONS[locked.status]:
        raise InvalidDeploymentMoveError(
            locked, action, _allowed_actions(locked.status)
        )
    return locked


def _current_primary(deployment: Deployment) -> Deployment | None:
    """The active primary of the deployment's model and environment, if any."""
    return (
        Deployment.objects.active()
        .filter(
            model_id=deployment.model_id,
            environment_id=deployment.environment_id,
            traffic_percent=FULL_TRAFFIC,
        )
        .exclude(pk=deployment.pk)
        .first()
    )


def _primary_changed(deployment: Deployment, now_serving: Deployment | None):
    serving = (
        f"deployment {now_serving.pk} (version {now_serving.version.version}) now "
        "serves"
        if now_serving
        else "nothing serves now"
    )
    return ConcurrentRolloutError(
        deployment,
        f"the primary of {deployment.model.name} in {deployment.environment.name} "
        f"changed since this rollout started ({serving}); fail this rollout and "
        "request again.",
    )


def _supersede_primary(
    deployment: Deployment,
    *,
    actor: AbstractBaseUser,
    now: datetime,
    expected: Deployment | None,
) -> Deployment | None:
    """End the current primary of the deployment's model and environment,
    which must be `expected` (the one the rollout set out to replace).

    A conditional update: if another move ended it meanwhile, nothing changes
    and the caller is told (the other move won)."""
    primary = _current_primary(deployment)
    if (primary.pk if primary else None) != (expected.pk if expected else None):
        raise _primary_changed(deployment, primary)
    if primary is None:
        return None
    ended = Deployment.objects.filter(
        pk=primary.pk, status=Deployment.Status.ACTIVE
    ).update(status=Deployment.Status.SUPERSEDED, ended_at=now, updated_at=now)
    if not ended:
        raise _primary_changed(deployment, None)
    primary.status = Deployment.Status.SUPERSEDED
    primary.ended_at = now
    _audit_status_change(primary, "active")
    _step(primary, action="supersede", from_status="active", actor=actor, at=now)
    return primary


def _save_move(deployment: Deployment, fields: list[str]) -> None:
    """Save under the database's one-primary/one-canary constraints."""
    try:
        with transaction.atomic():
            deployment.save(update_fields=[*fields, "updated_at"])
    except IntegrityError as error:
        raise ConcurrentRolloutError(
            deployment,
            f"{deployment.model.name} already has an active "
            f"{'primary' if deployment.is_primary else 'canary'} in "
            f"{deployment.environment.name}; another move got there first.",
        ) from error


def _announce_move(
    deployment: Deployment, *, action: str, from_status: str, actor: AbstractBaseUser
) -> None:
    announce(
        "deployment.moved",
        deployment_id=deployment.pk,
        model=deployment.model.name,
        version=deployment.version.version,
        environment=deployment.environment.name,
        action=action,
        from_status=from_status,
        status=deployment.status,
        traffic_percent=deployment.traffic_percent,
        actor_id=actor.pk,
    )


@transaction.atomic
def start_deployment(
    *, actor: AbstractBaseUser, deployment: Deployment, reason: str = ""
) -> Deployment:
    """Begin rolling out an approved deployment; one rollout at a time per
    model and environment."""
    locked = _lock_for(actor=actor, deployment=deployment, action="start")
    # Starts of one model queue on its row, so two cannot both see "none".
    type(locked.model).objects.select_for_update().filter(pk=locked.model_id).get()
    other = (
        Deployment.objects.in_progress()
        .filter(model_id=locked.model_id, environment_id=locked.environment_id)
        .exclude(pk=locked.pk)
        .first()
    )
    if other is not None:
        raise ConcurrentRolloutError(
            locked,
            f"deployment {other.pk} of {locked.model.name} is already in progress "
            f"in {locked.environment.name}; complete or fail it first.",
        )
    now = timezone.now()
    locked.status = Deployment.Status.IN_PROGRESS
    locked.started_at = now
    if locked.is_primary:
        # What this rollout replaces; completing it checks nothing else did.
        locked.supersedes = _current_primary(locked)
    locked.save(update_fields=["status", "started_at", "supersedes", "updated_at"])
    _record_move(
        locked,
        action="start",
        from_status="approved",
        actor=actor,
        at=now,
        reason=reason,
    )
    return locked


@transaction.atomic
def complete_deployment(
    *, actor: AbstractBaseUser, deployment: Deployment, reason: str = ""
) -> Deployment:
    """The rollout finished: the deployment serves. A full one replaces the
    primary it set out to replace when it started (superseded), and is refused
    if another deployment became the primary meanwhile; a canary serves its
    share beside the primary."""
    locked = _lock_for(actor=actor, deployment=deployment, action="complete")
    now = timezone.now()
    if locked.is_primary:
        locked.supersedes = _supersede_primary(
            locked, actor=actor, now=now, expected=locked.supersedes
        )
    locked.status = Deployment.Status.ACTIVE
    locked.activated_at = now
    locked.ended_at = None
    _save_move(locked, ["status", "activated_at", "ended_at", "supersedes"])
    _record_move(
        locked,
        action="complete",
        from_status="in_progress",
        actor=actor,
        at=now,
        reason=reason,
    )
    return locked


@transaction.atomic
def fail_deployment(
    *, actor: AbstractBaseUser, deployment: Deployment, reason: str = ""
) -> Deployment:
    """The rollout did not finish; whatever served before keeps serving."""
    locked = _lock_for(actor=actor, deployment=deployment, action="fail")
    now = timezone.now()
    locked.status = Deployment.Status.FAILED
    locked.save(update_fields=["status", "updated_at"])
    _record_move(
        locked,
        action="fail",
        from_status="in_progress",
        actor=actor,
        at=now,
        reason=reason,
    )
    return locked


@transaction.atomic
def promote_deployment(
    *,
    actor: AbstractBaseUser,
    deployment: Deployment,
    traffic_percent: int,
    reason: str = "",
) -> Deployment:
    """Raise an active canary's share; at 100 % it becomes the primary and the
    previous primary is superseded."""
    locked = _lock_for(actor=actor, deployment=deployment, action="promote")
    if locked.is_primary:
        raise NotACanaryError(locked)
    if not locked.traffic_percent < traffic_percent <= FULL_TRAFFIC:
        raise FieldError(
            "traffic_percent",
            f"Must be above the current {locked.traffic_percent} and at most 100.",
        )
    now = timezone.now()
    fields = ["traffic_percent"]
    if traffic_percent == FULL_TRAFFIC:
        locked.supersedes = _supersede_primary(
            locked, actor=actor, now=now, expected=_current_primary(locked)
        )
        fields.append("supersedes")
    locked.traffic_percent = traffic_percent
    _save_move(locked, fields)
    _record_move(
        locked,
        action="promote",
        from_status="active",
        actor=actor,
        at=now,
        reason=reason,
    )
    return locked


@transaction.atomic
def rollback_deployment(
    *, actor: AbstractBaseUser, deployment: Deployment, reason: str = ""
) -> Deployment:
    """Take an active deployment out of service. A primary hands back to the
    deployment it superseded, which serves again (a new step, history kept);
    a canary simply stops, leaving the primary as it is."""
    locked = _lock_for(actor=actor, deployment=deployment, action="rollback")
    if locked.is_primary and locked.supersedes_id is None:
        raise NothingToRollBackError(
            locked,
            "it replaced no earlier deployment, so there is nothing to return to. "
            "Deploy the version you want instead.",
        )
    now = timezone.now()
    locked.status = Deployment.Status.ROLLED_BACK
    locked.ended_at = now
    locked.save(update_fields=["status", "ended_at", "updated_at"])
    _record_move(
        locked,
        action="rollback",
        from_status="active",
        actor=actor,
        at=now,
        reason=reason,
    )
    if locked.is_primary:
        try:
            with transaction.atomic():
                restored = Deployment.objects.filter(
                    pk=locked.supersedes_id, status=Deployment.Status.SUPERSEDED
                ).update(status=Deployment.Status.ACTIVE, ended_at=None, updated_at=now)
        except IntegrityError as error:
            raise ConcurrentRolloutError(
                locked, "another primary became active while rolling back."
            ) from error
        if not restored:
            raise NothingToRollBackError(
                locked,
                f"deployment {locked.supersedes_id}, which it replaced, no longer "
                "waits to be restored.",
            )
        previous = Deployment.objects.get(pk=locked.supersedes_id)
        _audit_status_change(previous, "superseded")
        _step(
            previous,
            action="restore",
            from_status="superseded",
            actor=actor,
            at=now,
            reason=reason,
        )
    return locked


CLIENT_MOVES = {
    "start": start_deployment,
    "complete": complete_deployment,
    "fail": fail_deployment,
    "rollback": rollback_deployment,
}
assert set(CLIENT_MOVES) | {"promote"} == set(CLIENT_ACTIONS)
