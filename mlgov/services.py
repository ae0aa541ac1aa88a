"""State changes of the project package: API tokens and service accounts."""

from dataclasses import dataclass
from datetime import timedelta

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
