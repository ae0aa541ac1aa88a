"""Two webhook workers on one outbox deliver each event exactly once."""

import json
import signal
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler

import pytest

from tests.cluster.conftest import issue_tokens, wait_for
from tests.cluster.flows import (
    at_once,
    register_model,
    release,
    request_deployment,
    unique_name,
)
from tests.integrations.ports import loopback_server

pytestmark = pytest.mark.cluster

EVENTS = 24


@pytest.fixture
def receiver():
    """A receiver on loopback that keeps, for every delivery it is sent, the
    subscription's path and the event's id (one event, one per subscription)."""
    received: list[tuple[str, str]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                received.append((self.path, json.loads(body)["id"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = loopback_server(Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks", received
    server.shutdown()
    server.server_close()


def test_two_workers_deliver_each_event_exactly_once(cluster, receiver):
    url, received = receiver
    scientist, reviewer, admin = issue_tokens(
        cluster, "data_scientist", "reviewer", "governance_admin"
    )
    # Two subscriptions, so both workers have a queue to take at once.
    subscriptions = [
        admin.ok(
            "POST",
            "webhooks/",
            {
                "name": unique_name(f"hook{n}"),
                "url": f"{url}/{n}",
                "event_types": ["gate.decision"],
            },
            status=201,
        )["id"]
        for n in range(2)
    ]
    model = unique_name("hooked")
    register_model(scientist, model)
    release(scientist, reviewer, model, 1)

    def request(client):
        return lambda: request_deployment(client, model, 1)

    at_once([request(scientist.fresh()) for _ in range(EVENTS // 2)])
    workers = [cluster.start_manage("deliver_webhooks") for _ in range(2)]
    try:
        # Stopping a worker that is still starting would kill it: wait until
        # each has said it stops gracefully.
        for worker in workers:
            assert worker.stdout is not None
            # Log lines may come first; EOF ("") means it died starting.
            line = "starting"
            while line and not line.startswith("Delivering webhooks"):
                line = worker.stdout.readline()
            assert line, "a webhook worker stopped before it was ready"

        def recorded_delivered(pk: int) -> bool:
            deliveries = admin.ok("GET", f"webhooks/{pk}/deliveries/")["results"]
            return all(d["status"] == "delivered" for d in deliveries)

        # The receiver first (no API read: the read budget is small), then
        # the outbox's own record, so no delivery is still in flight.
        wait_for(lambda: len(received) >= EVENTS, timeout=180, what="the events")
        wait_for(
            lambda: all(recorded_delivered(pk) for pk in subscriptions),
            timeout=60,
            interval=2,
            what="the outbox to record every delivery",
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=60) for worker in workers]

    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    counts = Counter(received)
    assert len(counts) == EVENTS
    assert set(counts.values()) == {1}
    # Each event reached both subscriptions.
    assert Counter(event for _, event in counts).most_common()[-1][1] == 2
