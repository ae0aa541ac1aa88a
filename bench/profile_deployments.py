"""CPU cost of the deployment gate, in process, through the whole middleware
stack (Django's test client with a bearer token), on a database seeded with
`manage.py seed_demo --models 10000`: the dry-run check and the recorded
request, with bench_deployments.py's request body and token.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_i10_bench \\
    REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/profile_deployments.py --requests 300 --top 30

Prints, per workload, the queries of one request and the CPU milliseconds
per request of this process (time.process_time, no profiler attached) and,
on PostgreSQL on this host, of the database's server processes serving it
(from /proc; Redis's share is not counted), then, with --top, the functions
with the most CPU time (cProfile on process_time). Recorded requests write
real decision records: use a scratch database. No wall-clock load is run.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("RATELIMIT_API_WRITE", "100000000/m")
os.environ.setdefault("RATELIMIT_API_READ", "100000000/m")

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(connection) -> float | None:
    """CPU seconds so far of every PostgreSQL backend connected to this
    database (they are this process's pool: use a database of your own)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        )
        pids = [pid for (pid,) in cursor.fetchall()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None  # PostgreSQL runs elsewhere
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


class StatementRecorder:
    """An execute wrapper keeping each statement's SQL (Django's query log
    has None for prepared statements)."""

    def __init__(self, statements: list[str]) -> None:
        self.statements = statements

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(sql)
        return execute(sql, params, many, context)


WORKLOADS = {"check": "/api/v1/deployments/check/", "request": "/api/v1/deployments/"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--workloads", default="check,request")
    parser.add_argument("--sql", action="store_true", help="print each query")
    args = parser.parse_args()
    if not 1 <= args.requests <= 5000:
        parser.error("--requests must be between 1 and 5000")

    from bench_deployments import prepare
    from django.db import connection
    from django.test import Client

    body, token, counts = prepare()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    print(f"body {body}, decision {counts['decision']}")

    def call(path: str) -> None:
        response = client.post(path, body, content_type="application/json")
        assert response.status_code in (200, 201), response.content[:500]

    for label in args.workloads.split(","):
        path = WORKLOADS[label]
        for _ in range(args.warmup):
            call(path)
        statements: list[str] = []
        with connection.execute_wrapper(StatementRecorder(statements)):
            call(path)
        # CPU time, not wall time: on a shared host the waits for a core
        # would drown where this process spends its own time.
        database_started = database_cpu_seconds(connection)
        cpu_started = time.process_time()
        for _ in range(args.requests):
            call(path)
        cpu = (time.process_time() - cpu_started) / args.requests * 1000
        database_ended = database_cpu_seconds(connection)
        database = (
            ", PostgreSQL "
            f"{(database_ended - database_started) / args.requests * 1000:.2f} ms "
            "CPU/request"
            if database_started is not None and database_ended is not None
            else ""
        )
        print(
            f"=== {label}: {cpu:.2f} ms CPU/request{database}, "
            f"{len(statements)} queries"
        )
        if args.sql:
            for sql in statements:
                print("   ", sql[:400])
        if args.top:
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(args.requests):
                call(path)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(
                args.top
            )
            print(out.getvalue())


if __name__ == "__main__":
    main()
