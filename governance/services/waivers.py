"""Waivers: time-bound, justified exceptions to one rule for one version."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.exceptions import WaiverNotAllowedError, WaiverRevokedError
from governance.models import Policy, Waiver
from mlgov.actors import Actor
from mlgov.events import announce
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_administer_governance, is_author
from registry.models import ModelVersion


def check_waiver_grant(
    *,
    actor: Actor,
    version: ModelVersion,
    policy: Policy,
    rule_position: int,
    justification: str,
    expires_at: datetime,
    now: datetime,
) -> None:
    """Raise the reason `actor` may not grant this waiver, if there is one."""
    if not can_administer_governance(actor):
        raise PermissionDeniedError("Waivers are granted by governance admins.")
    if is_author(actor, version):
        raise WaiverNotAllowedError(
            f"You created or submitted {version}; another governance admin must "
            "grant its waivers."
        )
    minimum = settings.WAIVER_MIN_JUSTIFICATION_CHARS
    if len(justification.strip()) < minimum:
        raise FieldError(
            "justification",
            f"Say why the exception is acceptable, in at least {minimum} characters.",
        )
    if expires_at <= now:
        raise FieldError("expires_at", "Must be in the future.")
    max_days = settings.WAIVER_MAX_DAYS
    if expires_at > now + timedelta(days=max_days):
        raise FieldError("expires_at", f"A waiver lasts at most {max_days} days.")
    if not policy.rules.filter(position=rule_position).exists():
        raise FieldError("rule", f"Policy {policy.name} has no rule {rule_position}.")


@transaction.atomic
def grant_waiver(
    *,
    actor: Actor,
    version: ModelVersion,
    policy: Policy,
    rule_position: int,
    justification: str,
    expires_at: datetime,
    ticket: str = "",
    now: datetime | None = None,
) -> Waiver:
    """Excuse one failing rule of one policy for one version until `expires_at`."""
    now = now or timezone.now()
    check_waiver_grant(
        actor=actor,
        version=version,
        policy=policy,
        rule_position=rule_position,
        justification=justification,
        expires_at=expires_at,
        now=now,
    )
    waiver = Waiver.objects.create(
        version=version,
        policy=policy,
        rule_position=rule_position,
        justification=justification,
        ticket=ticket.strip(),
        granted_by=actor,
        granted_at=now,
        expires_at=expires_at,
    )
    announce(
        "waiver.granted",
        waiver_id=waiver.pk,
        model=version.model.name,
        version=version.version,
        policy=policy.name,
        rule=rule_position,
        expires_at=expires_at.isoformat(),
        actor_id=actor.pk,
    )
    return waiver


@transaction.atomic
def revoke_waiver(*, actor: Actor, waiver: Waiver, reason: str) -> Waiver:
    """End a waiver now; it stops applying at once."""
    if not can_administer_governance(actor):
        raise PermissionDeniedError("Waivers are revoked by governance admins.")
    if not reason.strip():
        raise FieldError("reason", "Say why the waiver is revoked.")
    waiver = Waiver.objects.select_for_update().get(pk=waiver.pk)
    if waiver.revoked_at is not None:
        raise WaiverRevokedError(f"{waiver} was already revoked.")
    waiver.revoked_at = timezone.now()
    waiver.revoked_by = actor
    waiver.revocation_reason = reason
    waiver.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    announce("waiver.revoked", waiver_id=waiver.pk, actor_id=actor.pk)
    return waiver
