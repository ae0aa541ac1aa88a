"""A fake MLflow tracking server for the import's tests, well-behaved by
default and hostile on demand: each endpoint's answer can be replaced by any
JSON value or by a function that writes the raw HTTP answer itself
(redirects, drip feeds, oversized bodies). It keeps every request it saw,
headers included, so a test can tell where a credential went.

Real HTTP on loopback (a free port of TEST_PORTS), one thread per request,
started and stopped by `serve` (a fixture yields from it)."""

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.integrations.ports import loopback_server

API = "/api/2.0/mlflow/"


@dataclass
class Seen:
    """One request the fake server received."""

    method: str
    endpoint: str
    query: dict[str, list[str]]
    headers: dict[str, str]


# A raw answer: writes status, headers and body to the handler itself.
Raw = Callable[[BaseHTTPRequestHandler], None]


def _run(run_id: str, metrics: dict[str, float]) -> dict[str, Any]:
    return {
        "info": {"run_id": run_id, "experiment_id": "0"},
        "data": {
            "metrics": [{"key": k, "value": v} for k, v in metrics.items()],
            "params": [{"key": "depth", "value": "6"}],
        },
    }


@dataclass
class FakeMlflow:
    """One model, `churn`, with one READY version whose run logged an auc;
    `answers[endpoint]` replaces what an endpoint says."""

    uri: str = ""
    registered_models: list[Any] = field(
        default_factory=lambda: [
            {
                "name": "churn",
                "description": "Who leaves",
                "tags": [{"key": "owner", "value": "ana"}],
                "aliases": [{"alias": "champion", "version": "1"}],
            }
        ]
    )
    model_versions: list[Any] = field(
        default_factory=lambda: [
            {
                "name": "churn",
                "version": "1",
                "source": "runs:/r1/model",
                "run_id": "r1",
                "status": "READY",
            }
        ]
    )
    runs: list[Any] = field(default_factory=lambda: [_run("r1", {"auc": 0.91})])
    answers: dict[str, Any] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def default_answer(self, endpoint: str, query: dict[str, list[str]]) -> Any:
        if endpoint == "registered-models/search":
            return {"registered_models": self.registered_models}
        if endpoint == "registered-models/get":
            name = query.get("name", [""])[0]
            for model in self.registered_models:
                if isinstance(model, dict) and model.get("name") == name:
                    return {"registered_model": model}
            return None
        if endpoint == "model-versions/search":
            return {"model_versions": self.model_versions}
        if endpoint == "experiments/search":
            return {"experiments": [{"experiment_id": "0"}]}
        if endpoint == "runs/search":
            return {"runs": self.runs}
        if endpoint == "runs/get":
            return None
        return None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(handler.path)
        endpoint = url.path.removeprefix(API)
        query = urllib.parse.parse_qs(url.query)
        self.seen.append(
            Seen(handler.command, endpoint, query, dict(handler.headers.items()))
        )
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        answer = (
            self.answers[endpoint]
            if endpoint in self.answers
            else self.default_answer(endpoint, query)
        )
        if callable(answer):
            answer(handler)
        elif answer is None and endpoint not in self.answers:
            send_json(
                handler,
                {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "not found"},
                status=404,
            )
        else:
            send_json(handler, answer)

    @property
    def authorizations(self) -> list[str]:
        """Every Authorization header this server received."""
        return [
            value
            for request in self.seen
            for name, value in request.headers.items()
            if name.lower() == "authorization"
        ]


def send_json(handler: BaseHTTPRequestHandler, value: Any, status: int = 200) -> None:
    send_bytes(handler, json.dumps(value).encode(), status=status)


def send_bytes(handler: BaseHTTPRequestHandler, body: bytes, status: int = 200) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirect_to(location: str, status: int = 302) -> Raw:
    """An answer that sends the client elsewhere."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def unsized(body: bytes) -> Raw:
    """An answer without Content-Length: its end is the end of the connection."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def drip(fake: FakeMlflow, *, in_headers: bool = False, every: float = 0.2) -> Raw:
    """An answer that never finishes: a byte every `every` seconds, in the
    body (after honest headers) or already in the header lines, until the
    client hangs up or the server stops."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        try:
            if in_headers:
                handler.wfile.write(b"HTTP/1.0 200 OK\r\n")
                line = b"X-Drip: " + b"a" * 10_000_000
            else:
                handler.send_response(200)
                handler.send_header("Content-Length", "10000000")
                handler.end_headers()
                line = b'{"registered_models": [' + b" " * 10_000_000
            handler.wfile.flush()
            for byte in line:
                if fake.stopping.wait(every):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
        except OSError:
            return  # the client hung up, as it should

    return answer


def serve(fake: FakeMlflow) -> Iterator[FakeMlflow]:
    """Serve `fake` on loopback until the generator is closed; for a
    fixture to yield from."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            fake.handle(self)

        def do_POST(self):
            fake.handle(self)

        def log_message(self, *args):
            pass

    server = loopback_server(Handler)
    fake.uri = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
