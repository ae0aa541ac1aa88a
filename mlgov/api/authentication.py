"""Bearer-token authentication for the API."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from mlgov.audit import attribute_changes_to
from mlgov.models import APIToken, hash_token


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
        token = (
            APIToken.objects.usable()
            .select_related("user")
            .filter(key_hash=hash_token(raw))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                _("Invalid, expired or revoked token.")
            )
        return token.user, token

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
