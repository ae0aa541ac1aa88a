"""gunicorn settings for mlgov, all from the environment (see .env.example and
docs/operations.md for how workers and the database pool add up).

    gunicorn mlgov.wsgi        # picks this file up from the working directory
"""

import gc
import multiprocessing
import os
import shutil
import tempfile
import threading
import time

# Prometheus multiprocess mode: every worker writes its counters to files in
# this directory and a scrape sums them. It must be set before any worker
# imports prometheus_client, so it is decided here, in the master.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix="mlgov-prometheus-"
    )
_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
os.makedirs(_metrics_dir, exist_ok=True)


def _env(name: str, default: str) -> str:
    """An environment variable; unset and empty both mean the default."""
    return os.environ.get(name) or default


def _default_workers() -> int:
    # The usual 2 x cores + 1, capped: each worker holds its own database
    # pool, and PostgreSQL's connections are the scarcer resource.
    return min(2 * multiprocessing.cpu_count() + 1, 12)


bind = _env("GUNICORN_BIND", f"0.0.0.0:{_env('PORT', '8000')}")
workers = int(_env("GUNICORN_WORKERS", str(_default_workers())))
# sync workers: a worker accepts a connection only when it is free, so the
# kernel's accept queue hands each request to the first free worker. A
# gthread worker accepts while it is busy and queues behind itself, and a
# keep-alive connection stays with the worker that accepted it: at 8 clients
# on 4 workers, some waited behind two others while a worker sat idle, and
# the gate's p95 was far above its median (docs/performance.md). Requests are
# short and the proxy in front is close, so keep-alive to the app saves
# little (docs/decisions.md). mlgov's sync worker is gunicorn's, closing a
# connection without lingering when the client has nothing more to send
# (mlgov/gunicorn_worker.py); "sync" is gunicorn's own.
worker_class = _env("GUNICORN_WORKER_CLASS", "mlgov.gunicorn_worker.SyncWorker")
threads = int(_env("GUNICORN_THREADS", "1"))
timeout = int(_env("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(_env("GUNICORN_KEEPALIVE", "5"))
# The app is imported once, in the master, and each worker is a fork of it:
# importing it costs seconds of CPU (SciPy alone is most of that), which
# every worker start and every recycling would otherwise pay again while
# serving. Nothing in it opens a connection or a thread at import time
# (tests/mlgov/test_gunicorn.py); a code change needs a restart, not a HUP.
preload_app = _env("GUNICORN_PRELOAD", "true").lower() in ("1", "true", "yes")
# Recycle workers now and then so a slow leak cannot grow without bound;
# rarely, because a recycled worker starts with cold caches.
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = int(_env("GUNICORN_MAX_REQUESTS_JITTER", "2000"))
# The app logs one JSON access event per request itself.
accesslog = None
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "mlgov.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "propagate": False},
    },
}
# gunicorn's control socket has one default path per user, which several
# instances on a host would share; it is on only when given a path.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
# Behind a proxy, the app reads the client address from CLIENT_IP_HEADER.
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def on_starting(server) -> None:
    """Start from an empty metrics directory: files of a previous run's
    workers would otherwise be summed into this run's counters. Say once when
    several workers would each count rate limits on their own."""
    if workers > 1 and not os.environ.get("REDIS_URL"):
        server.log.warning(
            "mlgov.I001: %d workers without REDIS_URL: each counts rate limits "
            "and caches on its own. Set REDIS_URL to share them.",
            workers,
        )
    for name in os.listdir(_metrics_dir):
        path = os.path.join(_metrics_dir, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def pre_fork(server, worker) -> None:
    """Freeze the preloaded app's objects before a worker is forked.

    They live as long as the process (hundreds of thousands: Django, DRF,
    SciPy), and a worker's full collection walked them all: a long pause,
    now and then, which the requests queued behind it waited out
    (docs/performance.md has the figures). Frozen, a full collection sees
    only the worker's own objects, and it no longer writes to the pages a
    worker shares with the master."""
    gc.freeze()


def child_exit(server, worker) -> None:
    """Mark a dead worker's live gauges as gone (its counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


# gthread workers answer the arbiter's heartbeat from their main loop, not
# from the thread serving a request, so `timeout` alone never ends a request
# that runs too long. One watchdog thread per worker looks at the requests in
# flight: past `timeout` seconds the worker logs and exits at once (os._exit:
# a request thread cannot be interrupted), and the arbiter starts a fresh one,
# exactly as it does for a sync worker that misses its heartbeat. A timer
# thread per request did the same at the cost of starting a thread for every
# request, a measurable share of a small read.
_requests_in_flight: dict[int, tuple[float, object]] = {}
_WATCHDOG_PERIOD = min(1.0, timeout / 4)


def _request_timed_out(worker, req) -> None:
    worker.log.critical(
        "WORKER TIMEOUT: %s %s ran past %ss; restarting worker (pid:%s)",
        req.method,
        req.path,
        timeout,
        worker.pid,
    )
    os._exit(1)


def _watch_requests(worker) -> None:
    while True:
        time.sleep(_WATCHDOG_PERIOD)
        now = time.monotonic()
        for started, req in list(_requests_in_flight.values()):
            if now - started > timeout:
                _request_timed_out(worker, req)


def post_worker_init(worker) -> None:
    from gunicorn.workers.sync import SyncWorker

    # A sync worker's heartbeat stops while it serves, so the arbiter ends a
    # request past `timeout` by itself; only a threaded worker needs a watch
    # (gunicorn runs gthread when GUNICORN_THREADS > 1, whatever the class).
    if isinstance(worker, SyncWorker):
        return
    threading.Thread(
        target=_watch_requests, args=(worker,), name="request-watchdog", daemon=True
    ).start()


def pre_request(worker, req) -> None:
    _requests_in_flight[threading.get_ident()] = (time.monotonic(), req)


def post_request(worker, req, environ, resp) -> None:
    _requests_in_flight.pop(threading.get_ident(), None)
