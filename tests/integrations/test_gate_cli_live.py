"""mlgov-gate against the real deployments endpoint, served over HTTP on
loopback by a WSGI server in a thread."""

import os
import subprocess
import sys
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection

from deployments.models import Deployment
from mlgov.services import issue_token
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.integrations.ports import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def live_url(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    server = make_server(
        "127.0.0.1", free_port(), get_wsgi_application(), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def gate(url, token, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLGOV_")}
    env.update(MLGOV_URL=url, MLGOV_TOKEN=token)
    return subprocess.run(
        [sys.executable, str(ROOT / "mlgov_gate.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_gate_client_against_the_real_endpoint(live_url, team, data_scientist):
    if connection.vendor != "postgresql":
        pytest.skip("a server thread beside the test needs PostgreSQL")
    model = MLModelFactory(name="churn", team=team)
    ModelVersionFactory(model=model, version=1, status="approved")
    ModelVersionFactory(model=model, version=2, status="draft")
    token = issue_token(user=data_scientist, name="ci").raw

    approved = gate(
        live_url,
        token,
        "--model",
        "churn",
        "--version",
        "1",
        "--environment",
        "development",
    )
    blocked = gate(
        live_url,
        token,
        "--model",
        "churn",
        "--version",
        "2",
        "--environment",
        "development",
    )
    recorded = gate(
        live_url,
        token,
        "--model",
        "churn",
        "--version",
        "2",
        "--environment",
        "development",
        "--request",
    )
    refused = gate(
        live_url,
        "mlg_not-a-token",
        "--model",
        "churn",
        "--version",
        "1",
        "--environment",
        "development",
    )
    unknown = gate(
        live_url,
        token,
        "--model",
        "churn",
        "--version",
        "1",
        "--environment",
        "moon",
    )

    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert "APPROVED" in approved.stdout
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "[FAIL] version_status:" in blocked.stdout
    assert recorded.returncode == 1
    deployment = Deployment.objects.get()
    assert f"deployment {deployment.pk}" in recorded.stdout
    assert deployment.decision == "blocked"
    assert refused.returncode == 2
    assert "HTTP 401" in refused.stderr
    assert unknown.returncode == 2
    assert "environment" in unknown.stderr
