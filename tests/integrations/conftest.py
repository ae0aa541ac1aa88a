import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest

from integrations.services import create_subscription
from tests.integrations.mlflow_server import mlflow, mlflow_uri  # noqa: F401
from tests.integrations.ports import loopback_server
from tests.integrations.smtp_server import mail_server  # noqa: F401
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
    `statuses` (the last one repeats) and keeps what it received. With `hold`,
    it answers only once the event is set (the test's teardown sets it): a
    receiver that hangs."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    delay_seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None
    got_one: threading.Event = field(default_factory=threading.Event)
    port: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    tls: tuple[str, str] | None = None  # certificate and key files
    server_names: list[str | None] = field(default_factory=list)


def _start_receiver(receiver: Receiver):
    counting = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            with counting:
                receiver.in_flight += 1
                receiver.most_in_flight = max(
                    receiver.most_in_flight, receiver.in_flight
                )
            try:
                self._answer()
            finally:
                with counting:
                    receiver.in_flight -= 1

        def _answer(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            receiver.received.append(
                Received(self.path, dict(self.headers.items()), body)
            )
            receiver.got_one.set()
            if receiver.hold is not None:
                receiver.hold.wait(60)
            if receiver.delay_seconds:
                threading.Event().wait(receiver.delay_seconds)
            index = min(len(receiver.received), len(receiver.statuses)) - 1
            status = receiver.statuses[index]
            answer = f'{{"received": {len(receiver.received)}}}'.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the sender gave up waiting (a held receiver)

        def log_message(self, *args):
            pass

    server = loopback_server(Handler)
    if receiver.tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*receiver.tls)
        context.sni_callback = lambda _s, name, _c: receiver.server_names.append(name)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    receiver.port = server.server_port
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks/mlgov"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop():
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()

    return stop


@pytest.fixture
def make_receiver():
    """Start real HTTP receivers on loopback, stopped at the end of the test."""
    stops = []

    def make(**options) -> Receiver:
        receiver = Receiver(url="", **options)
        stops.append(_start_receiver(receiver))
        return receiver

    yield make
    for stop in stops:
        stop()


@pytest.fixture
def receiver(make_receiver):
    """A real HTTP server on loopback that keeps what it receives."""
    return make_receiver()


@pytest.fixture
def loopback_allowed(settings):
    """Test receivers listen on loopback, which the destination policy refuses
    unless an operator allows it: these tests allow it, as an operator with an
    internal receiver would."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return settings


@pytest.fixture
def subscribe(governance_admin, loopback_allowed):
    def make(url, event_types, name="receiver", secret="s3cret-signing-key-123"):
        return create_subscription(
            actor=governance_admin,
            name=name,
            url=url,
            event_types=event_types,
            secret=secret,
        )

    return make
