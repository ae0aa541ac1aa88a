"""django-redis client with a circuit breaker, so a stalled Redis (one that
accepts connections and never answers) costs a few short timeouts per process
instead of one per cache call.

After REDIS_BREAKER_THRESHOLD consecutive failures the breaker opens: every
cache call is skipped at once (django-redis then answers a miss or drops the
write, as for any outage) for REDIS_BREAKER_COOLDOWN seconds, after which one
call tries Redis again. A success closes it.

Writes lost while Redis failed include invalidations (mlgov.cache bumps
generation numbers), so entries cached before the outage could be served
stale after it. On recovery the process that lost a write bumps the cache's
epoch, which every namespaced key carries: everything cached before is
forgotten at once."""

import logging
import threading
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis.client import Pipeline
from redis.exceptions import RedisError

from mlgov.cache import EPOCH_KEY

_READS = ("get", "get_many", "has_key", "ttl", "pttl", "keys", "iter_keys")
_WRITES = (
    "set",
    "add",
    "set_many",
    "delete",
    "delete_many",
    "delete_pattern",
    "incr",
    "decr",
    "touch",
    "expire",
    "persist",
    "clear",
)


class CircuitBreaker:
    """Consecutive failures open it; after the cooldown one trial goes through."""

    def __init__(self, threshold: int, cooldown: float) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._lost_writes = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if time.monotonic() - self._opened_at >= self.cooldown:
                # Half-open: this call tries; the others keep skipping until
                # it succeeds or another cooldown passes.
                self._opened_at = time.monotonic()
                return True
            return False

    def failure(self, *, write: bool) -> None:
        with self._lock:
            self._failures += 1
            self._lost_writes = self._lost_writes or write
            if self._failures >= self.threshold:
                self._opened_at = time.monotonic()

    def skipped(self, *, write: bool) -> None:
        with self._lock:
            self._lost_writes = self._lost_writes or write

    def success(self) -> bool:
        """Record a success; True when it ends a failure during which writes
        were lost (the caller then makes up for them)."""
        with self._lock:
            if not self._failures:
                return False
            recovered_with_losses = self._lost_writes
            self._failures, self._opened_at, self._lost_writes = 0, None, False
            return recovered_with_losses


_breakers: dict[tuple[str, ...], CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(servers: list[str]) -> CircuitBreaker:
    """One breaker per Redis location per process (cache backends are per
    thread, the breaker must not be)."""
    key = tuple(servers)
    with _breakers_lock:
        if key not in _breakers:
            _breakers[key] = CircuitBreaker(
                threshold=settings.REDIS_BREAKER_THRESHOLD,
                cooldown=settings.REDIS_BREAKER_COOLDOWN,
            )
        return _breakers[key]


def reset_breakers() -> None:
    """Forget every breaker's state (tests; a new configuration)."""
    with _breakers_lock:
        _breakers.clear()


def _guard(name: str, *, write: bool):
    method = getattr(DefaultClient, name)

    @wraps(method)
    def guarded(self, *args, **kwargs):
        breaker = breaker_for(self._server)
        if not breaker.allow():
            breaker.skipped(write=write)
            raise ConnectionInterrupted(connection=None) from ConnectionError(
                "Redis circuit breaker open"
            )
        try:
            result = method(self, *args, **kwargs)
        except ConnectionInterrupted:
            breaker.failure(write=write)
            raise
        if breaker.success():
            self._forget_everything_cached()
        return result

    return guarded


class CircuitBreakerClient(DefaultClient):
    """DefaultClient whose cache operations pass the process's breaker."""

    def _forget_everything_cached(self) -> None:
        try:
            DefaultClient.incr(self, EPOCH_KEY, ignore_key_check=True)
        except ConnectionInterrupted:
            breaker_for(self._server).failure(write=True)


for _name in _READS:
    setattr(CircuitBreakerClient, _name, _guard(_name, write=False))
for _name in _WRITES:
    setattr(CircuitBreakerClient, _name, _guard(_name, write=True))


def run_pipeline(
    client: DefaultClient, queue: Callable[[Pipeline], object]
) -> list | None:
    """The commands `queue` puts on a pipeline, sent in one round trip (no
    MULTI), through the process's breaker like every cache call. None when
    Redis fails or the breaker is open; the failure is logged where
    django-redis logs what it swallows, so the cache-error counter
    (mlgov.metrics.CacheErrorCounter) sees it too. Only counters go this way,
    never invalidations, so a failure here loses no write the epoch must
    make up for."""
    breaker = breaker_for(client._server)
    if not breaker.allow():
        breaker.skipped(write=False)
        return None
    try:
        pipeline = client.get_client(write=True).pipeline(transaction=False)
        queue(pipeline)
        results = pipeline.execute()
    except (RedisError, ConnectionInterrupted, OSError) as error:
        breaker.failure(write=False)
        logging.getLogger(settings.DJANGO_REDIS_LOGGER).error(str(error))
        return None
    if breaker.success() and isinstance(client, CircuitBreakerClient):
        client._forget_everything_cached()
    return results
