"""Errors the compliance services raise."""

from mlgov.exceptions import NotFoundError


class UnknownFrameworkError(NotFoundError):
    """No shipped pack has that id."""

    code = "unknown_framework"

    def __init__(self, framework: str) -> None:
        super().__init__(f"No framework pack {framework!r} ships with mlgov.")
