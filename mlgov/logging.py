"""Structured logging: one JSON object per line, the request id on every line,
secrets scrubbed, and `log_event` for the domain decisions operators follow.

Importable without Django settings, so gunicorn's master can use the formatter.
"""

import contextvars
import datetime
import json
import logging
import traceback
from typing import Any

from mlgov.redaction import REDACTED, is_secret_key, scrub, scrub_text

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "mlgov_request_id", default=None
)

EVENT_LOGGER = "mlgov.events"
ACCESS_LOGGER = "mlgov.access"

# Attributes every LogRecord has; anything else on a record came from `extra`.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "request_id", "event_fields"}


def current_request_id() -> str | None:
    """The id of the request this thread or task is serving, if any."""
    return request_id_var.get()


def log_event(event: str, /, **fields: Any) -> None:
    """Log one domain decision, e.g. log_event("approval.recorded", version=7).

    `fields` become top-level keys of the JSON line; keep them to ids, names
    and outcomes (never free text from users, never secrets)."""
    logging.getLogger(EVENT_LOGGER).info(
        event, extra={"event": event, "event_fields": fields}
    )


class RequestContextFilter(logging.Filter):
    """Puts the current request id on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            # Django logs 4xx/5xx responses after the middleware has returned;
            # those records carry the request, which carries its id.
            record.request_id = request_id_var.get() or getattr(
                getattr(record, "request", None), "request_id", None
            )
        return True


def _safe_request(request: Any) -> dict[str, Any]:
    # Django attaches the request to error records; its repr carries the
    # query string, so only the method and path are kept.
    return {
        "method": getattr(request, "method", None),
        "path": getattr(request, "path", None),
    }


class ScrubSecretsFilter(logging.Filter):
    """Removes tokens, passwords, cookies and authorization headers from the
    message, its arguments and every extra field before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = str(record.msg)
        record.msg = scrub_text(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key in _RECORD_ATTRIBUTES and key != "event_fields":
                continue
            if key == "request" and not isinstance(value, str | dict):
                record.request = _safe_request(value)
            elif is_secret_key(key):
                setattr(record, key, REDACTED)
            else:
                setattr(record, key, scrub(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info))
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, then
    the record's extra fields (event fields flattened to the top level)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key not in line:
                line[key] = value
        for key, value in (getattr(record, "event_fields", None) or {}).items():
            line.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)
