"""End to end: a real MLflow server sends its webhooks to mlgov served on
loopback; mlgov writes back to it. No import command is run.

PostgreSQL only: the server threads answering MLflow's parallel deliveries
and the test need separate connections to one committed database, which the
in-memory SQLite test database cannot give (its one connection would be
shared between threads, and a thread holding SQLite's write lock while
another waits on it is how an earlier attempt hung)."""

import base64
import os
import statistics
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection

from integrations.models import MlflowVersionLink, UngovernedChange
from integrations.services import push_due_write_backs
from registry.models import Environment, ModelVersion
from tests.integrations.mlflow_server import (
    MlflowSeeder,
    aliases_of,
    running_mlflow_server,
)
from tests.integrations.mlflow_sync_helpers import approved, deployed, make_sync
from tests.integrations.ports import free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SECRET = "live-mlflow-webhook-secret"
# MLflow's REST API spells the events in upper case; its deliveries, in
# lower case.
EVENTS = [
    {"entity": "MODEL_VERSION", "action": "CREATED"},
    {"entity": "MODEL_VERSION_TAG", "action": "SET"},
    {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"},
    {"entity": "MODEL_VERSION_ALIAS", "action": "DELETED"},
]
# Every wait is bounded: a webhook that never comes fails the test, never
# hangs it.
WAIT_SECONDS = 30.0


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@pytest.fixture
def live_mlgov(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    server = make_server(
        "127.0.0.1",
        free_port(),
        get_wsgi_application(),
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_mlflow():
    """An MLflow server of its own, allowed to call loopback over HTTP, that
    reads its webhook list at once (no minute-long cache)."""
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    with running_mlflow_server(
        {
            "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
            "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
            "MLFLOW_WEBHOOK_CACHE_TTL": "1",
            "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": key,
        }
    ) as uri:
        yield MlflowSeeder(uri)


def wait_for(condition, what: str, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {seconds:g} s")


def test_mlflow_and_mlgov_stay_in_step_both_ways(
    live_mlgov, webhook_mlflow, team, data_scientist, reviewer, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("a server thread beside the test needs PostgreSQL")
    monkeypatch.setenv("MLFLOW_WEBHOOK_SECRET_LIVE", SECRET)
    mlflow = webhook_mlflow
    # Production without its staging soak, so one test can deploy there.
    Environment.objects.filter(name="production").update(
        requires=None, min_soak_hours=0
    )
    sync = make_sync(name="live", team=team, account=data_scientist, uri=mlflow.uri)
    mlflow.post(
        "webhooks",
        {
            "name": "mlgov",
            "url": f"{live_mlgov}/api/v1/integrations/mlflow/live/webhooks/",
            "events": EVENTS,
            "secret": SECRET,
        },
    )
    name = mlflow.model("churn")

    # A version registered in MLflow appears in mlgov, no import command run.
    mlflow.version(name, metrics={"auc": 0.91})
    first = wait_for(
        lambda: ModelVersion.objects.filter(model__name=name).first(),
        "the version's arrival in mlgov",
    )
    assert first.metrics == {"auc": 0.91}
    assert first.created_by == data_scientist

    # A production deployment in mlgov moves MLflow's alias (the worker's push).
    first = approved(first, data_scientist, reviewer)
    deployed(first, sync.environment, data_scientist)
    assert push_due_write_backs() == 2  # the verdict tags, the alias
    assert aliases_of(mlflow.uri, name) == {"production": 1}
    # MLflow's alias event for mlgov's own move comes back: no alert.
    wait_for(
        lambda: sync.receipts.filter(event="model_version_alias.created").exists(),
        "the alias event of mlgov's own move",
    )
    assert not UngovernedChange.objects.exists()

    # An alias moved by hand in MLflow raises the alert.
    mlflow.version(name)
    wait_for(
        lambda: MlflowVersionLink.objects.filter(
            model_link__mlflow_name=name, mlflow_version=2
        ).exists(),
        "the second version's arrival",
    )
    mlflow.alias(name, "production", 2)
    change = wait_for(
        lambda: UngovernedChange.objects.open().first(), "the ungoverned change"
    )
    assert (change.mlflow_version, change.serving_mlflow_version) == (2, 1)


def test_webhook_to_mlgov_latency(
    live_mlgov, webhook_mlflow, team, data_scientist, monkeypatch
):
    """From MLflow's answer to a version's registration to the version in
    mlgov's database, over 20 versions one after the other; the numbers go to
    docs/performance.md."""
    if connection.vendor != "postgresql":
        pytest.skip("a server thread beside the test needs PostgreSQL")
    monkeypatch.setenv("MLFLOW_WEBHOOK_SECRET_LIVE", SECRET)
    mlflow = webhook_mlflow
    make_sync(name="live", team=team, account=data_scientist, uri=mlflow.uri)
    mlflow.post(
        "webhooks",
        {
            "name": "mlgov",
            "url": f"{live_mlgov}/api/v1/integrations/mlflow/live/webhooks/",
            "events": EVENTS[:1],
            "secret": SECRET,
        },
    )
    name = mlflow.model("latency")
    latencies = []
    for number in range(1, 21):
        mlflow.version(name, with_run=False)
        registered = time.perf_counter()
        wait_for(
            lambda n=number: MlflowVersionLink.objects.filter(
                model_link__mlflow_name=name, mlflow_version=n
            ).exists(),
            f"version {number}'s arrival",
        )
        latencies.append(time.perf_counter() - registered)

    latencies.sort()
    median = statistics.median(latencies)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(
        f"\nwebhook-to-mlgov latency over {len(latencies)} versions: "
        f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    assert median < 5
