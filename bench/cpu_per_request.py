"""CPU time per request of mlgov's registry endpoints, measured on the server:
gunicorn in production mode (as bench_registry_vs_mlflow.py starts it, one
sync worker), requests sent one at a time, and the CPU time the worker and
its PostgreSQL backends spent over them read from /proc. On a shared host
the wall clock measures the neighbours; CPU time per request does not (much).

    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/cpu_per_request.py \\
        --database mlgov_i13_bench --workloads create --requests 500 --reps 5

The database must have been seeded by bench_registry_vs_mlflow.py (models
bench-model-00000 … with 3 versions, team "bench"); creates add versions
to it. Prints, per workload, the worker's CPU ms per request of each rep,
their median and minimum, and the PostgreSQL backends' likewise.
"""

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_registry_vs_mlflow import (
    ROOT,
    mlgov_env,
    prepare_mlgov,
    start_mlgov,
    stop,
)

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


def backends(database: str) -> list[int]:
    """The PostgreSQL backends connected to `database` (the worker's pool)."""
    output = subprocess.run(
        [
            "psql",
            "-qAt",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            "SELECT pid FROM pg_stat_activity WHERE datname = "
            f"'{database}' AND pid <> pg_backend_pid()",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [int(line) for line in output.split()]


def request(port: int, token: str, method: str, path: str, body: dict | None) -> int:
    # Sync workers close the connection after each response, as the
    # harness's clients find them.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Host": "127.0.0.1"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def workloads(models: int, rng: random.Random) -> dict[str, Callable[[], tuple]]:
    """The harness's requests (../shared/bench/registry_load.py, django)."""

    def name() -> str:
        return f"bench-model-{rng.randrange(models):05d}"

    return {
        "create": lambda: (
            "POST",
            f"/api/v1/models/{name()}/versions/",
            {
                "artifact_uri": "s3://bench-bucket/load/"
                + uuid.UUID(int=rng.getrandbits(128)).hex,
                "framework": "",
                "params": {"origin": "loadtest"},
            },
        ),
        "get": lambda: (
            "GET",
            f"/api/v1/models/{name()}/versions/{rng.randint(1, 3)}/",
            None,
        ),
        "list": lambda: (
            "GET",
            f"/api/v1/models/{name()}/versions/?page_size=100",
            None,
        ),
        "search": lambda: (
            "GET",
            f"/api/v1/models/?q=bench-model-{rng.randrange(models // 100):03d}"
            "&page_size=100",
            None,
        ),
    }


def measure(
    server: dict, call: Callable[[], tuple], requests: int
) -> tuple[float, float, float]:
    """CPU ms per request of the server's worker and of its PostgreSQL
    backends over `requests` requests, and the requests per second."""
    pids = backends(server["database"])
    app_before = cpu_seconds(server["worker"])
    db_before = sum(cpu_seconds(pid) for pid in pids)
    started = time.perf_counter()
    for _ in range(requests):
        status = request(server["port"], server["token"], *call())
        assert status < 300, status
    wall = time.perf_counter() - started
    app = (cpu_seconds(server["worker"]) - app_before) / requests * 1000
    database = (sum(cpu_seconds(pid) for pid in pids) - db_before) / requests * 1000
    return app, database, requests / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--port", type=int, default=18620)
    parser.add_argument("--workloads", default="create")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="another checkout (say `git archive` of the base commit), run "
        "beside this one on the next port, rep by rep, to compare on a host "
        "whose load moves",
    )
    args = parser.parse_args()
    if "REDIS_URL" not in os.environ:
        parser.error("set REDIS_URL (your own Redis database number)")
    if not 1 <= args.requests <= 5000 or not 1 <= args.reps <= 20:
        parser.error("--requests 1-5000, --reps 1-20")

    env = mlgov_env(args)
    token = prepare_mlgov(env, False, args.database)
    logs = Path(tempfile.mkdtemp(prefix="mlgov-cpu-"))
    roots = {"this": ROOT}
    if args.compare:
        roots = {"other": args.compare.resolve(), **roots}
    servers: dict[str, dict] = {}
    rng = random.Random(42)
    try:
        for offset, (label, root) in enumerate(roots.items()):
            port = args.port + offset
            process = start_mlgov(
                env, port, logs / f"{label}.log", workers=1, root=root
            )
            (worker,) = children(process.pid)
            servers[label] = {
                "process": process,
                "worker": worker,
                "port": port,
                "token": token,
                "database": args.database,
            }
        calls = workloads(args.models, rng)
        for workload in args.workloads.split(","):
            call = calls[workload]
            for server in servers.values():
                for _ in range(args.warmup):
                    status = request(server["port"], token, *call())
                    assert status < 300, status
            results: dict[str, list[tuple[float, float, float]]] = {
                label: [] for label in servers
            }
            for _ in range(args.reps):
                for label, server in servers.items():
                    results[label].append(measure(server, call, args.requests))
                    app, database, rate = results[label][-1]
                    print(
                        f"  {workload} {label}: worker {app:.2f} ms CPU/request, "
                        f"PostgreSQL {database:.2f}, {rate:.0f} requests/s",
                        file=sys.stderr,
                    )
            for label, reps in results.items():
                app = [rep[0] for rep in reps]
                database = [rep[1] for rep in reps]
                print(
                    f"{workload} {label} ({roots[label]}): worker CPU ms/request "
                    f"median {statistics.median(app):.2f} min {min(app):.2f} "
                    f"(reps {', '.join(f'{v:.2f}' for v in app)}); PostgreSQL "
                    f"median {statistics.median(database):.2f} "
                    f"min {min(database):.2f}"
                )
    finally:
        for server in servers.values():
            stop(server["process"])


if __name__ == "__main__":
    main()
