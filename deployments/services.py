"""Every state change of deployments: gate decisions and rollout moves."""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ParamSpec

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from deployments import selectors
from deployments.constants import CLIENT_ACTIONS, DEPLOYMENT_TRANSITIONS
from deployments.exceptions import (
    ApprovalExpiredError,
    ConcurrentRolloutError,
    GateRecheckError,
    InvalidDeploymentMoveError,
    MoveRefusedError,
    NotACanaryError,
    NothingToRollBackError,
)
from deployments.gates import GateResult, checks_before_service, format_time, run_gate
from deployments.models import (
    Deployment,
    DeploymentStep,
    GateDecision,
    MoveRefusal,
    Strategy,
)
from governance.models import Evaluation
from governance.services import store_verdict
from mlgov.actors import Actor
from mlgov.audit import record_bulk_changes, record_creations
from mlgov.events import announce
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_write_model
from registry.models import Environment, ModelVersion

FULL_TRAFFIC = 100
# The name a refused start records when its approval had expired (the gate's
# own checks record theirs).
APPROVAL_EXPIRY = "approval_expiry"
ROLLBACK_REASON_REQUIRED = "A rollback needs a reason: say what went wrong."


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
    requested_by: Actor
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
    actor: Actor,
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
    actor: Actor,
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
    # The design stores an evaluation at every gate decision, so the
    # version's evaluations (and its Annex IV) show what the gate judged.
    store_verdict(
        version=version,
        environment=environment,
        verdict=result.verdict,
        trigger=Evaluation.Trigger.GATE,
        actor=actor,
        evaluated_at=check.requested_at,
    )
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
    actor: Actor,
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


def _audit_status_change(deployment: Deployment, from_status: str) -> None:
    """An audit entry for a status moved by a conditional update (which sends
    no signal), attributed like the request's other entries."""
    record_bulk_changes(
        [deployment],
        action=LogEntry.Action.UPDATE,
        changes=lambda row: {"status": [from_status, deployment.status]},
    )


def _allowed_actions(status: str) -> list[str]:
    return [a for a in CLIENT_ACTIONS if a in DEPLOYMENT_TRANSITIONS[status]]


def _lock_for(*, actor: Actor, deployment: Deployment, action: str) -> Deployment:
    """The deployment's row, locked, after the permission and table checks."""
    locked = (
        Deployment.objects.select_for_update(of=("self",))
        .select_related("model", "version__model", "environment")
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


def _primary_changed(
    deployment: Deployment, now_serving: Deployment | None
) -> ConcurrentRolloutError:
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
    actor: Actor,
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
    from_status = primary.status
    to_status = DEPLOYMENT_TRANSITIONS[from_status]["supersede"]
    ended = Deployment.objects.filter(pk=primary.pk, status=from_status).update(
        status=to_status, ended_at=now, updated_at=now
    )
    if not ended:
        raise _primary_changed(deployment, None)
    primary.status = to_status
    primary.ended_at = now
    _audit_status_change(primary, from_status)
    _step(primary, action="supersede", from_status=from_status, actor=actor, at=now)
    return primary


def _restore_superseded(
    deployment: Deployment,
    *,
    previous_id: int,
    actor: Actor,
    now: datetime,
    reason: str,
) -> None:
    """Return the deployment a rolled-back primary superseded to service."""
    from_status = Deployment.Status.SUPERSEDED
    to_status = DEPLOYMENT_TRANSITIONS[from_status]["restore"]
    try:
        with transaction.atomic():
            restored = Deployment.objects.filter(
                pk=previous_id, status=from_status
            ).update(status=to_status, ended_at=None, updated_at=now)
    except IntegrityError as error:
        raise ConcurrentRolloutError(
            deployment, "another primary became active while rolling back."
        ) from error
    if not restored:
        raise NothingToRollBackError(
            deployment,
            f"deployment {previous_id}, which it replaced, no longer "
            "waits to be restored.",
        )
    previous = Deployment.objects.get(pk=previous_id)
    _audit_status_change(previous, from_status)
    _step(
        previous,
        action="restore",
        from_status=from_status,
        actor=actor,
        at=now,
        reason=reason,
    )


def _save_move(deployment: Deployment, fields: list[str]) -> None:
    """Save the moved row; one that now serves is saved under the database's
    one-primary/one-canary constraints, which a concurrent move may have
    taken first."""
    fields = [*fields, "updated_at"]
    if deployment.status != Deployment.Status.ACTIVE:
        deployment.save(update_fields=fields)
        return
    try:
        with transaction.atomic():
            deployment.save(update_fields=fields)
    except IntegrityError as error:
        raise ConcurrentRolloutError(
            deployment,
            f"{deployment.model.name} already has an active "
            f"{'primary' if deployment.is_primary else 'canary'} in "
            f"{deployment.environment.name}; another move got there first.",
        ) from error


def _announce_move(
    deployment: Deployment, *, action: str, from_status: str, actor: Actor
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


def _move(
    locked: Deployment,
    action: str,
    *,
    actor: Actor,
    at: datetime,
    reason: str,
    fields: Sequence[str] = (),
) -> Deployment:
    """Apply a client's move to the locked deployment: the status the table
    gives for `action`, saved with the other changed `fields`, its step (from
    the status it left) and its announcement after commit."""
    from_status = locked.status
    locked.status = DEPLOYMENT_TRANSITIONS[from_status][action]
    _save_move(locked, ["status", *fields])
    _step(
        locked,
        action=action,
        from_status=from_status,
        actor=actor,
        at=at,
        reason=reason,
    )
    _announce_move(locked, action=action, from_status=from_status, actor=actor)
    return locked


# -------------------------------------------------- the gate at the move


def _refusal(
    locked: Deployment,
    action: str,
    *,
    check: str,
    detail: str,
    actor: Actor,
    at: datetime,
    reason: str,
    traffic_percent: int | None = None,
) -> MoveRefusal:
    return MoveRefusal(
        deployment=locked,
        action=action,
        status=locked.status,
        traffic_percent=traffic_percent or locked.traffic_percent,
        failed_check=check,
        detail=detail,
        reason=reason,
        actor=actor,
        at=at,
    )


def _refuse_if_expired(
    locked: Deployment, *, actor: Actor, now: datetime, reason: str
) -> None:
    """An approval lasts DEPLOYMENT_APPROVAL_TTL_HOURS: the gate's answer is
    about the world when it was asked, and that world moves on."""
    hours = settings.DEPLOYMENT_APPROVAL_TTL_HOURS
    if now - locked.requested_at <= timedelta(hours=hours):
        return
    raise ApprovalExpiredError(
        _refusal(
            locked,
            "start",
            check=APPROVAL_EXPIRY,
            detail=(
                f"it was approved more than {hours} h ago (at "
                f"{format_time(locked.requested_at)}), and an approval not "
                f"started within {hours} h expires"
            ),
            actor=actor,
            at=now,
            reason=reason,
        )
    )


def _refuse_unless_gate_passes(
    locked: Deployment,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    reason: str,
    traffic_percent: int | None = None,
) -> None:
    """Put a version into service only if the environment is not frozen and
    the governance verdict passes now, as the gate would answer. The
    environment's row is locked so that a freeze is ordered before this move
    (and refuses it) or after it (and finds it done)."""
    environment = (
        Environment.objects.select_for_update(of=("self",), no_key=True)
        .select_related("requires", "frozen_by")
        .get(pk=locked.environment_id)
    )
    inputs = selectors.gate_inputs(
        version=locked.version, environment=environment, now=now
    )
    for check in checks_before_service(inputs.facts, now=now):
        if not check.passed:
            raise GateRecheckError(
                _refusal(
                    locked,
                    action,
                    check=check.check,
                    detail=check.detail,
                    actor=actor,
                    at=now,
                    reason=reason,
                    traffic_percent=traffic_percent,
                )
            )


P = ParamSpec("P")


def _records_refusals(service: Callable[P, Deployment]) -> Callable[P, Deployment]:
    """Write the record of a refused move after the move's transaction has
    rolled back, in a transaction of its own, so that the refusal stays."""

    @functools.wraps(service)
    def recording(*args: P.args, **kwargs: P.kwargs) -> Deployment:
        try:
            return service(*args, **kwargs)
        except MoveRefusedError as refused:
            refusal = refused.refusal
            with transaction.atomic():
                refusal.save(force_insert=True)
                announce(
                    "deployment.move_refused",
                    deployment_id=refusal.deployment_id,
                    model=refusal.deployment.model.name,
                    version=refusal.deployment.version.version,
                    environment=refusal.deployment.environment.name,
                    action=refusal.action,
                    status=refusal.status,
                    check=refusal.failed_check,
                    actor_id=refusal.actor_id,
                )
            raise

    return recording


# ---------------------------------------------------------- the moves


@_records_refusals
@transaction.atomic
def start_deployment(
    *, actor: Actor, deployment: Deployment, reason: str = ""
) -> Deployment:
    """Begin rolling out an approved deployment, while its approval lasts and
    the gate's freeze and governance checks still pass; one rollout at a time
    per model and environment."""
    locked = _lock_for(actor=actor, deployment=deployment, action="start")
    now = timezone.now()
    _refuse_if_expired(locked, actor=actor, now=now, reason=reason)
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
    _refuse_unless_gate_passes(locked, "start", actor=actor, now=now, reason=reason)
    locked.started_at = now
    if locked.is_primary:
        # What this rollout replaces; completing it checks nothing else did.
        locked.supersedes = _current_primary(locked)
    return _move(
        locked,
        "start",
        actor=actor,
        at=now,
        reason=reason,
        fields=["started_at", "supersedes"],
    )


@_records_refusals
@transaction.atomic
def complete_deployment(
    *, actor: Actor, deployment: Deployment, reason: str = ""
) -> Deployment:
    """The rollout finished: the deployment serves, if the gate's freeze and
    governance checks still pass. A full one replaces the primary it set out
    to replace when it started (superseded), and is refused if another
    deployment became the primary meanwhile; a canary serves its share beside
    the primary."""
    locked = _lock_for(actor=actor, deployment=deployment, action="complete")
    now = timezone.now()
    _refuse_unless_gate_passes(locked, "complete", actor=actor, now=now, reason=reason)
    if locked.is_primary:
        locked.supersedes = _supersede_primary(
            locked, actor=actor, now=now, expected=locked.supersedes
        )
    locked.activated_at = now
    locked.ended_at = None
    return _move(
        locked,
        "complete",
        actor=actor,
        at=now,
        reason=reason,
        fields=["activated_at", "ended_at", "supersedes"],
    )


@transaction.atomic
def fail_deployment(
    *, actor: Actor, deployment: Deployment, reason: str = ""
) -> Deployment:
    """The rollout did not finish; whatever served before keeps serving."""
    locked = _lock_for(actor=actor, deployment=deployment, action="fail")
    return _move(locked, "fail", actor=actor, at=timezone.now(), reason=reason)


@_records_refusals
@transaction.atomic
def promote_deployment(
    *,
    actor: Actor,
    deployment: Deployment,
    traffic_percent: int,
    reason: str = "",
) -> Deployment:
    """Raise an active canary's share, if the gate's freeze and governance
    checks still pass; at 100 % it becomes the primary and the previous
    primary is superseded."""
    locked = _lock_for(actor=actor, deployment=deployment, action="promote")
    if locked.is_primary:
        raise NotACanaryError(locked)
    if not locked.traffic_percent < traffic_percent <= FULL_TRAFFIC:
        raise FieldError(
            "traffic_percent",
            f"Must be above the current {locked.traffic_percent} and at most 100.",
        )
    now = timezone.now()
    _refuse_unless_gate_passes(
        locked,
        "promote",
        actor=actor,
        now=now,
        reason=reason,
        traffic_percent=traffic_percent,
    )
    fields = ["traffic_percent"]
    if traffic_percent == FULL_TRAFFIC:
        locked.supersedes = _supersede_primary(
            locked, actor=actor, now=now, expected=_current_primary(locked)
        )
        fields.append("supersedes")
    locked.traffic_percent = traffic_percent
    return _move(locked, "promote", actor=actor, at=now, reason=reason, fields=fields)


@transaction.atomic
def rollback_deployment(
    *, actor: Actor, deployment: Deployment, reason: str
) -> Deployment:
    """Take an active deployment out of service. A primary hands back to the
    deployment it superseded, which serves again (a new step, history kept);
    a canary simply stops, leaving the primary as it is. No gate check: a
    rollback returns to what served before, and a freeze must not stop it.
    The reason is required: it is the ledger's answer to "why did this stop
    serving", stored on the rollback step and in the audit trail."""
    reason = reason.strip()
    if not reason:
        raise FieldError("reason", ROLLBACK_REASON_REQUIRED)
    locked = _lock_for(actor=actor, deployment=deployment, action="rollback")
    previous_id = locked.supersedes_id if locked.is_primary else None
    if locked.is_primary and previous_id is None:
        raise NothingToRollBackError(
            locked,
            "it replaced no earlier deployment, so there is nothing to return to. "
            "Deploy the version you want instead.",
        )
    now = timezone.now()
    locked.ended_at = now
    _move(locked, "rollback", actor=actor, at=now, reason=reason, fields=["ended_at"])
    if previous_id is not None:
        _restore_superseded(
            locked, previous_id=previous_id, actor=actor, now=now, reason=reason
        )
    return locked
