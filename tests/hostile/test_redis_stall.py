"""A stalled Redis (SIGSTOP: connections accepted, nothing answered) costs a
few short timeouts per process, not one per cache call; /healthz never waits
on it; and an edit made during the stall is not served stale after it.

These tests run their own redis-server on a private port and stall only it."""

import os
import shutil
import signal
import subprocess
import time

import pytest
from django.core.cache import cache
from django.test import Client

from mlgov.redis_client import reset_breakers
from tests.factories import MLModelFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]

# A private port, one per xdist worker.
PORT = 18431 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
COOLDOWN = 1.0


@pytest.fixture
def private_redis(tmp_path):
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=PORT, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "private redis-server did not start"
            time.sleep(0.05)
    process.stall = lambda: os.kill(process.pid, signal.SIGSTOP)
    process.resume = lambda: os.kill(process.pid, signal.SIGCONT)
    yield process
    process.resume()
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def redis_cache(settings, private_redis):
    """The project's Redis configuration, pointed at the private server."""
    settings.REDIS_BREAKER_COOLDOWN = COOLDOWN
    settings.CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{PORT}/0",
            "KEY_PREFIX": "mlgov",
            "OPTIONS": {
                "CLIENT_CLASS": "mlgov.redis_client.CircuitBreakerClient",
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
            },
        }
    }
    reset_breakers()
    assert cache.set("warm", 1) and cache.get("warm") == 1
    yield private_redis
    reset_breakers()


def test_the_project_configures_short_timeouts_and_the_breaker():
    import json
    import sys

    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']['OPTIONS']))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mlgov.settings",
        "REDIS_URL": f"redis://127.0.0.1:{PORT}/0",
    }
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    options = json.loads(output)
    assert options["CLIENT_CLASS"] == "mlgov.redis_client.CircuitBreakerClient"
    assert options["SOCKET_TIMEOUT"] <= 0.25
    assert options["SOCKET_CONNECT_TIMEOUT"] <= 0.25


def test_a_stalled_redis_is_skipped_after_the_first_failures(redis_cache):
    redis_cache.stall()
    started = time.monotonic()
    for index in range(40):
        assert cache.get(f"k{index}") is None
        cache.set(f"k{index}", index)
    elapsed = time.monotonic() - started
    # Three timeouts of 0.25 s open the breaker; the 77 calls after it skip.
    assert elapsed < 3, f"80 cache calls took {elapsed:.2f}s during a stall"


def test_requests_stay_fast_and_healthz_instant_during_a_stall(
    redis_cache, api_client_for, viewer, team
):
    MLModelFactory(name="churn", team=team)
    client = api_client_for(viewer)
    redis_cache.stall()
    started = time.monotonic()
    for _ in range(10):
        assert client.get("/api/v1/models/churn/").status_code == 200
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"10 requests took {elapsed:.2f}s during a stall"
    started = time.monotonic()
    assert Client().get("/healthz").status_code == 200
    assert time.monotonic() - started < 0.1


def test_readyz_names_the_stalled_cache(redis_cache):
    redis_cache.stall()
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]


def test_the_cache_is_used_again_after_the_stall(redis_cache):
    redis_cache.stall()
    for index in range(5):
        cache.get(f"k{index}")
    redis_cache.resume()
    time.sleep(COOLDOWN + 0.1)
    cache.set("after", 1)
    assert cache.get("after") == 1


def test_an_edit_during_a_stall_is_not_served_stale_after_it(
    redis_cache, api_client_for, data_scientist, team
):
    MLModelFactory(name="churn", team=team, display_name="Before")
    client = api_client_for(data_scientist)
    assert client.get("/api/v1/models/churn/").json()["display_name"] == "Before"

    redis_cache.stall()
    response = client.patch(
        "/api/v1/models/churn/", {"display_name": "After"}, format="json"
    )
    assert response.status_code == 200
    redis_cache.resume()
    time.sleep(COOLDOWN + 0.1)

    assert client.get("/api/v1/models/churn/").json()["display_name"] == "After"
