"""gunicorn settings for mlgov, all from the environment (see .env.example and
docs/operations.md for how workers and the database pool add up).

    gunicorn mlgov.wsgi        # picks this file up from the working directory
"""

import multiprocessing
import os
import shutil
import tempfile
import threading

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
worker_class = _env("GUNICORN_WORKER_CLASS", "gthread")
threads = int(_env("GUNICORN_THREADS", "1"))
timeout = int(_env("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(_env("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(_env("GUNICORN_MAX_REQUESTS_JITTER", "200"))
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


def child_exit(server, worker) -> None:
    """Mark a dead worker's live gauges as gone (its counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


# gthread workers answer the arbiter's heartbeat from their main loop, not
# from the thread serving a request, so `timeout` alone never ends a request
# that runs too long. Each request therefore arms its own timer: past
# `timeout` seconds the worker logs and exits at once (os._exit: a request
# thread cannot be interrupted), and the arbiter starts a fresh one, exactly
# as it does for a sync worker that misses its heartbeat.
_request_timers: dict[int, threading.Timer] = {}


def _request_timed_out(worker, req) -> None:
    worker.log.critical(
        "WORKER TIMEOUT: %s %s ran past %ss; restarting worker (pid:%s)",
        req.method,
        req.path,
        timeout,
        worker.pid,
    )
    os._exit(1)


def pre_request(worker, req) -> None:
    timer = threading.Timer(timeout, _request_timed_out, args=(worker, req))
    timer.daemon = True
    _request_timers[threading.get_ident()] = timer
    timer.start()


def post_request(worker, req, environ, resp) -> None:
    timer = _request_timers.pop(threading.get_ident(), None)
    if timer is not None:
        timer.cancel()
