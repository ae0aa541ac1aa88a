"""Bounded load test of the API under gunicorn, on loopback only.

Starts gunicorn (gunicorn.conf.py, --workers N) on a free 127.0.0.1 port with
the current environment (DATABASE_URL, REDIS_URL), issues a token, sends at
most --requests requests for at most --seconds from --concurrency keep-alive
connections, prints requests/second and latency percentiles, and stops the
server. Rate limits stay on (their Redis round trip is part of the cost) but
the budgets are raised so the bench is not throttled.

One endpoint (a viewer's GET of --path):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_hardening \\
    REDIS_URL=redis://127.0.0.1:6379/2 \\
        python bench/bench_api_load.py --workers 4 --requests 4000

Mixed traffic (--mix): a governance admin's token sends the blend of MIX
below, 73 % reads and 27 % writes (the go-live probe's share), each request
drawn at random with a fixed seed per client; it prints percentiles overall
and per endpoint, and every answer that is an error. The writes are real
(versions, drift reports, recorded deployment decisions): use a scratch
database, seeded with `manage.py seed_demo`. --root runs another checkout's
code (a before/after comparison) with this script.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_loadbench \\
    REDIS_URL=redis://127.0.0.1:6379/11 \\
        python bench/bench_api_load.py --mix --concurrency 32 --seconds 60
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
MAX_REQUESTS = 50_000
MAX_SECONDS = 120.0
MAX_CONCURRENCY = 64
# Raised budgets: the limiter still counts every request in Redis.
UNTHROTTLED = "1000000/m"
# Error answers kept per endpoint and status for the printout.
ERROR_EXAMPLES = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def issue_token(env: dict[str, str], *, role: str = "viewer", root: Path = ROOT) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "issue_token",
            f"bench-{role.replace('_', '-')}",
            "--role",
            role,
            "--days",
            "1",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    token = re.search(r"mlg_[A-Za-z0-9_-]+", result.stdout)
    if token is None:
        raise SystemExit(f"issue_token printed no token: {result.stderr[-500:]}")
    return token.group(0)


def start_server(
    env: dict[str, str], port: int, workers: int, *, root: Path = ROOT
) -> subprocess.Popen:
    server_env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "RATELIMIT_API_READ": UNTHROTTLED,
        "RATELIMIT_API_WRITE": UNTHROTTLED,
        "LOG_LEVEL": "WARNING",  # access events would cost more than the read
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "mlgov.wsgi"],
        cwd=root,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = process.stderr.read() if process.stderr else b""
            raise SystemExit(f"gunicorn exited: {log.decode()[-2000:]}")
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


def failed(status: int) -> bool:
    """Any answer but a 2xx (0: no answer at all)."""
    return not 200 <= status < 300


@dataclass(frozen=True)
class Call:
    """One request to send: `label` names its endpoint in the results."""

    label: str
    method: str
    path: str
    body: bytes | None = None


@dataclass(frozen=True)
class Sample:
    label: str
    status: int
    milliseconds: float
    excerpt: str  # the answer's start, kept for errors only


def drive(
    port: int,
    token: str,
    next_call: Callable[[random.Random], Call],
    *,
    requests: int,
    seconds: float,
    concurrency: int,
    seed: int = 20,
) -> tuple[list[Sample], float]:
    """Send at most `requests` calls for at most `seconds` from `concurrency`
    clients, each drawing its calls from `next_call` with its own seeded
    random generator; the samples and the wall time in seconds."""
    samples: list[Sample] = []
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            call = next_call(rng)
            call_headers = headers
            if call.body is not None:
                call_headers = {**headers, "Content-Type": "application/json"}
            excerpt = ""
            started = time.perf_counter()
            try:
                connection.request(
                    call.method, call.path, body=call.body, headers=call_headers
                )
                response = connection.getresponse()
                answer = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, answer = 0, repr(error).encode()
            elapsed = (time.perf_counter() - started) * 1000
            if failed(status):
                excerpt = answer[:300].decode(errors="replace")
            with lock:
                samples.append(Sample(call.label, status, elapsed, excerpt))
        connection.close()

    threads = [
        threading.Thread(target=client, args=(index,)) for index in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, time.perf_counter() - started


def percentiles(samples: list[Sample], wall: float) -> dict:
    """Requests/second, latency percentiles (ms) and statuses of `samples`."""
    latencies = sorted(sample.milliseconds for sample in samples)
    statuses: dict[int, int] = {}
    for sample in samples:
        statuses[sample.status] = statuses.get(sample.status, 0) + 1
    if not latencies:
        return {"requests": 0, "statuses": statuses}

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
    """Run the bounded load on one path (GET, or POST of `body` as JSON);
    latencies in milliseconds."""
    call = Call(path, "GET", path)
    if body is not None:
        call = Call(path, "POST", path, json.dumps(body).encode())
    samples, wall = drive(
        port,
        token,
        lambda rng: call,
        requests=requests,
        seconds=seconds,
        concurrency=concurrency,
    )
    return percentiles(samples, wall)


# --- Mixed traffic -----------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """What the mixed calls name, read from the API before the load."""

    models: tuple[tuple[str, int], ...]  # (name, latest version), with versions
    approved: tuple[tuple[str, int], ...]  # (name, version) of approved versions
    environment: str


# A call's method, path and JSON body (None for a GET).
Request = tuple[str, str, bytes | None]


def _get_json(port: int, token: str, path: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "GET",
            path,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {answer[:300]!r}")
    return json.loads(answer)


def _pages(port: int, token: str, path: str, *, limit: int = 20) -> list[dict]:
    """The rows of up to `limit` pages of a cursor-paginated list."""
    rows: list[dict] = []
    next_path: str | None = path
    for _ in range(limit):
        if next_path is None:
            break
        page = _get_json(port, token, next_path)
        rows.extend(page["results"])
        following = page.get("next")
        next_path = None
        if following:
            parts = urlsplit(following)
            next_path = f"{parts.path}?{parts.query}"
    return rows


def discover(port: int, token: str) -> Targets:
    models = tuple(
        (row["name"], row["latest_version"])
        for row in _pages(port, token, "/api/v1/models/?page_size=200")
        if row["latest_version"]
    )
    approved = tuple(
        (row["model"], row["version"])
        for row in _pages(
            port, token, "/api/v1/versions/?status=approved&page_size=200", limit=5
        )
    )
    environments = [row["name"] for row in _pages(port, token, "/api/v1/environments/")]
    if not models or not approved or not environments:
        raise SystemExit(
            "The mix needs models with versions, approved versions and "
            "environments: run manage.py seed_demo first."
        )
    environment = "production" if "production" in environments else environments[-1]
    return Targets(models=models, approved=approved, environment=environment)


def _json(body: dict) -> bytes:
    return json.dumps(body).encode()


def _deployment_body(rng: random.Random, targets: Targets) -> bytes:
    name, version = rng.choice(targets.approved)
    return _json(
        {"model": name, "version": version, "environment": targets.environment}
    )


def _version_body(rng: random.Random, name: str) -> bytes:
    return _json(
        {
            "artifact_uri": f"s3://bench/{name}/{uuid.UUID(int=rng.getrandbits(128))}",
            "framework": "sklearn",
            "metrics": {"auc": round(rng.uniform(0.7, 0.95), 4)},
            "params": {"max_depth": rng.randint(2, 12)},
        }
    )


# Histograms of 10 numeric features, 20 bins each: what a monitoring job
# posts (raw values are a different, heavier workload: bench_drift_api.py).
DRIFT_FEATURES = 10
DRIFT_EDGES = [None, *(round(-3 + 6 * i / 18, 3) for i in range(19)), None]


def _drift_body(rng: random.Random, targets: Targets) -> bytes:
    name, version = rng.choice(targets.approved)

    def histogram() -> dict:
        return {
            "bin_edges": DRIFT_EDGES,
            "counts": [rng.randint(50, 500) for _ in DRIFT_EDGES[1:]],
        }

    return _json(
        {
            "model": name,
            "version": version,
            "environment": targets.environment,
            "window_start": "2026-11-01T00:00:00Z",
            "window_end": "2026-11-08T00:00:00Z",
            "features": [
                {
                    "name": f"feature_{index}",
                    "kind": "numeric",
                    "reference": histogram(),
                    "current": histogram(),
                }
                for index in range(DRIFT_FEATURES)
            ],
        }
    )


def _model(rng: random.Random, targets: Targets) -> tuple[str, int]:
    return rng.choice(targets.models)


def _models(rng: random.Random, targets: Targets) -> Request:
    return "GET", "/api/v1/models/", None


def _one_model(rng: random.Random, targets: Targets) -> Request:
    return "GET", f"/api/v1/models/{_model(rng, targets)[0]}/", None


def _one_version(rng: random.Random, targets: Targets) -> Request:
    name, version = _model(rng, targets)
    return "GET", f"/api/v1/models/{name}/versions/{version}/", None


def _summary(rng: random.Random, targets: Targets) -> Request:
    return "GET", "/api/v1/portfolio/summary/", None


def _alerts(rng: random.Random, targets: Targets) -> Request:
    return "GET", "/api/v1/drift/alerts/", None


def _gate_check(rng: random.Random, targets: Targets) -> Request:
    return "POST", "/api/v1/deployments/check/", _deployment_body(rng, targets)


def _new_version(rng: random.Random, targets: Targets) -> Request:
    name = _model(rng, targets)[0]
    return "POST", f"/api/v1/models/{name}/versions/", _version_body(rng, name)


def _drift_report(rng: random.Random, targets: Targets) -> Request:
    return "POST", "/api/v1/drift/reports/", _drift_body(rng, targets)


def _deployment_request(rng: random.Random, targets: Targets) -> Request:
    return "POST", "/api/v1/deployments/", _deployment_body(rng, targets)


@dataclass(frozen=True)
class Operation:
    label: str
    weight: int  # share of the mix, in percent
    write: bool
    build: Callable[[random.Random, Targets], Request]


# The mixed workload: 73 % reads (the gate's dry-run counts as a read: it
# records nothing), 27 % writes, close to the go-live probe's blend. Weights
# add up to 100. Every call expects a 2xx answer (a blocked deployment is a
# 201 with `decision: blocked`, a failing gate check a 200): anything else is
# an error, counted and printed.
MIX: tuple[Operation, ...] = (
    Operation("GET models", 15, False, _models),
    Operation("GET model", 15, False, _one_model),
    Operation("GET version", 15, False, _one_version),
    Operation("GET portfolio summary", 10, False, _summary),
    Operation("GET drift alerts", 10, False, _alerts),
    Operation("POST gate check (dry-run)", 8, False, _gate_check),
    Operation("POST version", 12, True, _new_version),
    Operation("POST drift report", 8, True, _drift_report),
    Operation("POST deployment request", 7, True, _deployment_request),
)
assert sum(operation.weight for operation in MIX) == 100


def mixed_caller(targets: Targets) -> Callable[[random.Random], Call]:
    weights = [operation.weight for operation in MIX]

    def next_call(rng: random.Random) -> Call:
        operation = rng.choices(MIX, weights)[0]
        return Call(operation.label, *operation.build(rng, targets))

    return next_call


def mixed_report(samples: list[Sample], wall: float) -> dict:
    """Overall and per-endpoint percentiles, the error count and examples."""
    errors = [sample for sample in samples if failed(sample.status)]
    examples: dict[str, list[str]] = {}
    for sample in errors:
        kept = examples.setdefault(f"{sample.label} -> {sample.status}", [])
        if len(kept) < ERROR_EXAMPLES:
            kept.append(sample.excerpt)
    endpoints = {}
    for operation in MIX:
        own = [sample for sample in samples if sample.label == operation.label]
        endpoints[operation.label] = {
            "share_percent": operation.weight,
            "write": operation.write,
            **percentiles(own, wall),
        }
    writes = {operation.label for operation in MIX if operation.write}
    return {
        "overall": percentiles(samples, wall),
        "write_share_percent": round(
            100 * sum(sample.label in writes for sample in samples) / len(samples), 1
        )
        if samples
        else None,
        "errors": len(errors),
        "error_examples": examples,
        "endpoints": endpoints,
    }


def _commit(root: Path) -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return result.stdout.strip() + ("+changes" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/api/v1/models/")
    parser.add_argument(
        "--mix",
        action="store_true",
        help="Mixed reads and writes (MIX) instead of --path alone.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="The checkout whose code gunicorn runs (default: this one).",
    )
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
    if not 0 <= args.warmup <= MAX_REQUESTS:
        parser.error(f"--warmup must be between 0 and {MAX_REQUESTS}")
    root = args.root.resolve()
    if not (root / "manage.py").is_file():
        parser.error(f"--root {root} has no manage.py")

    env = dict(os.environ)
    token = issue_token(
        env, role="governance_admin" if args.mix else "viewer", root=root
    )
    port = free_port()
    load_before = os.getloadavg()
    process = start_server(env, port, args.workers, root=root)
    try:
        if args.mix:
            next_call = mixed_caller(discover(port, token))
        else:
            call = Call(args.path, "GET", args.path)
            next_call = lambda rng: call  # noqa: E731
        bounded = {"concurrency": args.concurrency}
        if args.warmup:
            drive(port, token, next_call, requests=args.warmup, seconds=30, **bounded)
        samples, wall = drive(
            port,
            token,
            next_call,
            requests=args.requests,
            seconds=args.seconds,
            **bounded,
        )
    finally:
        stop_server(process)
    result = mixed_report(samples, wall) if args.mix else percentiles(samples, wall)
    result.update(
        path="mix" if args.mix else args.path,
        workers=args.workers,
        concurrency=args.concurrency,
        root=str(root),
        commit=_commit(root),
        database=env.get("DATABASE_URL", "sqlite (embedded)").split("@")[-1],
        load_average_before=[round(value, 2) for value in load_before],
        load_average_after=[round(value, 2) for value in os.getloadavg()],
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
