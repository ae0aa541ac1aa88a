"""Scrubbing of secrets from anything that leaves the process: log lines and
error reports. Keys that name a secret lose their value whatever it is; strings
lose anything shaped like a credential."""

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

# Matched anywhere in a key, case-insensitively: "HTTP_AUTHORIZATION",
# "X-Api-Key", "new_password1", "csrfmiddlewaretoken", "sessionid", "dsn".
_SECRET_KEY = re.compile(
    r"authorization|cookie|token|passw|secret|api[-_]?key|session|csrf|signature"
    r"|credential|private[-_]?key|dsn",
    re.IGNORECASE,
)
_SECRET_TEXT = [
    # An Authorization header's value, in any scheme that carries a credential.
    (re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE), None),
    # mlgov's own tokens, wherever they turn up (a URL, an error message).
    (re.compile(r"\bmlg_[A-Za-z0-9_-]{8,}"), None),
    # A multipart form field named like a secret: its value follows a blank line.
    (
        re.compile(
            r"""(?P<key>name="[^"]*(?:passw|token|secret|api[-_]?key|csrf)[^"]*"\r?\n"""
            r"""(?:[^\r\n]+\r?\n)*\r?\n)[^\r\n]*""",
            re.IGNORECASE,
        ),
        "key",
    ),
    # key=value and "key": "value" pairs in query strings, bodies and messages.
    (
        re.compile(
            r"""(?P<key>["']?[\w-]*(?:passw|token|secret|api[-_]?key|sessionid|csrf)"""
            r"""[\w-]*["']?\s*[=:]\s*)(?P<value>"[^"]*"|'[^']*'|[^\s&,;"'}]+)""",
            re.IGNORECASE,
        ),
        "key",
    ),
]


# What every pattern above needs somewhere in a match, under the same flags:
# text without any of it cannot match one, and most text (the access event's
# method, route, view and address, on every request) has none, so one search
# decides instead of four substitutions. IGNORECASE here only widens the
# case-sensitive `mlg_`.
_MAYBE_SECRET_TEXT = re.compile(
    r"bearer|basic|token|mlg_|passw|secret|api[-_]?key|sessionid|csrf",
    re.IGNORECASE,
)


def is_secret_key(key: object) -> bool:
    """Whether a mapping key names a secret, so its value is never shown."""
    return isinstance(key, str) and bool(_SECRET_KEY.search(key))


def scrub_text(text: str, *, extra_secrets: tuple[str, ...] = ()) -> str:
    """`text` with credential-shaped substrings and `extra_secrets` replaced."""
    for secret in extra_secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    if not _MAYBE_SECRET_TEXT.search(text):
        return text
    for pattern, keep in _SECRET_TEXT:
        if keep is None:
            text = pattern.sub(REDACTED, text)
        else:
            text = pattern.sub(rf"\g<{keep}>{REDACTED}", text)
    return text


def scrub(value: Any, *, extra_secrets: tuple[str, ...] = (), depth: int = 0) -> Any:
    """A copy of `value` (nested mappings, lists, strings) without secrets."""
    if depth > 20:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value, extra_secrets=extra_secrets)
    if isinstance(value, bytes):
        return scrub_text(value.decode("utf-8", "replace"), extra_secrets=extra_secrets)
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if is_secret_key(key) and value_ is not None
            else scrub(value_, extra_secrets=extra_secrets, depth=depth + 1)
            for key, value_ in value.items()
        }
    if isinstance(value, list | tuple):
        items = [
            scrub(item, extra_secrets=extra_secrets, depth=depth + 1) for item in value
        ]
        # Sentry sends headers and cookies as [name, value] pairs.
        if len(items) == 2 and is_secret_key(items[0]):
            items[1] = REDACTED
        return items
    return value
