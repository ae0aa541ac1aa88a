"""One gate for hostile input: every JSON body passes `GuardedJSONParser`,
every query string and URL argument passes `InputGuardMiddleware`.

What they refuse, with a 400 naming the field, before any view, serializer or
database sees it: nesting deeper than API_MAX_JSON_DEPTH (measured on the raw
bytes, so the parser's recursion never runs out), NUL characters and unpaired
UTF-16 surrogates in any string or key (PostgreSQL cannot store either), and
numbers that overflow to infinity (`1e999`)."""

import io
import json
import math
import re
from typing import Any

import numpy as np
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from mlgov.exceptions import DomainError, FieldError

BAD_TEXT_MESSAGE = "Must not contain NUL characters or unpaired surrogates."
NON_FINITE_MESSAGE = "Must be a finite number."
TOO_DEEP_MESSAGE = "The JSON document is nested deeper than {limit} levels."

_BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def is_bad_text(value: str) -> bool:
    """NUL or an unpaired surrogate: text no database column can hold."""
    return _BAD_CHARACTERS.search(value) is not None


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, ignoring
    brackets inside strings; linear time, no recursion."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    steps = np.frombuffer(brackets, dtype=np.uint8)
    opening = (steps == ord("[")) | (steps == ord("{"))
    return int(np.cumsum(np.where(opening, 1, -1)).max())


def _child(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def check_json_value(value: Any, path: str = "") -> None:
    """Raise FieldError naming the first string, key or number that cannot be
    stored. Iterative, so depth never matters here either."""
    pending = [(value, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if is_bad_text(item):
                raise FieldError(where or "body", BAD_TEXT_MESSAGE)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise FieldError(where or "body", NON_FINITE_MESSAGE)
        elif isinstance(item, dict):
            for key, inner in item.items():
                if is_bad_text(key):
                    raise FieldError(where or "body", f"A key: {BAD_TEXT_MESSAGE}")
                pending.append((inner, _child(where, key)))
        elif isinstance(item, list):
            pending.extend(
                (inner, _child(where, index)) for index, inner in enumerate(item)
            )


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON; JSON has no NaN or infinity.")


class GuardedJSONParser(JSONParser):
    """DRF's JSON parser behind the checks above."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        limit = settings.API_MAX_JSON_DEPTH
        if json_depth(raw) > limit:
            raise FieldError("body", TOO_DEEP_MESSAGE.format(limit=limit))
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            raise ParseError(f"JSON parse error - {error}") from error
        check_json_value(data)
        return data


class BodyTooLargeError(DomainError):
    """A request body over the endpoint's cap: 413 naming the cap."""

    code = "payload_too_large"
    status_code = 413

    def __init__(self, max_bytes: int, hint: str = "") -> None:
        super().__init__(
            f"The request body is larger than the cap of {max_bytes:,} bytes.{hint}",
            details={"max_body_bytes": max_bytes},
        )


def read_capped_body(request, max_bytes: int, hint: str = "") -> None:
    """Read the body of `request` (DRF or Django) under `max_bytes` instead of
    DATA_UPLOAD_MAX_MEMORY_SIZE, which DRF would otherwise apply when it
    parses. Reads one byte past the cap, so an understated Content-Length
    cannot sneak more in."""
    django_request = getattr(request, "_request", request)
    if hasattr(django_request, "_body"):
        return
    try:
        declared = int(django_request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        raise BodyTooLargeError(max_bytes, hint)
    body = django_request.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise BodyTooLargeError(max_bytes, hint)
    django_request._body = body
    django_request._stream = io.BytesIO(body)
