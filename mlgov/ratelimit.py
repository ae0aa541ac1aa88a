"""Rate limits for the API and for logins, counted in the shared cache.

django-ratelimit does the counting (fixed windows in the default cache: Redis
in production, so all workers and app servers share one count). What is
counted, and under which key, is decided here so every entry point agrees.
"""

import functools
import hashlib
import logging
import re
import time
import zlib
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.cache import caches
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from django_redis.client import DefaultClient as RedisClient
from redis.commands.core import Script

from mlgov.http import client_ip
from mlgov.metrics import RATELIMIT_CACHE_FAILURES, RATELIMIT_THROTTLED
from mlgov.redis_client import run_pipeline, run_script

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Verdict:
    """The limiter's answer for one request."""

    allowed: bool
    retry_after: int = 0
    cache_failed: bool = False


ALLOW = Verdict(allowed=True)


def client_key(request: HttpRequest, user: object | None) -> str:
    """Who is counted: the user when authenticated, else the client address."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return f"ip:{client_ip(request) or 'unknown'}"


_NOT_REDIS = object()
_EXPIRY_MARGIN = 5  # seconds a counter outlives its window, as django-ratelimit's
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"(\d+)/(\d*)([smhd])", re.IGNORECASE)


@functools.lru_cache(maxsize=64)  # a handful of configured rates
def _parse_rate(rate: str) -> tuple[int, int]:
    """'100/m' or '100/5m' -> (100, 300): django-ratelimit's reading of a rate
    (settings refuse any other form at startup)."""
    count, multiplier, unit = _RATE.fullmatch(rate).groups()
    return int(count), int(multiplier or 1) * _PERIODS[unit.lower()]


def _window_end(key: str, period: int) -> int:
    """When the key's current fixed window ends: django-ratelimit's windows,
    staggered per key so that not every client's budget resets at once."""
    now = int(time.time())
    if period == 1:
        return now
    end = now - (now % period) + (zlib.crc32(key.encode()) % period)
    return end + period if end < now else end


class _Counter(NamedTuple):
    client: RedisClient
    key: str
    limit: int
    period: int
    window_end: int


def _redis_counter(scope: str, key: str, rate: str) -> _Counter | None:
    """`key`'s counter for its current window in `scope`; None when the cache
    is not Redis."""
    cache = caches[settings.RATELIMIT_USE_CACHE]
    client = getattr(cache, "client", None)
    if not isinstance(client, RedisClient):
        return None
    limit, period = _parse_rate(rate)
    window = _window_end(key, period)
    digest = _counter_digest(scope, limit, period, key, window)
    counter = client.make_key(settings.RATELIMIT_CACHE_PREFIX + digest)
    return _Counter(client, counter, limit, period, window)


# A client's requests in one window all count under the same digest.
@functools.lru_cache(maxsize=4096)
def _counter_digest(scope: str, limit: int, period: int, key: str, window: int) -> str:
    return hashlib.md5(
        f"mlgov:{scope}|{limit}/{period}s|{key}|{window}".encode(),
        usedforsecurity=False,
    ).hexdigest()


# django-ratelimit's add() then incr(), and the GET of `also_get` when there
# is one, as one command: SET NX EX leaves a running window's counter as it
# is, INCR counts. Redis runs a script whole, so no other client's command
# comes between them.
_COUNT = Script(
    None,  # type: ignore[arg-type]  # run with the client of the call
    b"""redis.call('SET', KEYS[1], 0, 'NX', 'EX', ARGV[1])
local count = redis.call('INCR', KEYS[1])
if KEYS[2] then
    return {count, redis.call('GET', KEYS[2])}
end
return {count}""",
)


def _usage_in_one_round_trip(
    *, scope: str, key: str, rate: str, also_get: str | None = None
) -> tuple[object, object]:
    """django-ratelimit's count (its fixed, per-key staggered windows, the
    same answer) in one Redis round trip instead of two, and the cached
    value under `also_get` (None for a miss) in the same round trip.

    django-ratelimit counts with add() then incr(): two round trips on every
    request after a window's first. On a small busy host each round trip to
    Redis is a context switch that waits for a core, so this one is one
    command (`_COUNT`): a pipeline of three cost the worker about twice the
    CPU (docs/performance.md). Other caches (the embedded local-memory one)
    answer _NOT_REDIS and go through get_usage."""
    counter = _redis_counter(scope, key, rate)
    if counter is None:
        return _NOT_REDIS, None
    client = counter.client
    keys = [counter.key]
    if also_get is not None:
        keys.append(client.make_key(also_get))
    results = run_script(client, _COUNT, keys, [counter.period + _EXPIRY_MARGIN])
    if results is None:
        return None, None
    fetched = None
    if also_get is not None and results[1] is not None:
        fetched = client.decode(results[1])
    count = results[0]
    usage = {
        "count": count,
        "limit": counter.limit,
        "should_limit": count > counter.limit,
        "time_left": counter.window_end - int(time.time()),
    }
    return usage, fetched


def check(request: HttpRequest, *, scope: str, key: str, rate: str) -> Verdict:
    """Count this request against `rate` for `key` in `scope`, and say whether
    it may proceed. A cache that cannot count fails open or closed by
    RATELIMIT_FAIL_OPEN; either way it is logged and counted."""
    if not settings.RATELIMIT_ENABLE:
        return ALLOW
    usage, _ = _usage_in_one_round_trip(scope=scope, key=key, rate=rate)
    if usage is _NOT_REDIS:
        usage = get_usage(
            request,
            group=f"mlgov:{scope}",
            key=lambda group, request: key,
            rate=rate,
            increment=True,
        )
    return _verdict(usage, scope)


def _verdict(usage, scope: str) -> Verdict:
    # django-ratelimit reports a cache failure as no usage (its fail-open) or
    # as a limit of 0 with time_left -1 (its fail-closed).
    if usage is None or usage["time_left"] < 0:
        fail_open = settings.RATELIMIT_FAIL_OPEN
        RATELIMIT_CACHE_FAILURES.labels(
            outcome="allowed" if fail_open else "refused"
        ).inc()
        logger.warning(
            "rate limiter cannot reach its cache; request %s",
            "allowed (fail open)" if fail_open else "refused (fail closed)",
            extra={"scope": scope},
        )
        return ALLOW if fail_open else Verdict(False, retry_after=5, cache_failed=True)
    if usage["should_limit"]:
        RATELIMIT_THROTTLED.labels(scope=scope).inc()
        return Verdict(allowed=False, retry_after=max(1, usage["time_left"]))
    return ALLOW


def _user_scope(request: HttpRequest) -> tuple[str, str]:
    if request.method in SAFE_METHODS:
        return "api-read", settings.RATELIMIT_API_READ
    return "api-write", settings.RATELIMIT_API_WRITE


def check_api_as_owner(
    request: HttpRequest, *, user_id: int, also_get: str
) -> tuple[Verdict, object] | None:
    """check_api for a request whose bearer token is known to belong to
    `user_id` (a token never changes hands): counted before the token is
    resolved, in the one Redis round trip that also fetches the cached value
    under `also_get`, the token's cached resolution. None when the cache is
    not Redis (check_api counts then). Should the token no longer serve its
    owner, uncount_as_owner takes the request back for check_api to count."""
    if not settings.RATELIMIT_ENABLE:
        return None
    scope, rate = _user_scope(request)
    usage, fetched = _usage_in_one_round_trip(
        scope=scope, key=f"user:{user_id}", rate=rate, also_get=also_get
    )
    if usage is _NOT_REDIS:
        return None
    return _verdict(usage, scope), fetched


def uncount_as_owner(request: HttpRequest, *, user_id: int) -> None:
    scope, rate = _user_scope(request)
    counter = _redis_counter(scope, f"user:{user_id}", rate)
    if counter is not None:
        run_pipeline(counter.client, lambda pipeline: pipeline.decr(counter.key))


def check_api(request: HttpRequest, *, user: object | None) -> Verdict:
    """API calls: reads and writes have their own budgets per user; callers
    without valid credentials share the stricter anonymous budget per address."""
    if user is None or not getattr(user, "is_authenticated", False):
        scope, rate = "api-anonymous", settings.RATELIMIT_API_ANONYMOUS
    else:
        scope, rate = _user_scope(request)
    return check(request, scope=scope, key=client_key(request, user), rate=rate)


def is_login_view(request: HttpRequest, view_func: object) -> bool:
    """Admin login, and any LoginView (a dashboard login added later)."""
    view_class = getattr(view_func, "view_class", None)
    if isinstance(view_class, type) and issubclass(view_class, LoginView):
        return True
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name in settings.RATELIMIT_LOGIN_VIEWS


def check_login(request: HttpRequest) -> Verdict:
    """Login attempts (POSTs), per client address: the user is not known yet."""
    return check(
        request,
        scope="login",
        key=client_key(request, None),
        rate=settings.RATELIMIT_LOGIN,
    )
