"""The per-process cache notice: said by `check --deploy`, not by every command."""

from io import StringIO

import pytest
from django.core.management import call_command

LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def local_memory_cache(settings):
    settings.CACHES = LOCAL_MEMORY


def _check(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("check", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_everyday_commands_do_not_repeat_the_cache_notice(local_memory_cache):
    assert "mlgov.I001" not in _check()


def test_the_deploy_check_says_counters_are_per_process(local_memory_cache):
    assert _check("--deploy").count("mlgov.I001") == 1
