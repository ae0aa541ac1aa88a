import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest

from integrations.services import create_subscription
from tests.integrations.mlflow_server import mlflow, mlflow_uri  # noqa: F401
from tests.integrations.ports import loopback_server
from tests.mlgov.conftest import log_lines  # noqa: F401  (shared fixture)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on loopback: answers each POST with the next status of
    `statuses` (the last one repeats) and keeps what it received."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    delay_seconds: float = 0.0


@pytest.fixture
def receiver():
    """A real HTTP server on loopback that keeps what it receives."""
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            receiver.received.append(
                Received(self.path, dict(self.headers.items()), body)
            )
            if receiver.delay_seconds:
                threading.Event().wait(receiver.delay_seconds)
            index = min(len(receiver.received), len(receiver.statuses)) - 1
            status = receiver.statuses[index]
            answer = f'{{"received": {len(receiver.received)}}}'.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = loopback_server(Handler)
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks/mlgov"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def subscribe(governance_admin):
    def make(url, event_types, name="receiver", secret="s3cret-signing-key-123"):
        return create_subscription(
            actor=governance_admin,
            name=name,
            url=url,
            event_types=event_types,
            secret=secret,
        )

    return make
