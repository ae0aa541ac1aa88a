"""gunicorn's sync worker, which closes a connection as soon as its response
is out when the client has nothing more to send.

gunicorn closes every connection with a lingering close (RFC 9112 §9.6):
it sends FIN, then waits, up to 2 s, for the client to close its side,
reading and discarding whatever arrives. That wait exists for one case: a
client whose data the server has not read (an unread request body, a
pipelined request) would otherwise get a reset that can destroy the response
before the client reads it. A sync worker serves one connection at a time,
so it serves nothing while it waits for a client that has nothing to send:
at 8 clients on 2 workers, reads spent about a fifth of their time there
(docs/performance.md).

This worker closes at once when that case cannot arise: the request was
read to its last byte and nothing more has arrived. Otherwise, and for TLS
and chunked requests, gunicorn's lingering close runs as before. nginx's
`lingering_close on`, its default, makes the same choice. Imports no Django:
gunicorn's master loads it.
"""

import contextlib
import socket

from gunicorn.http.body import LengthReader
from gunicorn.workers import sync


def request_read_whole(request) -> bool:
    """Whether the request's body, if it had one, was read to its end (a
    request without a body has gunicorn's empty length reader)."""
    reader = getattr(request.body, "reader", None)
    return isinstance(reader, LengthReader) and reader.length == 0


def nothing_more_sent(client: socket.socket) -> bool:
    """Whether the client's socket holds no data the server has not read: it
    is empty, or the client has closed its side. Never waits: a socket with a
    timeout would wait for data before a peek, MSG_DONTWAIT or not."""
    timeout = client.gettimeout()
    client.setblocking(False)
    try:
        return not client.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        client.settimeout(timeout)


class SyncWorker(sync.SyncWorker):
    def handle_request(self, listener, req, client, addr) -> None:
        # Returns only when the whole response was written: gunicorn raises
        # on every failure, and then closes the connection its own way.
        super().handle_request(listener, req, client, addr)
        if (
            not self.cfg.is_ssl
            and request_read_whole(req)
            and nothing_more_sent(client)
        ):
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_WR)
            # gunicorn's lingering close then finds the socket closed and
            # does nothing (tests/mlgov/test_gunicorn_worker.py holds it).
            client.close()
