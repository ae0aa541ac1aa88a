"""Bounded load test of one API read under gunicorn, on loopback only.

Starts gunicorn (gunicorn.conf.py, --workers N) on a free 127.0.0.1 port with
the current environment (DATABASE_URL, REDIS_URL), issues a viewer token,
sends at most --requests requests for at most --seconds from --concurrency
keep-alive connections, prints requests/second and latency percentiles, and
stops the server. Rate limits stay on (their Redis round trip is part of the
cost) but the read budget is raised so the bench is not throttled.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_hardening \\
    REDIS_URL=redis://127.0.0.1:6379/2 \\
        python bench/bench_api_load.py --workers 4 --requests 4000
"""

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_REQUESTS = 50_000
MAX_SECONDS = 120.0
MAX_CONCURRENCY = 64


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def issue_token(env: dict[str, str]) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "issue_token",
            "bench-bot",
            "--role",
            "viewer",
            "--days",
            "1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return re.search(r"mlg_[A-Za-z0-9_-]+", result.stdout).group(0)


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    server_env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "RATELIMIT_API_READ": "1000000/m",
        "LOG_LEVEL": "WARNING",  # access events would cost more than the read
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "mlgov.wsgi"],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"gunicorn exited: {process.stderr.read().decode()[-2000:]}"
            )
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not come up within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def load(
    port: int,
    path: str,
    token: str,
    *,
    requests: int,
    seconds: float,
    concurrency: int,
    body: dict | None = None,
) -> dict:
    """Run the bounded load (GET, or POST of `body` as JSON); latencies in
    milliseconds."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    method, payload = "GET", None
    if body is not None:
        method, payload = "POST", json.dumps(body)
        headers["Content-Type"] = "application/json"

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {
        "requests": len(latencies),
        "seconds": round(wall, 2),
        "requests_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(50), 1),
        "p95_ms": round(percentile(95), 1),
        "p99_ms": round(percentile(99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/api/v1/models/")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be between 1 and {MAX_REQUESTS}")
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be between 0 and {MAX_SECONDS}")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")

    env = dict(os.environ)
    token = issue_token(env)
    port = free_port()
    process = start_server(env, port, args.workers)
    try:
        load(
            port,
            args.path,
            token,
            requests=args.warmup,
            seconds=30,
            concurrency=args.concurrency,
        )
        result = load(
            port,
            args.path,
            token,
            requests=args.requests,
            seconds=args.seconds,
            concurrency=args.concurrency,
        )
    finally:
        stop_server(process)
    result.update(
        path=args.path,
        workers=args.workers,
        concurrency=args.concurrency,
        database=env.get("DATABASE_URL", "sqlite (embedded)").split("@")[-1],
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
