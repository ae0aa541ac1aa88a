"""Every change to obligation frameworks: enabling and disabling packs, and
governance admins' own obligations. Each is attributed and audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance.engine import ObligationSpec, PackError, validate_obligation
from compliance.exceptions import UnknownFrameworkError
from compliance.models import CustomObligation, FrameworkPack
from compliance.packs import shipped_pack
from mlgov.actors import Actor
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_administer_governance


def _require_admin(actor: Actor) -> None:
    if not can_administer_governance(actor):
        raise PermissionDeniedError(
            "Obligation frameworks are managed by governance admins."
        )


@transaction.atomic
def set_framework_enabled(
    *, actor: Actor, framework: str, enabled: bool
) -> FrameworkPack:
    """Enable a shipped pack (recording its version) or disable it."""
    _require_admin(actor)
    spec = shipped_pack(framework)
    if spec is None:
        raise UnknownFrameworkError(framework)
    pack = FrameworkPack.objects.select_for_update().filter(framework=framework).first()
    if pack is None:
        pack = FrameworkPack(framework=framework)
    elif pack.enabled == enabled and (not enabled or pack.version == spec.version):
        return pack
    pack.enabled = enabled
    if enabled:
        pack.version = spec.version
    pack.changed_by = actor
    pack.changed_at = timezone.now()
    pack.save()
    return pack


def _validated(framework: str, data: Mapping[str, Any]) -> ObligationSpec:
    try:
        return validate_obligation(dict(data), custom=True)
    except PackError as error:
        raise FieldError(error.field, error.message) from error


def _require_framework(framework: str) -> None:
    if shipped_pack(framework) is None:
        raise FieldError(
            "framework", f"No framework pack {framework!r} ships with mlgov."
        )


def _apply(obligation: CustomObligation, spec: ObligationSpec) -> None:
    document = spec.as_dict()
    obligation.reference = document["reference"]
    obligation.title = document["title"]
    obligation.summary = document["summary"]
    obligation.applies_to = document["applies_to"]
    obligation.evidence = document["evidence"]


@transaction.atomic
def add_custom_obligation(
    *, actor: Actor, framework: str, document: Mapping[str, Any]
) -> CustomObligation:
    """Add an obligation to a framework; its id must be new in that framework."""
    _require_admin(actor)
    _require_framework(framework)
    spec = _validated(framework, document)
    pack = shipped_pack(framework)
    taken = {item.id for item in pack.obligations} if pack else set()
    if (
        spec.id in taken
        or CustomObligation.objects.filter(
            framework=framework, obligation_id=spec.id
        ).exists()
    ):
        raise FieldError("id", f"{framework} already has an obligation {spec.id!r}.")
    obligation = CustomObligation(
        framework=framework, obligation_id=spec.id, created_by=actor
    )
    _apply(obligation, spec)
    obligation.save()
    return obligation


@transaction.atomic
def change_custom_obligation(
    *, actor: Actor, obligation: CustomObligation, document: Mapping[str, Any]
) -> CustomObligation:
    """Replace an obligation's reference, text, scope and evidence; its id and
    framework stay."""
    _require_admin(actor)
    if document.get("id", obligation.obligation_id) != obligation.obligation_id:
        raise FieldError("id", "An obligation's id does not change; add a new one.")
    document = {**document, "id": obligation.obligation_id}
    spec = _validated(obligation.framework, document)
    _apply(obligation, spec)
    obligation.updated_at = timezone.now()
    obligation.save()
    return obligation


@transaction.atomic
def remove_custom_obligation(*, actor: Actor, obligation: CustomObligation) -> None:
    """Remove an obligation a governance admin added (the audit trail keeps it)."""
    _require_admin(actor)
    obligation.delete()
