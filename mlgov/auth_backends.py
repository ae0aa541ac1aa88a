"""Sign-in with a local password, which can be kept for break-glass
administrators only (LOCAL_PASSWORD_LOGIN, BREAK_GLASS_USERS)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def local_password_allowed(username: str | None) -> bool:
    """Whether `username` may sign in with a local password."""
    return settings.LOCAL_PASSWORD_LOGIN or username in settings.BREAK_GLASS_USERS


class LocalPasswordBackend(ModelBackend):
    """Django's password check, refusing everyone but the break-glass users
    when local passwords are switched off."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is not None and not local_password_allowed(username):
            # Hashed anyway, as Django does for an unknown user, so the answer
            # takes as long as a wrong password's would.
            get_user_model()().set_password(password)
            return None
        return super().authenticate(
            request, username=username, password=password, **kwargs
        )
