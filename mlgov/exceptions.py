"""Domain errors: a rule of the domain refused a state change."""


class DomainError(Exception):
    """A state change the domain refuses; the API answers 409 with `code`."""

    code = "conflict"
    status_code = 409

    def __init__(self, message: str, *, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFoundError(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    code = "not_found"
    status_code = 404


class PermissionDeniedError(DomainError):
    """The caller's role or team does not allow this change."""

    code = "permission_denied"
    status_code = 403


class FieldError(DomainError):
    """Input that passed its type checks but breaks a domain rule on a field."""

    code = "invalid"
    status_code = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", details={field: [message]})
        self.field = field
