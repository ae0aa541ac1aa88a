"""Loopback ports for the servers tests start: a range of their own, tried
in random order so that parallel test workers rarely reach for the same one."""

import random
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Servers started by tests listen on loopback, on a port of this range.
TEST_PORTS = range(18700, 18800)


def _candidates() -> list[int]:
    ports = list(TEST_PORTS)
    random.shuffle(ports)
    return ports


def free_port() -> int:
    """A loopback port of TEST_PORTS that nothing listens on now."""
    for port in _candidates():
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in the test range")


def loopback_server(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """An HTTP server bound on loopback to a free port of TEST_PORTS; binding
    is the check, so two workers cannot end up on one port."""
    for port in _candidates():
        try:
            return ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError:
            continue
    raise RuntimeError("no free port in the test range")
