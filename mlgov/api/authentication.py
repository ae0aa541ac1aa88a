"""Bearer-token authentication for the API."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from mlgov.audit import attribute_changes_to
from mlgov.models import APIToken, hash_token
from mlgov.permissions import needs_team_ids, user_roles, user_team_ids


def token_cache_key(key_hash: str) -> str:
    """Where a token's resolved user is cached: keyed by the hash, never the
    raw token, so the cache holds nothing a reader could present."""
    return f"auth:token:{key_hash}"


def forget_cached_tokens(key_hashes: Iterable[str]) -> None:
    """Drop cached resolutions now and again after the current commit, so a
    request racing the change cannot put the old answer back."""
    keys = [token_cache_key(key_hash) for key_hash in key_hashes]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def _forget_user(sender, instance, **kwargs) -> None:
    forget_cached_tokens_of([instance.pk])


def _forget_token(sender, instance, **kwargs) -> None:
    forget_cached_tokens([instance.key_hash])


def _forget_members(sender, instance, action, model, pk_set, **kwargs) -> None:
    """m2m_changed of user.groups and team.members, from either side."""
    user_model = get_user_model()
    if isinstance(instance, user_model):
        if action.startswith("post_"):
            forget_cached_tokens_of([instance.pk])
        return
    # A group's or team's side: the users are pk_set, or on a clear every
    # member, read before the rows go.
    if action in ("post_add", "post_remove"):
        forget_cached_tokens_of(pk_set or ())
    elif action == "pre_clear":
        user_field = next(
            f.name
            for f in sender._meta.concrete_fields
            if f.is_relation and f.related_model is user_model
        )
        other_field = next(
            f.name
            for f in sender._meta.concrete_fields
            if f.is_relation and f.related_model is type(instance)
        )
        forget_cached_tokens_of(
            sender.objects.filter(**{other_field: instance.pk}).values_list(
                user_field, flat=True
            )
        )


def connect_token_cache_invalidation() -> None:
    """Wire the deletions above to what changes a cached resolution."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user_model = get_user_model()
    post_save.connect(_forget_user, sender=user_model, dispatch_uid="tok-user-s")
    post_delete.connect(_forget_user, sender=user_model, dispatch_uid="tok-user-d")
    post_save.connect(_forget_token, sender=APIToken, dispatch_uid="tok-token-s")
    post_delete.connect(_forget_token, sender=APIToken, dispatch_uid="tok-token-d")
    throughs = [user_model.groups.through]
    if apps.is_installed("registry"):
        # By name: the project package imports no app.
        throughs.append(apps.get_model("registry", "Team").members.through)
    for through in throughs:
        m2m_changed.connect(
            _forget_members, sender=through, dispatch_uid=f"tok-m2m-{through}"
        )


def forget_cached_tokens_of(user_ids: Iterable[int]) -> None:
    """Drop the cached resolutions of every token of these users (their
    roles, teams or active flag changed)."""
    forget_cached_tokens(
        APIToken.objects.filter(user_id__in=list(user_ids)).values_list(
            "key_hash", flat=True
        )
    )


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` against the hashed, expiring tokens."""

    keyword = "Bearer"

    def authenticate(self, request):
        # The rate limiter resolves the token before DRF does; the answer is
        # kept on the Django request so the token is looked up once.
        django_request = getattr(request, "_request", request)
        outcome, value = _resolution(django_request, prefetched=_NOT_FETCHED)
        if outcome == "failed":
            raise value
        if value is not None:
            attribute_changes_to(value[0])
        return value

    @staticmethod
    def _authenticate(request, prefetched):
        key_hash = _bearer_hash(request)
        if key_hash is None:
            return None
        # Every API request authenticates, and resolving a token costs two
        # queries (token with user, then the user's groups for the roles), a
        # large share of a small read (docs/performance.md). The answer,
        # roles included, is cached for API_TOKEN_CACHE_SECONDS under the
        # token's hash. Revocation, a user's save (active flag) and changes
        # of groups or team membership delete it (mlgov.apps wires those);
        # expiry is checked on every hit.
        key = token_cache_key(key_hash)
        timeout = settings.API_TOKEN_CACHE_SECONDS
        if not timeout:
            hit = None
        elif prefetched is _NOT_FETCHED:
            hit = cache.get(key)
        else:
            hit = prefetched
        if hit is not None:
            user, token = hit
            if token.is_usable and user.is_active:
                # Another process may have cached it: this one learns the
                # owner too, or it would never take the one-round-trip path.
                _remember_owner(key_hash, user.pk)
                return user, token
        token = (
            APIToken.objects.usable()
            .select_related("user")
            .filter(key_hash=key_hash)
            .first()
        )
        if token is None or not token.user.is_active:
            _token_owners.pop(key_hash, None)
            raise exceptions.AuthenticationFailed(
                _("Invalid, expired or revoked token.")
            )
        user = token.user
        _remember_owner(key_hash, user.pk)
        if timeout:
            # Filled in now so the cached user carries its roles (memoised on
            # the instance, see mlgov.permissions), which every request asks,
            # and, for those whose writes depend on them (data scientists),
            # their team ids: a query per write otherwise. Changes of either
            # forget the cached token.
            user_roles(user)
            if needs_team_ids(user):
                user_team_ids(user)
            expires_in = (token.expires_at - timezone.now()).total_seconds()
            cache.set(key, (user, token), max(1, min(timeout, int(expires_in))))
        return user, token

    def authenticate_header(self, request):
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


_NOT_FETCHED = object()


def bearer_user(request, *, cached: object = _NOT_FETCHED):
    """The user of the request's bearer token, or None when there is none or
    it is not valid (DRF then answers 401 inside the view). `cached` is what
    the cache held under the token's key (None for a miss), when the caller
    fetched it in a round trip of its own."""
    outcome, value = _resolution(request, prefetched=cached)
    return value[0] if outcome == "ok" and value else None


def _resolution(request, *, prefetched):
    """("ok", (user, token) or None) or ("failed", error), once per request."""
    resolved = request.__dict__.get("_mlgov_bearer")
    if resolved is None:
        try:
            resolved = (
                "ok",
                BearerTokenAuthentication._authenticate(request, prefetched),
            )
        except exceptions.AuthenticationFailed as error:
            resolved = ("failed", error)
        request._mlgov_bearer = resolved
    return resolved


def _bearer_hash(request) -> str | None:
    """The hash of the request's bearer token; None without one; refused when
    malformed. Kept on the request: the rate limiter asks before DRF does."""
    if "_mlgov_token_hash" not in request.__dict__:
        request._mlgov_token_hash = _hash_of_bearer_header(request)
    return request._mlgov_token_hash


def _hash_of_bearer_header(request) -> str | None:
    header = authentication.get_authorization_header(request).split()
    if (
        not header
        or header[0].lower() != BearerTokenAuthentication.keyword.lower().encode()
    ):
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed(
            _("Malformed Authorization header: expected 'Bearer <token>'.")
        )
    try:
        raw = header[1].decode()
    except UnicodeDecodeError as error:
        raise exceptions.AuthenticationFailed(_("Malformed token.")) from error
    return hash_token(raw)


# Which user each token seen by this process belongs to. A token never changes
# hands, so this cannot go stale; it lets the rate limiter count a request
# against its user in the same Redis round trip that fetches the token's
# cached resolution (RateLimitMiddleware). Bounded: forgotten wholesale when
# full, and a token that stops resolving is dropped.
_token_owners: dict[str, int] = {}
_MAX_TOKEN_OWNERS = 10_000


def _remember_owner(key_hash: str, user_id: int) -> None:
    if len(_token_owners) >= _MAX_TOKEN_OWNERS:
        _token_owners.clear()
    _token_owners[key_hash] = user_id


def forget_token_owners() -> None:
    """Forget which user each token belongs to (tests start from nothing)."""
    _token_owners.clear()


def known_token_owner(request) -> tuple[int, str] | None:
    """(user id, cache key) of the request's bearer token when this process
    has resolved it before; None otherwise (or for a malformed header)."""
    try:
        key_hash = _bearer_hash(request)
    except exceptions.AuthenticationFailed:
        return None
    if key_hash is None or not settings.API_TOKEN_CACHE_SECONDS:
        return None
    owner = _token_owners.get(key_hash)
    return None if owner is None else (owner, token_cache_key(key_hash))
