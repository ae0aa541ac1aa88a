"""The app starts and serves under gunicorn with several workers, with
gunicorn.conf.py as production uses it, and its metrics add up across them."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
METRICS_TOKEN = "gunicorn-test-scrape-token-4f9d"
WORKERS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, token: str | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _postgres_database(url: str, name: str, *, create: bool) -> str:
    """Create (or drop) this test's own database; return its URL."""
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn with 3 workers on a free loopback port, and a viewer's token."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    source_db = os.environ.get("DATABASE_URL", "")
    pg_name = None
    if source_db.startswith(("postgres://", "postgresql://")):
        base = urlsplit(source_db).path.lstrip("/") or "mlgov"
        pg_name = f"{base}_gunicorn_{os.getpid()}"
        env["DATABASE_URL"] = _postgres_database(source_db, pg_name, create=True)
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'gunicorn.sqlite3'}"
    try:
        yield from _serve(env, tmp)
    finally:
        if pg_name:
            _postgres_database(source_db, pg_name, create=False)


def _serve(env: dict[str, str], tmp: Path):
    """Migrate, issue a token, start gunicorn, and stop it afterwards."""
    port = free_port()
    env.update(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(WORKERS),
        GUNICORN_TIMEOUT="20",
        PROMETHEUS_MULTIPROC_DIR=str(tmp / "prometheus"),
        METRICS_TOKEN=METRICS_TOKEN,
        METRICS_ALLOWED_IPS="",
        RATELIMIT_API_READ="10000/m",
    )
    run(["manage.py", "migrate", "--noinput", "-v0"], env)
    issued = run(
        ["manage.py", "issue_token", "gunicorn-bot", "--role", "viewer", "--days", "1"],
        env,
    )
    token = re.search(r"mlg_[A-Za-z0-9_-]+", issued.stdout).group(0)
    log_path = tmp / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "mlgov.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if fetch(f"{base_url}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not come up in 60 s"
            time.sleep(0.2)
        yield {"url": base_url, "token": token, "process": process, "log": log_path}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def booted_workers(log_path: Path) -> set[str]:
    return set(re.findall(r"Booting worker with pid: (\d+)", log_path.read_text()))


def test_gunicorn_runs_the_configured_number_of_workers(server):
    # Forks of a preloaded master: the first may answer before the last logs.
    deadline = time.monotonic() + 20
    while len(booted_workers(server["log"])) < WORKERS:
        assert time.monotonic() < deadline, server["log"].read_text()[-2000:]
        time.sleep(0.1)

    assert len(booted_workers(server["log"])) == WORKERS


def test_healthz_answers_every_time(server):
    statuses = [fetch(f"{server['url']}/healthz")[0] for _ in range(6)]

    assert statuses == [200] * 6


def test_a_bearer_token_call_is_served(server):
    status, headers, body = fetch(
        f"{server['url']}/api/v1/environments/", server["token"]
    )

    assert status == 200
    assert {row["name"] for row in json.loads(body)["results"]} >= {"production"}
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_a_bad_token_is_refused_in_the_error_shape(server):
    status, _, body = fetch(f"{server['url']}/api/v1/models/", "mlg_wrong-token-value")

    assert status == 401
    assert json.loads(body)["error"]["code"] == "authentication_failed"


def test_access_events_are_json_lines_in_the_log(server):
    fetch(f"{server['url']}/readyz")
    time.sleep(0.3)

    lines = [
        json.loads(line)
        for line in server["log"].read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(line.get("route") == "readyz" for line in lines)


def test_metrics_add_up_across_workers(server):
    def served_ok() -> float:
        _, _, body = fetch(f"{server['url']}/metrics", METRICS_TOKEN)
        match = re.search(
            rb'^django_http_responses_total_by_status_total\{status="200"\} (\S+)$',
            body,
            re.MULTILINE,
        )
        return float(match.group(1)) if match else 0.0

    before = served_ok()
    for _ in range(12):
        assert fetch(f"{server['url']}/healthz")[0] == 200

    # Any worker's scrape reports all workers' requests (plus earlier scrapes).
    assert served_ok() >= before + 12
    assert fetch(f"{server['url']}/metrics")[0] == 403


def test_gunicorn_stops_cleanly_on_sigterm(server):
    process = server["process"]

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=30) == 0


def test_importing_the_app_opens_no_connection_and_starts_no_thread():
    """gunicorn preloads the app in the master and forks the workers from it:
    a connection or thread made at import would be shared by every worker."""
    probe = (
        "import sys, threading, mlgov.wsgi\n"
        "from django.db import connections\n"
        "opened = [c.alias for c in connections.all() if c.connection is not None]\n"
        "pools = [c.alias for c in connections.all() if getattr(c, '_pool', None)]\n"
        "print(opened, pools, threading.active_count())\n"
        "print(all(m in sys.modules for m in ('registry.api', 'deployments.api')))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mlgov.settings"}

    result = run(["-W", "ignore", "-c", probe], env)

    # No connection, no pool, no thread; and the views are imported already,
    # so a worker forked later runs the master's code, not the files on disk.
    assert result.stdout.split("\n")[-3:-1] == ["[] [] 1", "True"]
