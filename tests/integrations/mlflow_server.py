"""A real MLflow tracking server for the import tests, and a seeder that
fills it through MLflow's REST API.

.ci/run starts one (MLGOV_TEST_MLFLOW_URI); without it the fixture starts its
own from .ci-mlflow-venv (scripts/mlflow-venv.sh builds it), and skips only
when that virtualenv is missing."""

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.integrations.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
MLFLOW_BIN = ROOT / ".ci-mlflow-venv" / "bin" / "mlflow"


def _healthy(uri: str) -> bool:
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_healthy(uri: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not _healthy(uri):
        if time.monotonic() > deadline:
            raise RuntimeError(f"MLflow at {uri} did not come up in {seconds} s")
        time.sleep(1)


def mlflow_binary() -> Path:
    """The MLflow executable, or the test is skipped (not in CI: .ci/run
    always builds it)."""
    binary = Path(os.environ.get("MLGOV_TEST_MLFLOW_BIN", MLFLOW_BIN))
    if not binary.exists():
        pytest.skip(
            f"no MLflow server: {binary} is missing (scripts/mlflow-venv.sh "
            "builds it; .ci/run always does)"
        )
    return binary


@contextlib.contextmanager
def running_mlflow_server(extra_env: dict[str, str] | None = None):
    """An MLflow server of our own on loopback, stopped on exit."""
    binary = mlflow_binary()
    with tempfile.TemporaryDirectory(prefix="mlgov-mlflow-") as directory:
        port = free_port()
        uri = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(binary),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--backend-store-uri",
                f"sqlite:///{directory}/mlflow.db",
                "--default-artifact-root",
                f"{directory}/artifacts",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # No background job runner: the registry API is all the tests use.
            env={
                **os.environ,
                "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
                **(extra_env or {}),
            },
            start_new_session=True,
        )
        try:
            wait_until_healthy(uri)
            yield uri
        finally:
            # The server's own processes share its session's process group.
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)


@pytest.fixture(scope="session")
def mlflow_uri():
    uri = os.environ.get("MLGOV_TEST_MLFLOW_URI")
    if uri:
        wait_until_healthy(uri)
        yield uri.rstrip("/")
        return
    with running_mlflow_server() as uri:
        yield uri


class MlflowSeeder:
    """Registers models, runs and versions on a real MLflow server. Names get
    a per-test prefix, so tests can share one server."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.prefix = f"t{uuid.uuid4().hex[:8]}-"

    def post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            f"{self.uri}/api/2.0/mlflow/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def name(self, base: str) -> str:
        return self.prefix + base

    def model(self, base: str, *, description: str = "", tags=None) -> str:
        name = self.name(base)
        self.post(
            "registered-models/create",
            {
                "name": name,
                "description": description,
                "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
            },
        )
        return name

    def version(
        self, name: str, *, metrics=None, params=None, tags=None, with_run=True
    ) -> int:
        run_id = ""
        if with_run:
            run = self.post(
                "runs/create", {"experiment_id": "0", "start_time": 1_700_000_000_000}
            )
            run_id = run["run"]["info"]["run_id"]
            self.post(
                "runs/log-batch",
                {
                    "run_id": run_id,
                    "metrics": [
                        {
                            "key": k,
                            "value": v,
                            "timestamp": 1_700_000_000_000,
                            "step": 0,
                        }
                        for k, v in (metrics or {}).items()
                    ],
                    "params": [
                        {"key": k, "value": str(v)} for k, v in (params or {}).items()
                    ],
                },
            )
        body = {
            "name": name,
            "source": f"runs:/{run_id}/model" if run_id else "s3://bucket/model",
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
        }
        if run_id:
            body["run_id"] = run_id
        answer = self.post("model-versions/create", body)
        return int(answer["model_version"]["version"])

    def alias(self, name: str, alias: str, version: int) -> None:
        self.post(
            "registered-models/alias",
            {"name": name, "alias": alias, "version": str(version)},
        )

    def delete_alias(self, name: str, alias: str) -> None:
        request = urllib.request.Request(
            f"{self.uri}/api/2.0/mlflow/registered-models/alias",
            data=json.dumps({"name": name, "alias": alias}).encode(),
            headers={"Content-Type": "application/json"},
            method="DELETE",
        )
        with urllib.request.urlopen(request, timeout=30):
            pass


@pytest.fixture
def mlflow(mlflow_uri):
    return MlflowSeeder(mlflow_uri)


def mlflow_get(uri: str, path: str, **params) -> dict:
    """A GET of MLflow's REST API, as the tests read MLflow back."""
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(
        f"{uri}/api/2.0/mlflow/{path}?{query}", timeout=30
    ) as response:
        return json.loads(response.read())


def aliases_of(uri: str, name: str) -> dict[str, int]:
    model = mlflow_get(uri, "registered-models/get", name=name)["registered_model"]
    return {a["alias"]: int(a["version"]) for a in model.get("aliases", [])}


def version_tags(uri: str, name: str, version: int) -> dict[str, str]:
    answer = mlflow_get(uri, "model-versions/get", name=name, version=str(version))
    return {t["key"]: t["value"] for t in answer["model_version"].get("tags", [])}
