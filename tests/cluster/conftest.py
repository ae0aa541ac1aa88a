"""The cluster suite: two mlgov instances behind HAProxy, on PgBouncer and one
Redis (scripts/cluster.sh), driven over HTTP only.

The suite starts the cluster itself unless one is already up in
MLGOV_CLUSTER_DIR (then it uses that one and leaves it running), and stops
what it started. Run it apart: `scripts/test.sh -m cluster tests/cluster`
(scripts/ci-cluster.sh sets the environment it needs)."""

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SH = ROOT / "scripts" / "cluster.sh"

# The budgets the suite runs with: the read budget small enough to exhaust,
# per day so that no window ends during the test; writes never throttled
# (the load and race tests are about the cluster, not the limiter).
CLUSTER_SETTINGS = {
    "RATELIMIT_API_READ": "40/d",
    "RATELIMIT_API_WRITE": "100000/m",
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
}
# Generous: CI runs this on two loaded cores.
HTTP_TIMEOUT = 60


def pytest_ignore_collect(collection_path, config):
    """Collect the cluster suite only when asked for (`-m cluster`), as the
    fuzzing is: it starts processes no other test needs."""
    selected = config.getoption("markexpr", "") or ""
    if "cluster" not in selected.replace("not cluster", ""):
        return True
    return None


@dataclass
class Cluster:
    run_dir: Path
    env: dict[str, str]
    url: str = field(init=False)

    def __post_init__(self) -> None:
        self.url = self.env["CLUSTER_URL"]

    def script(self, *args: str) -> str:
        """Run scripts/cluster.sh on this cluster."""
        done = subprocess.run(
            [str(CLUSTER_SH), *args],
            env={**os.environ, "MLGOV_CLUSTER_DIR": str(self.run_dir)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def manage_env(self, *, database_url: str | None = None) -> dict[str, str]:
        """The environment of a manage.py command on the cluster's data, like
        the instances' (the session pool: commands may LISTEN)."""
        inherited = dict(os.environ)
        inherited.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return {
            **inherited,
            **CLUSTER_SETTINGS,
            "DATABASE_URL": database_url or self.env["SESSION_DATABASE_URL"],
            "DATABASE_PREPARED_STATEMENTS": "false",
            "REDIS_URL": self.env["REDIS_URL"],
            "CACHE_KEY_PREFIX": self.env["CLUSTER_DATABASE"],
            "LOG_LEVEL": "WARNING",
        }

    def manage(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(ROOT / ".venv" / "bin" / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.manage_env(),
            capture_output=True,
            text=True,
            timeout=300,
            **kwargs,
        )

    def start_manage(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.manage_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def _read_env(run_dir: Path) -> dict[str, str]:
    lines = (run_dir / "cluster.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    run_dir = Path(
        os.environ.get("MLGOV_CLUSTER_DIR")
        or f"/tmp/mlgov-cluster-pytest-{os.getpid()}"
    )
    env = {**os.environ, **CLUSTER_SETTINGS, "MLGOV_CLUSTER_DIR": str(run_dir)}
    already_up = (
        subprocess.run(
            [str(CLUSTER_SH), "status"], env=env, capture_output=True
        ).returncode
        == 0
    )
    if not already_up:
        started = subprocess.run(
            [str(CLUSTER_SH), "up"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if started.returncode != 0:
            subprocess.run([str(CLUSTER_SH), "down"], env=env, timeout=300)
            pytest.fail(f"scripts/cluster.sh up failed:\n{started.stderr}")
    else:
        kept = (run_dir / "settings.env").read_text()
        missing = [
            f"{name}={value}"
            for name, value in CLUSTER_SETTINGS.items()
            if f'{name}="{value}"' not in kept
        ]
        if missing:
            pytest.fail(
                f"the cluster in {run_dir} runs without {' '.join(missing)}: "
                "bring it up with them, or let the suite start its own"
            )
    try:
        yield Cluster(run_dir=run_dir, env=_read_env(run_dir))
    finally:
        if not already_up:
            subprocess.run([str(CLUSTER_SH), "down"], env=env, timeout=300)


@dataclass
class Api:
    """An API client of one user, through the balancer; every answer keeps
    the instance that served it (X-Served-By)."""

    base: str
    token: str
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.session.request(
            method,
            f"{self.base}/api/v1/{path.lstrip('/')}",
            json=body,
            timeout=HTTP_TIMEOUT,
        )

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = self.call(method, path, body)
        assert response.status_code == status, (
            method,
            path,
            response.status_code,
            response.text[:2000],
        )
        return response.json()

    def fresh(self) -> "Api":
        """The same user on a new connection (one per thread)."""
        return Api(self.base, self.token)

    def on(self, port: str) -> "Api":
        """The same user talking to one instance directly, past the balancer."""
        return Api(f"http://127.0.0.1:{port}", self.token)


_ISSUE_TOKENS = """
import json, sys
from io import StringIO
from django.core.management import call_command
from registry.models import Team

Team.objects.get_or_create(name="fraud", defaults={"display_name": "Fraud"})
tokens = {}
for username, role in json.loads(sys.argv[-1]):
    out = StringIO()
    call_command("issue_token", username, role=role, teams=["fraud"], stdout=out,
                 stderr=StringIO())
    tokens[username] = out.getvalue().strip()
print(json.dumps(tokens))
"""

_users_lock = threading.Lock()
_serial = iter(range(1, 1_000_000))


def issue_tokens(cluster: Cluster, *roles: str) -> list[Api]:
    """API clients for new service accounts, one per role given, members of
    the team "fraud" (manage.py issue_token, in one process)."""
    with _users_lock:
        users = [(f"{role}-{next(_serial)}-{os.getpid()}", role) for role in roles]
    done = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-c",
            "import django; django.setup(); exec(open(0).read())",
            json.dumps(users),
        ],
        input=_ISSUE_TOKENS,
        cwd=ROOT,
        env={**cluster.manage_env(), "DJANGO_SETTINGS_MODULE": "mlgov.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    tokens = json.loads(done.stdout.strip().splitlines()[-1])
    return [Api(cluster.url, tokens[username]) for username, _ in users]


def wait_for(
    predicate, *, timeout: float = 120, interval: float = 0.2, what: str
) -> None:
    """Poll until predicate() is true; generous, for loaded CI machines."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
