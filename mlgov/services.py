"""State changes of the project package: API tokens and service accounts."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from mlgov.actors import Actor
from mlgov.api.authentication import forget_cached_tokens
from mlgov.exceptions import DomainError
from mlgov.models import APIToken, generate_raw_token, hash_token
from mlgov.roles import Role


@dataclass(frozen=True)
class IssuedToken:
    """A newly issued token and its raw value, which is never stored."""

    token: APIToken
    raw: str


def issue_token(*, user: Actor, name: str, days: int | None = None) -> IssuedToken:
    """Create a bearer token for `user`, valid for `days` (bounded by settings)."""
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise DomainError(
            f"A token lives between 1 and {settings.API_TOKEN_MAX_DAYS} days.",
            details={"days": days},
        )
    raw = generate_raw_token()
    now = timezone.now()
    token = APIToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_token(raw),
        key_hint=raw[:12],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    return IssuedToken(token=token, raw=raw)


def revoke_token(*, token: APIToken) -> APIToken:
    """Stop a token from authenticating, from now on."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    # The authentication cache would otherwise accept it until it expires.
    forget_cached_tokens([token.key_hash])
    return token


@transaction.atomic
def ensure_service_account(*, username: str, role: str) -> Actor:
    """A user without a password, for automation, holding exactly `role`."""
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.", details={"role": role})
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"is_active": True}
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.set([Group.objects.get(name=role)])
    return user


@transaction.atomic
def set_sso_roles(*, user: Actor, roles: Iterable[str], actor: Actor) -> frozenset[str]:
    """Make the user's role groups exactly `roles` (other groups are left
    alone), recording each addition and removal in the audit trail as
    `actor`'s. Returns the roles the user now holds directly."""
    wanted = frozenset(roles)
    unknown = sorted(wanted - set(Role.values))
    if unknown:
        raise DomainError(
            f"Unknown role {', '.join(unknown)}.", details={"roles": unknown}
        )
    role_groups = Group.objects.filter(name__in=Role.values).order_by("name")
    held = role_groups.filter(user=user)
    to_remove = list(held.exclude(name__in=wanted))
    to_add = list(role_groups.filter(name__in=wanted).exclude(user=user))
    if to_remove:
        user.groups.remove(*to_remove)
        LogEntry.objects.log_m2m_changes(
            to_remove, user, "delete", "groups", actor=actor
        )
    if to_add:
        user.groups.add(*to_add)
        LogEntry.objects.log_m2m_changes(to_add, user, "add", "groups", actor=actor)
    # The user's cached roles (mlgov.permissions) describe the old groups.
    user.__dict__.pop("_mlgov_roles", None)
    return wanted
