"""Helpers for reads that build many objects at once."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def garbage_collection_paused() -> Iterator[None]:
    """Run a bulk computation without the cyclic garbage collector.

    Building the portfolio allocates a few hundred thousand small objects that
    all survive until the computation ends; each allocation burst triggers
    collections that walk every object the process holds, a third of the
    computation's CPU (docs/performance.md). Reference counting still frees
    what is dropped; the collector runs again when the pause ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
