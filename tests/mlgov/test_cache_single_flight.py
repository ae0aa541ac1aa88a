"""cached_once: many workers missing one expensive key compute it once."""

import threading

import pytest

from mlgov import cache as mlgov_cache
from mlgov.cache import cached_once


def test_concurrent_misses_of_one_key_compute_it_once():
    computing = threading.Event()
    release = threading.Event()
    calls = []

    def compute():
        calls.append(1)
        computing.set()
        release.wait(5)
        return {"models": 3}

    results = []

    def ask():
        results.append(cached_once("single-flight:a", compute))

    first = threading.Thread(target=ask)
    first.start()
    assert computing.wait(5)
    others = [threading.Thread(target=ask) for _ in range(5)]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(10)

    assert calls == [1]
    assert results == [{"models": 3}] * 6


def test_a_waiter_computes_itself_when_the_computing_worker_gave_up(monkeypatch):
    monkeypatch.setattr(mlgov_cache, "SINGLE_FLIGHT_WAIT_SECONDS", 0.2)
    # Another worker holds the lock and never stores a value.
    assert mlgov_cache.cache.add("lock:single-flight:b", 1, timeout=5)

    assert cached_once("single-flight:b", lambda: "computed here") == "computed here"


def test_a_failed_computation_releases_the_lock():
    def fail():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        cached_once("single-flight:c", fail)

    assert cached_once("single-flight:c", lambda: "fresh") == "fresh"


class _GoneInTheNextRelease:
    """Stands for a class another release of the code pickled."""


def test_a_value_this_code_cannot_load_is_recomputed_not_a_500(monkeypatch):
    mlgov_cache.cache.set("rolling:a", _GoneInTheNextRelease())
    # The next release no longer has the class the cached value names.
    monkeypatch.delattr(__import__(__name__, fromlist=["_"]), "_GoneInTheNextRelease")

    assert cached_once("rolling:a", lambda: "recomputed") == "recomputed"
    assert mlgov_cache.cached("rolling:a", lambda: "not again") == "recomputed"
