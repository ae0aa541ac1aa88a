"""GUNICORN_TIMEOUT is real under gthread workers: a request running past it
ends its worker, which the arbiter replaces; quick requests are untouched."""

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A port of this engineer's range, one per xdist worker.
PORT = 18411 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def get(path: str, timeout: float) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture
def gunicorn_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    env.update(
        GUNICORN_BIND=f"127.0.0.1:{PORT}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        GUNICORN_WORKER_CLASS="gthread",
        GUNICORN_TIMEOUT="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "tests.hostile.slow_wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            if get("/?s=0", timeout=1) == 200:
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("gunicorn did not start")
            time.sleep(0.2)
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    process.output = output.decode()


def test_a_request_past_the_worker_timeout_is_ended(gunicorn_server):
    started = time.monotonic()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        get("/?s=8", timeout=15)
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"the slow request ran {elapsed:.1f}s; the timeout is 2s"
    # The arbiter replaces the worker and service goes on.
    deadline = time.monotonic() + 15
    while True:
        try:
            assert get("/?s=0", timeout=2) == 200
            break
        except OSError:
            assert time.monotonic() < deadline, "no worker came back"
            time.sleep(0.2)


def test_quick_requests_are_not_cut(gunicorn_server):
    for _ in range(3):
        assert get("/?s=1.2", timeout=10) == 200
