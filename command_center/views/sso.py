"""Single sign-on through the organisation's OpenID Connect provider."""

import logging

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponse
from django.shortcuts import render
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from command_center.exceptions import SignInRefusedError
from mlgov.ratelimit import check_login
from mlgov.sso import sso_is_configured

logger = logging.getLogger(__name__)


def sign_in_refused(request, reason: str, *, status: int = 403) -> HttpResponse:
    """The page that tells the person why the provider's sign-in failed."""
    return render(
        request,
        "command_center/sign_in_refused.html",
        {"reason": reason},
        status=status,
    )


class SsoStartView(OIDCAuthenticationRequestView):
    """Send the browser to the identity provider to sign in."""

    def dispatch(self, request, *args, **kwargs):
        if not sso_is_configured():
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: sign in, or say why not."""

    def dispatch(self, request, *args, **kwargs):
        if not sso_is_configured():
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        # Each callback makes mlgov call the provider: counted like a password
        # attempt, per client address.
        if settings.RATELIMIT_ENABLE:
            verdict = check_login(request)
            if not verdict.allowed:
                response = sign_in_refused(
                    request,
                    "Too many sign-in attempts from your address. Try again in "
                    f"{verdict.retry_after} seconds.",
                    status=503 if verdict.cache_failed else 429,
                )
                response["Retry-After"] = str(verdict.retry_after)
                return response
        try:
            return super().get(request)
        except SignInRefusedError as refusal:
            logger.warning("sso sign-in refused", extra={"reason": refusal.message})
            return sign_in_refused(request, refusal.message)
        except SuspiciousOperation:
            return sign_in_refused(
                request,
                "This sign-in was not started here, or was already used. "
                "Start again from the sign-in page.",
            )
        except requests.RequestException:
            logger.exception("sso provider unreachable or refused the code")
            return sign_in_refused(
                request,
                "The identity provider could not be reached or refused to "
                "confirm the sign-in. Try again in a moment.",
                status=502,
            )

    def login_failure(self):
        error = self.request.GET.get("error")
        if error:
            reason = f"The identity provider did not sign you in ({error})."
        else:
            reason = "The sign-in did not complete. Start again from the sign-in page."
        return sign_in_refused(self.request, reason)
