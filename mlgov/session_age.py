"""A signed-in session lasts at most SESSION_MAX_AGE_HOURS from its sign-in,
however active: a person removed at the identity provider, or a stolen
session cookie, is out by then."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout

SIGNED_IN_AT = "mlgov_signed_in_at"


def stamp_sign_in(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: note when this session signed in."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = int(time.time())


class SessionMaxAgeMiddleware:
    """Signs out a session whose sign-in is older than the maximum age."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        # Without the cookie there is no session to read (and no query).
        if session is not None and settings.SESSION_COOKIE_NAME in request.COOKIES:
            self._enforce(request, session)
        return self.get_response(request)

    @staticmethod
    def _enforce(request, session) -> None:
        if session.get(SESSION_KEY) is None:
            return
        now = int(time.time())
        signed_in_at = session.get(SIGNED_IN_AT)
        if signed_in_at is None:
            # Signed in before the limit existed: it counts from now.
            session[SIGNED_IN_AT] = now
            return
        if now - signed_in_at > settings.SESSION_MAX_AGE_HOURS * 3600:
            logout(request)
            messages.info(
                request,
                "Your session reached its maximum age; please sign in again.",
                fail_silently=True,
            )
