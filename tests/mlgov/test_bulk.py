"""garbage_collection_paused: the collector is off inside, as it was after."""

import gc

import pytest

from mlgov.bulk import garbage_collection_paused


def test_the_collector_is_paused_inside_and_back_after():
    assert gc.isenabled()

    with garbage_collection_paused():
        assert not gc.isenabled()

    assert gc.isenabled()


def test_it_comes_back_after_an_error_and_nests():
    with pytest.raises(RuntimeError), garbage_collection_paused():
        with garbage_collection_paused():
            pass
        assert not gc.isenabled()
        raise RuntimeError("computation failed")

    assert gc.isenabled()
