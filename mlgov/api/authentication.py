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
        cached = getattr(django_request, "_mlgov_bearer", None)
        if cached is None:
            try:
                cached = ("ok", self._authenticate(django_request))
            except exceptions.AuthenticationFailed as error:
                cached = ("failed", error)
            django_request._mlgov_bearer = cached
        outcome, value = cached
        if outcome == "failed":
            raise value
        if value is not None:
            attribute_changes_to(value[0])
        return value

    def _authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Malformed Authorization header: expected 'Bearer <token>'.")
            )
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(_("Malformed token.")) from error
        key_hash = hash_token(raw)
        # Every API request authenticates, and resolving a token costs two
        # queries (token with user, then the user's groups for the roles):
        # about a fifth of a small read. The answer, roles included, is cached for
        # API_TOKEN_CACHE_SECONDS under the token's hash. Revocation, a user's
        # save (active flag) and changes of groups or team membership delete
        # it (mlgov.apps wires those); expiry is checked on every hit.
        key = token_cache_key(key_hash)
        timeout = settings.API_TOKEN_CACHE_SECONDS
        hit = cache.get(key) if timeout else None
        if hit is not None:
            user, token = hit
            if token.is_usable and user.is_active:
                return user, token
        token = (
            APIToken.objects.usable()
            .select_related("user")
            .filter(key_hash=key_hash)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                _("Invalid, expired or revoked token.")
            )
        user = token.user
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


def bearer_user(request):
    """The user of the request's bearer token, or None when there is none or
    it is not valid (DRF then answers 401 inside the view)."""
    try:
        result = BearerTokenAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed:
        return None
    return result[0] if result else None
