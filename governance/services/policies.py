"""Policies: created, changed (each change raises the revision), removed, and
applied in bulk from documents (policy as code)."""

from collections.abc import Sequence

from django.db import transaction

from governance.constants import RESERVED_POLICY_NAMES
from governance.documents import (
    PolicyChange,
    PolicyDocument,
    diff_policy,
    diff_policy_sets,
)
from governance.exceptions import PolicyChangedError, PolicyInUseError
from governance.models import Policy, PolicyRevision, Rule
from governance.selectors import policies_with_rules, policy_document
from mlgov.actors import Actor
from mlgov.events import announce
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_administer_governance
from registry.selectors import environment_names


def known_environment_names() -> list[str]:
    """Environment names a policy scope may name (kept for callers of the
    services package; the read itself is `registry.selectors.environment_names`)."""
    return environment_names()


def _announce_policy(event: str, policy: Policy, actor: Actor) -> None:
    announce(
        event,
        policy=policy.name,
        revision=policy.revision,
        enforcement=policy.enforcement,
        actor_id=actor.pk,
    )


def _require_admin(actor: Actor) -> None:
    if not can_administer_governance(actor):
        raise PermissionDeniedError("Policies are managed by governance admins.")


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", "Say why the policy changes; the revision keeps it.")
    return reason


def _record_revision(
    policy: Policy, document: PolicyDocument, actor: Actor, reason: str
) -> PolicyRevision:
    return PolicyRevision.objects.create(
        policy=policy,
        revision=policy.revision,
        document=document.as_dict(),
        changed_by=actor,
        reason=reason,
    )


def _write_rules(policy: Policy, document: PolicyDocument) -> None:
    """Make the stored rules match the document, position by position, so the
    audit trail shows which rule changed rather than a wholesale rewrite."""
    stored = {rule.position: rule for rule in Rule.objects.filter(policy=policy)}
    for position, rule in enumerate(document.rules, start=1):
        existing = stored.pop(position, None)
        if existing is None:
            Rule.objects.create(
                policy=policy, position=position, kind=rule.kind, params=rule.params
            )
        elif (existing.kind, existing.params) != (rule.kind, rule.params):
            existing.kind, existing.params = rule.kind, rule.params
            existing.save(update_fields=["kind", "params"])
    for leftover in stored.values():
        leftover.delete()


def _apply_fields(policy: Policy, document: PolicyDocument) -> None:
    policy.description = document.description
    policy.enforcement = document.enforcement
    policy.risk_tiers = list(document.risk_tiers)
    policy.environments = list(document.environments)
    policy.tags = list(document.tags)
    policy.model_kinds = list(document.model_kinds)


@transaction.atomic
def create_policy(*, actor: Actor, document: PolicyDocument, reason: str) -> Policy:
    """Store a new policy at revision 1, recorded with the reason."""
    _require_admin(actor)
    reason = _require_reason(reason)
    if document.name in RESERVED_POLICY_NAMES:
        raise FieldError(
            "name",
            f"{document.name!r} is the address of the new-policy page; choose "
            "another name.",
        )
    if Policy.objects.filter(name=document.name).exists():
        raise FieldError("name", f"A policy named {document.name!r} already exists.")
    policy = Policy(name=document.name, revision=1)
    _apply_fields(policy, document)
    policy.save()
    _write_rules(policy, document)
    _record_revision(policy, document, actor, reason)
    _announce_policy("policy.created", policy, actor)
    return policy


@transaction.atomic
def update_policy(
    *,
    actor: Actor,
    policy: Policy,
    document: PolicyDocument,
    reason: str,
    expected_revision: int | None = None,
) -> Policy:
    """Apply a document to a policy; any change raises its revision by one and
    records the new revision with the reason. With `expected_revision` (the
    revision the editor started from), a policy changed since is refused."""
    _require_admin(actor)
    reason = _require_reason(reason)
    locked = policies_with_rules().select_for_update(of=("self",)).get(pk=policy.pk)
    if expected_revision is not None and locked.revision != expected_revision:
        raise PolicyChangedError(locked, expected_revision)
    if diff_policy(policy_document(locked), document).action == "unchanged":
        return locked
    _apply_fields(locked, document)
    locked.revision += 1
    locked.save()
    _write_rules(locked, document)
    _record_revision(locked, document, actor, reason)
    _announce_policy("policy.changed", locked, actor)
    return locked


@transaction.atomic
def delete_policy(*, actor: Actor, policy: Policy) -> None:
    """Remove a policy; one that waivers refer to is disabled instead."""
    _require_admin(actor)
    if policy.waivers.exists():
        raise PolicyInUseError(
            f"Waivers refer to {policy.name}; set its enforcement to disabled instead "
            "so their record stays readable."
        )
    _announce_policy("policy.deleted", policy, actor)
    policy.delete()


@transaction.atomic
def apply_policy_documents(
    *,
    actor: Actor,
    documents: Sequence[PolicyDocument],
    reason: str,
    prune: bool = False,
    dry_run: bool = False,
) -> list[PolicyChange]:
    """Make the stored policies match `documents` (with `prune`, remove the
    ones the documents do not name). A dry run reports and changes nothing.
    Every policy added or changed records its revision with `reason`."""
    _require_admin(actor)
    reason = _require_reason(reason)
    stored = {policy.name: policy for policy in policies_with_rules()}
    changes = diff_policy_sets(
        [policy_document(policy) for policy in stored.values()],
        documents,
        prune=prune,
    )
    if dry_run:
        return changes
    by_name = {document.name: document for document in documents}
    for change in changes:
        if change.action == "add":
            create_policy(actor=actor, document=by_name[change.name], reason=reason)
        elif change.action == "change":
            update_policy(
                actor=actor,
                policy=stored[change.name],
                document=by_name[change.name],
                reason=reason,
            )
        elif change.action == "remove":
            delete_policy(actor=actor, policy=stored[change.name])
    return changes


def export_policy_documents() -> list[dict]:
    """Every stored policy as a document, by name."""
    return [policy_document(policy).as_dict() for policy in policies_with_rules()]
