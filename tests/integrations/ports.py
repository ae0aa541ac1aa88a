"""Loopback ports for the servers tests start."""

import socket

# Servers started by tests listen on loopback, on a port of this range.
TEST_PORTS = range(18700, 18800)


def free_port() -> int:
    """A loopback port of TEST_PORTS that nothing listens on now."""
    for port in TEST_PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in the test range")
