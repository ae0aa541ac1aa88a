"""mlgov's sync worker closes a connection at once when the client has
nothing more to send, and leaves every other close to gunicorn's lingering
close, which keeps a reset from destroying a response the client has not
read yet."""

import json
import os
import select
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from gunicorn import http
from gunicorn.config import Config

from mlgov.gunicorn_worker import SyncWorker

ROOT = Path(__file__).resolve().parents[2]


class QuietLog:
    def __init__(self) -> None:
        self.exceptions: list[str] = []

    def access(self, *args, **kwargs) -> None:
        pass

    def debug(self, *args, **kwargs) -> None:
        pass

    def info(self, *args, **kwargs) -> None:
        pass

    def exception(self, message, *args, **kwargs) -> None:
        self.exceptions.append(message)


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def echo(environ, start_response):
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


def make_worker(app) -> SyncWorker:
    worker = SyncWorker(
        age=1,
        ppid=os.getpid(),
        sockets=[],
        app=None,
        timeout=30,
        cfg=Config(),
        log=QuietLog(),
    )
    worker.wsgi = app
    return worker


@pytest.fixture
def connection():
    """A loopback connection: (listener, the server's end, the client's end)."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server_end, _ = listener.accept()
    yield listener, server_end, client
    for sock in (client, server_end, listener):
        sock.close()


def read_to_end(client: socket.socket) -> bytes:
    client.settimeout(10)
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    return received


def serve(worker, listener, server_end) -> None:
    request = next(http.get_parser(worker.cfg, server_end, ("127.0.0.1", 0)))
    worker.handle_request(listener, request, server_end, ("127.0.0.1", 0))


def test_a_read_is_closed_as_soon_as_its_response_is_out(connection):
    listener, server_end, client = connection
    client.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")

    serve(make_worker(hello), listener, server_end)

    assert server_end.fileno() == -1
    response = read_to_end(client)
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close\r\n" in response
    assert response.endswith(b"\r\n\r\nhello")


def test_a_socket_with_a_timeout_is_looked_at_without_waiting(connection):
    listener, server_end, client = connection
    server_end.settimeout(5)
    client.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")

    serve(make_worker(hello), listener, server_end)

    assert server_end.fileno() == -1
    assert read_to_end(client).endswith(b"\r\n\r\nhello")


def test_a_body_read_whole_is_closed_at_once_too(connection):
    listener, server_end, client = connection
    client.sendall(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world"
    )

    serve(make_worker(echo), listener, server_end)

    assert server_end.fileno() == -1
    assert read_to_end(client).endswith(b"\r\n\r\nhello world")


def test_a_body_not_yet_read_is_left_to_the_lingering_close(connection):
    """The body is still on its way: closing now would answer it with a reset
    that can destroy the response."""
    listener, server_end, client = connection
    client.sendall(b"POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")

    serve(make_worker(hello), listener, server_end)

    assert server_end.fileno() != -1


def test_data_sent_after_the_request_is_left_to_the_lingering_close(connection):
    listener, server_end, client = connection
    worker = make_worker(hello)
    client.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    request = next(http.get_parser(worker.cfg, server_end, ("127.0.0.1", 0)))
    client.sendall(b"GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
    assert select.select([server_end], [], [], 10)[0]

    worker.handle_request(listener, request, server_end, ("127.0.0.1", 0))

    assert server_end.fileno() != -1


def test_a_chunked_request_is_left_to_the_lingering_close(connection):
    listener, server_end, client = connection
    client.sendall(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n"
    )

    def read_chunked(environ, start_response):
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    serve(make_worker(read_chunked), listener, server_end)

    assert server_end.fileno() != -1


def test_the_worker_moves_on_while_the_client_keeps_its_end_open(connection):
    """gunicorn's own handle() then finds the socket closed: it neither waits
    for the client (2 s) nor logs an error."""
    listener, server_end, client = connection
    worker = make_worker(hello)
    client.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    handled = threading.Event()

    def handle() -> None:
        worker.handle(listener, server_end, ("127.0.0.1", 0))
        handled.set()

    threading.Thread(target=handle, daemon=True).start()
    assert read_to_end(client).endswith(b"hello")

    assert handled.wait(timeout=1.5), "the worker waited for the client to close"
    assert worker.log.exceptions == []


def gunicorn_settings(**env: str) -> dict:
    """gunicorn.conf.py's worker class as gunicorn resolves it, in a process
    of its own (the file sets environment variables)."""
    script = (
        "import json, runpy\n"
        "from gunicorn.config import Config\n"
        "settings = runpy.run_path('gunicorn.conf.py')\n"
        "config = Config()\n"
        "for name in ('worker_class', 'threads'):\n"
        "    config.set(name, settings[name])\n"
        "print(json.dumps({'name': config.worker_class_str,\n"
        "    'class': config.worker_class.__module__ + '.'"
        " + config.worker_class.__name__}))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_production_runs_mlgovs_sync_worker_by_default():
    assert gunicorn_settings()["class"] == "mlgov.gunicorn_worker.SyncWorker"


def test_threads_still_mean_gunicorns_threaded_worker():
    settings = gunicorn_settings(GUNICORN_THREADS="2")
    assert settings["name"] == "gthread"
    assert settings["class"] == "gunicorn.workers.gthread.ThreadWorker"
