"""HTTP for the client: JSON in and out, bearer token, bounded retries.

Standard library only (urllib), so the gate command runs in a bare CI image.
Retries happen on 429 and 503 only: mlgov answers those before doing any
work (rate limit, not ready), so even a POST is safe to send again.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlgov_client.errors import ApiError, MlgovConnectionError, NotJsonError

RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before sending a refused call again.

    The wait is the answer's Retry-After (seconds or an HTTP date), else
    `backoff` doubled on each attempt; never more than `max_wait`. `jitter`
    adds up to that fraction of the wait at random, so many pipelines told
    to come back in 5 s do not all return in the same millisecond."""

    max_retries: int = 3
    backoff: float = 1.0
    max_wait: float = 60.0
    jitter: float = 0.1

    def wait(self, attempt: int, retry_after: float | None) -> float:
        base = self.backoff * 2**attempt if retry_after is None else retry_after
        base = min(max(base, 0.0), self.max_wait)
        return base + random.uniform(0, base * self.jitter) if self.jitter else base


@dataclass
class Transport:
    base_url: str
    token: str
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str = "mlgov-client/1"
    sleep: Callable[[float], None] = time.sleep

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        url = path if "://" in path else self.base_url.rstrip("/") + path
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        return url

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """Send one call (retrying 429 and 503); the decoded JSON answer."""
        url = self.url(path, params)
        data = None if body is None else json.dumps(body).encode()
        attempt = 0
        while True:
            try:
                return self._send(method, url, data)
            except ApiError as error:
                if (
                    error.status not in RETRY_STATUSES
                    or attempt >= self.retry.max_retries
                ):
                    raise
                self.sleep(self.retry.wait(attempt, error.retry_after))
                attempt += 1

    def _send(self, method: str, url: str, data: bytes | None) -> Any:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        call = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(call, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise _api_error(error) from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise MlgovConnectionError(
                f"cannot reach mlgov at {self.base_url}: {reason}"
            ) from error
        try:
            return json.loads(raw) if raw else None
        except ValueError as error:
            raise NotJsonError(
                f"{self.base_url} did not answer with JSON; is it mlgov?"
            ) from error


def _api_error(error: urllib.error.HTTPError) -> ApiError:
    retry_after = _retry_after(error.headers.get("Retry-After"))
    try:
        body = json.loads(error.read())["error"]
        code, message = str(body.get("code", "")), str(body.get("message", ""))
        details = body.get("details") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        code, message, details = "", "", {}
    return ApiError(
        status=error.code,
        code=code,
        message=message,
        details=details if isinstance(details, dict) else {},
        retry_after=retry_after,
    )


def _retry_after(header: str | None) -> float | None:
    """Retry-After in seconds, from a number of seconds or an HTTP date."""
    if not header:
        return None
    try:
        return max(float(header), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
