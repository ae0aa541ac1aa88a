"""The command center's domain errors."""

from mlgov.exceptions import DomainError


class SignInRefusedError(DomainError):
    """The identity provider's answer does not let this person in; the
    message says why, in words for the person signing in."""

    code = "sign_in_refused"
    status_code = 403
