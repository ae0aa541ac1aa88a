"""Fault drills: a real HTTP server on a private port, a private redis-server,
and the figures each drill measured, printed at the end of the run."""

import copy
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application

# Ports the drills may use (the brief's range for this worktree and CI). Each
# pytest-xdist worker takes its own slice, so two workers never race for one.
_FIRST = int(os.environ.get("DRILL_PORT_FIRST", "18500"))
_LAST = int(os.environ.get("DRILL_PORT_LAST", "18599"))
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
_SLICE = (_LAST - _FIRST + 1) // max(_WORKERS, 1)
PORTS = range(_FIRST + _WORKER * _SLICE, _FIRST + (_WORKER + 1) * _SLICE)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@pytest.fixture
def record_figure(request):
    """Keep a drill's measured figure for the end-of-run summary (carried in the
    test report, so it reaches the summary from xdist workers too)."""

    def record(line: str) -> None:
        request.node.user_properties.append(("drill figure", line))

    return record


@dataclass
class Answer:
    status: int
    seconds: float
    body: bytes = b""

    def json(self):
        return json.loads(self.body)

    @property
    def is_error_shape(self) -> bool:
        try:
            error = self.json()["error"]
        except (ValueError, KeyError, TypeError):
            return False
        return isinstance(error, dict) and "code" in error and "message" in error


@dataclass
class Server:
    url: str
    token: str = ""
    answers: list[Answer] = field(default_factory=list)

    def get(self, path: str, *, auth: bool = True, timeout: float = 30) -> Answer:
        return self.request("GET", path, auth=auth, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: dict | None = None,
        auth: bool = True,
        timeout: float = 30,
    ) -> Answer:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
        )
        request.add_header("Content-Type", "application/json")
        if auth and self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = Answer(response.status, 0, response.read())
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, 0, error.read())
        answer.seconds = time.monotonic() - started
        return answer


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(transactional_db, settings):
    """mlgov served over HTTP by a threaded server on 127.0.0.1 (each request
    in its own thread, its database connection returned to the pool at the
    end, as under gunicorn). The read budget is raised: a drill's load loop
    runs as fast as the server answers, and a 429 is not the fault under
    test."""
    settings.RATELIMIT_API_READ = "1000000/m"
    port = free_port()
    httpd = ThreadedWSGIServer(("127.0.0.1", port), _QuietHandler)
    httpd.set_app(get_wsgi_application())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(url=f"http://127.0.0.1:{port}")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class PrivateRedis:
    """A redis-server of our own, which the drill may stop, stall and restart."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def stall(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis(settings, tmp_path):
    """The app's own Redis cache configuration (client class, timeouts,
    breaker), pointed at a private redis-server for the test; never the
    shared one."""
    configured = settings.CACHES["default"]
    if "redis" not in configured["BACKEND"].lower():
        pytest.skip("the embedded mode has no Redis (set REDIS_URL)")
    redis = PrivateRedis(tmp_path)
    redis.start()
    settings.CACHES = {
        "default": {
            **copy.deepcopy(configured),
            "LOCATION": redis.url,
            "KEY_PREFIX": "drill",
        }
    }
    try:
        yield redis
    finally:
        redis.stop()
