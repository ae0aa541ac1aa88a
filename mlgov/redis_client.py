"""django-redis client with a circuit breaker, so a stalled Redis (one that
accepts connections and never answers) costs a few short timeouts per process
instead of one per cache call.

After REDIS_BREAKER_THRESHOLD consecutive failures the breaker opens: every
cache call is skipped at once (django-redis then answers a miss or drops the
write, as for any outage) for REDIS_BREAKER_COOLDOWN seconds, after which one
call tries Redis again. A success closes it.

Writes lost while Redis failed include invalidations (mlgov.cache bumps
generation numbers), so entries cached before the outage could be served
stale after it. Two things make up for them, by bumping the cache's epoch,
which every namespaced key carries, so that everything cached before is
forgotten at once:

- the process that lost a write retries the bump in the background from the
  moment it lost it until Redis answers, so it lands as soon as Redis is
  back, not at the process's next cache call after its cooldown (other
  processes, idle during the outage, would read stale entries until then:
  about 4 s after a stall in the proof of 2026-12);
- any process whose calls failed bumps the epoch on its first call that
  reaches Redis again, before that call's own command, so the call that
  closes the breaker already reads under the new epoch. Failed reads count
  too: a command that timed out during a stall may still run when Redis
  resumes (a SET of a value computed before a write committed)."""

import logging
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis import Redis
from redis.client import Pipeline
from redis.commands.core import Script
from redis.exceptions import RedisError

from mlgov.cache import EPOCH_KEY

T = TypeVar("T")

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


# The background retry of a lost invalidation: first after this many seconds,
# then twice as long each time up to the cap, so that a long outage costs a
# process one connection attempt a second.
MAKEUP_FIRST_DELAY = 0.05
MAKEUP_MAX_DELAY = 1.0


class CircuitBreaker:
    """Consecutive failures open it; after the cooldown one trial goes through."""

    def __init__(self, threshold: int, cooldown: float) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._lost_writes = False
        self._makeup: threading.Thread | None = None
        self._retired = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    @property
    def is_recovering(self) -> bool:
        """Calls failed since the last success: the next call that reaches
        Redis must first make everything cached before forgotten."""
        return self._failures > 0

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

    def success(self) -> None:
        """Record a success: the breaker closes and nothing is owed."""
        with self._lock:
            self._failures, self._opened_at, self._lost_writes = 0, None, False

    def make_up_lost_writes(self, bump: Callable[[], object]) -> None:
        """Retry `bump` (the epoch's) in the background until it reaches
        Redis, unless a call gets there first; one retrier per breaker."""
        with self._lock:
            if not self._lost_writes or self._retired:
                return
            if self._makeup is not None and self._makeup.is_alive():
                return
            self._makeup = threading.Thread(
                target=self._retry, args=(bump,), name="redis-makeup", daemon=True
            )
            self._makeup.start()

    def retire(self) -> None:
        """Stop the background retry (the breaker is forgotten)."""
        with self._lock:
            self._retired = True

    def _retry(self, bump: Callable[[], object]) -> None:
        delay = MAKEUP_FIRST_DELAY
        while True:
            time.sleep(delay)
            with self._lock:
                if self._retired or not self._lost_writes:
                    return
            try:
                bump()
            except (ConnectionInterrupted, RedisError, OSError):
                delay = min(delay * 2, MAKEUP_MAX_DELAY)
                continue
            self.success()
            logging.getLogger(__name__).warning(
                "Redis answers again: cache epoch bumped for writes lost meanwhile"
            )
            return


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
        for breaker in _breakers.values():
            breaker.retire()
        _breakers.clear()


def _guard(name: str, *, write: bool):
    method = getattr(DefaultClient, name)

    @wraps(method)
    def guarded(self, *args, **kwargs):
        breaker = breaker_for(self._server)
        if not breaker.allow():
            breaker.skipped(write=write)
            if write:
                breaker.make_up_lost_writes(self.bump_epoch)
            raise ConnectionInterrupted(connection=None) from ConnectionError(
                "Redis circuit breaker open"
            )
        try:
            if breaker.is_recovering:
                self.bump_epoch()
            result = method(self, *args, **kwargs)
        except ConnectionInterrupted:
            breaker.failure(write=write)
            if write:
                breaker.make_up_lost_writes(self.bump_epoch)
            raise
        if breaker.is_recovering:
            breaker.success()
        return result

    return guarded


class CircuitBreakerClient(DefaultClient):
    """DefaultClient whose cache operations pass the process's breaker."""

    def bump_epoch(self) -> None:
        """Forget everything cached so far (mlgov.cache.EPOCH_KEY), past the
        breaker; raises ConnectionInterrupted when Redis fails."""
        DefaultClient.incr(self, EPOCH_KEY, ignore_key_check=True)


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

    def send(redis: Redis) -> list:
        pipeline = redis.pipeline(transaction=False)
        queue(pipeline)
        return pipeline.execute()

    return _past_the_breaker(client, send)


def run_script(
    client: DefaultClient, script: Script, keys: list[str], args: list[int | str]
) -> Any:
    """`script` run on `keys` and `args`: one command, one round trip
    (EVALSHA; Redis is given the script first when it does not know it),
    through the process's breaker as `run_pipeline`, and None when Redis
    fails, likewise logged. For counters only, as `run_pipeline`."""
    return _past_the_breaker(
        client, lambda redis: script(keys=keys, args=args, client=redis)
    )


def _past_the_breaker(client: DefaultClient, send: Callable[[Redis], T]) -> T | None:
    breaker = breaker_for(client._server)
    if not breaker.allow():
        breaker.skipped(write=False)
        return None
    try:
        if breaker.is_recovering and isinstance(client, CircuitBreakerClient):
            client.bump_epoch()
        result = send(client.get_client(write=True))
    except (RedisError, ConnectionInterrupted, OSError) as error:
        breaker.failure(write=False)
        logging.getLogger(settings.DJANGO_REDIS_LOGGER).error(str(error))
        return None
    if breaker.is_recovering:
        breaker.success()
    return result
