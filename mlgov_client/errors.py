"""What a call to mlgov can raise: the API's refusals and a server out of reach."""

from __future__ import annotations

from typing import Any


class MlgovError(Exception):
    """Anything the client could not turn into an answer."""


class MlgovConnectionError(MlgovError):
    """mlgov could not be reached (refused, timed out, DNS)."""


class ApiError(MlgovError):
    """mlgov answered with an error: its HTTP status, the error body's `code`,
    `message` and per-field `details` (DESIGN.md §3's single error shape)."""

    def __init__(
        self,
        *,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.retry_after = retry_after
        super().__init__(self.describe())

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """Each field's messages, always as a list."""
        return {
            field: list(map(str, messages))
            if isinstance(messages, list)
            else [str(messages)]
            for field, messages in self.details.items()
        }

    def describe(self) -> str:
        """`HTTP 400 invalid: Invalid input.` then one line per field."""
        if not self.code and not self.message:
            return f"HTTP {self.status}"
        text = f"HTTP {self.status} {self.code}: {self.message}"
        for field, messages in self.field_errors.items():
            text += f"\n  {field}: {'; '.join(messages)}"
        return text


class NotJsonError(MlgovError):
    """A 2xx answer that is not JSON: the URL is probably not mlgov's."""
