"""Read-through caching for selectors, invalidated by the services that change
the rows. Namespaces carry a generation number, so one bump invalidates every
key under them (pages of a list with any query string) without scanning keys.

The cache may be down: django-redis then answers every read with a miss and
drops every write, so callers compute from the database as if uncached.
"""

import pickle
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django_redis.client import DefaultClient as RedisClient

from mlgov.bulk import garbage_collection_paused
from mlgov.logging import log_event

T = TypeVar("T")

_MISSING = object()
# What unpickling a value written by other code raises: a class or module
# renamed or gone, a class whose fields changed.
_UNLOADABLE = (AttributeError, ImportError, TypeError, pickle.UnpicklingError)


# Bumped when Redis comes back after invalidations were lost during an
# outage (mlgov.redis_client): every namespaced key carries it.
EPOCH_KEY = "gen:epoch"


class UncommittedKey(str):
    """The key of a read of a namespace that the current transaction has
    changed (`invalidate`): `cached` computes it and neither reads nor
    stores it, so the transaction reads its own writes and what it has not
    committed never reaches the shared cache."""


def namespaced_key(namespace: str, *parts: object) -> str:
    """A cache key under `namespace`'s current generation and the cache's
    epoch (both read in one round trip); an `UncommittedKey`, without a
    round trip, while the current transaction has changed the namespace."""
    if _invalidation_pending(namespace):
        return UncommittedKey(":".join([namespace, "uncommitted", *map(str, parts)]))
    generation_key = f"gen:{namespace}"
    found = cache.get_many([EPOCH_KEY, generation_key])
    epoch, generation = found.get(EPOCH_KEY) or 0, found.get(generation_key) or 0
    return ":".join([namespace, f"e{epoch}g{generation}", *map(str, parts)])


def _stored(key: str) -> Any:
    """The value under `key`, or _MISSING; a value this code cannot load (it
    was pickled by another release, during a rolling deploy) is a miss, not a
    500: the caller computes and stores its own."""
    try:
        # A cached portfolio unpickles into a hundred thousand objects.
        with garbage_collection_paused():
            return cache.get(key, _MISSING)
    except _UNLOADABLE as error:
        log_event("cache.unloadable", key=key, error=type(error).__name__)
        return _MISSING


def cached(key: str, compute: Callable[[], T], *, timeout: int | None = None) -> T:
    """`compute()`, kept under `key` for `timeout` seconds (CACHE_TIMEOUT_SECONDS)."""
    if isinstance(key, UncommittedKey):
        return compute()
    value = _stored(key)
    if value is _MISSING:
        value = compute()
        cache.set(
            key,
            value,
            settings.CACHE_TIMEOUT_SECONDS if timeout is None else timeout,
        )
    return value


class _Bump:
    """Moves a namespace's generation forward: what `invalidate` runs when
    the transaction commits, and how a read finds it pending."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def __call__(self) -> None:
        key = f"gen:{self.namespace}"
        if isinstance(getattr(cache, "client", None), RedisClient):
            # A plain INCR, which makes a missing generation 1: one command,
            # where django-redis's incr() runs a Lua script to refuse a
            # missing key and keep an expiry, which a generation has not.
            cache.incr(key, ignore_key_check=True)  # type: ignore[call-arg]
            return
        # incr() first: the generation exists but for a namespace's first
        # write, so that is one call per bump, not two. A lost race still
        # moves the generation forward, all invalidation needs.
        try:
            cache.incr(key)
        except ValueError:
            if not cache.add(key, 1, timeout=None):
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, timeout=None)


def invalidate(namespace: str) -> None:
    """Forget everything under `namespace` when the current transaction
    commits (at once outside a transaction), one round trip to Redis.

    Until then the transaction's own reads of the namespace bypass the cache
    (`UncommittedKey`), and every other process keeps reading the entries
    of the rows as last committed, which are still right: nothing the
    transaction has not committed is cached, and a rollback (Django drops
    the commit hook) leaves nothing to forget. A read racing the commit
    caches what it read under the generation the bump leaves behind."""
    if _invalidation_pending(namespace):
        return
    transaction.on_commit(_Bump(namespace))


def _invalidation_pending(namespace: str) -> bool:
    """Whether the current transaction has changed `namespace`: its bump is
    among the connection's commit hooks, which Django drops with a rolled
    back transaction or savepoint."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    return any(
        isinstance(hook, _Bump) and hook.namespace == namespace
        for _, hook, _ in connection.run_on_commit
    )


# How long a process waits for another one computing the same key before it
# computes the value itself (the other may have died).
SINGLE_FLIGHT_WAIT_SECONDS = 10.0
_SINGLE_FLIGHT_POLL_SECONDS = 0.02


def cached_once(key: str, compute: Callable[[], T], *, timeout: int | None = None) -> T:
    """`cached`, computed by one process at a time: on a miss, the process
    that takes the key's lock computes and stores; the others wait for its
    value instead of computing the same thing at once (no stampede when many
    workers miss the same expensive key together)."""
    if isinstance(key, UncommittedKey):
        return compute()
    value = _stored(key)
    if value is not _MISSING:
        return value
    lock = f"lock:{key}"
    if cache.add(lock, 1, timeout=int(SINGLE_FLIGHT_WAIT_SECONDS) + 1):
        try:
            return cached(key, compute, timeout=timeout)
        finally:
            cache.delete(lock)
    deadline = time.monotonic() + SINGLE_FLIGHT_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(_SINGLE_FLIGHT_POLL_SECONDS)
        value = _stored(key)
        if value is not _MISSING:
            return value
        if cache.get(lock) is None:
            break
    return cached(key, compute, timeout=timeout)
