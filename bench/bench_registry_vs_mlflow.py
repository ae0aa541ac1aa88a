"""mlgov's registry against MLflow's, side by side, with the shared harness.

Starts mlgov under gunicorn in production mode (2 workers, PostgreSQL + Redis,
access logs, metrics, audit trail and rate limits on, the limits raised out of
the way) on a scratch database, and, given --mlflow-venv, MLflow's tracking
server (`--workers 2`, sync workers) on a scratch database of its own. Seeds
both through their REST APIs with the same portfolio, runs ANALYZE, then runs
the workloads of ../shared/bench/registry_load.py interleaved workload by
workload (MLflow, then mlgov, rep after rep), so both servers see the same
noise of a shared machine, and prints the harness's table plus a ratio table.

    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python \\
        bench/bench_registry_vs_mlflow.py --models 1000 \\
        --mlflow-venv /work/wt/mlflow-venv-i13 --port 18610 \\
        --database mlgov_i13_bench

The harness needs aiohttp, which the project does not: it runs under
--harness-python (default: the MLflow virtualenv's python). Databases are
dropped, re-created and seeded unless --reuse keeps them (MLflow's, or both).
Only loopback addresses are used; every run is bounded by the harness.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_HARNESS = ROOT.parent / "shared" / "bench" / "registry_load.py"
PG = "postgres://postgres@127.0.0.1:5432"
READS = ("get_version", "list_versions", "search_prefix")
WRITES = ("create_version",)


def psql(database: str, sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-c", sql],
        check=True,
        capture_output=True,
        timeout=600,
    )


def recreate_database(name: str) -> None:
    psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql("postgres", f'CREATE DATABASE "{name}"')


def wait_until_up(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{what} did not come up within 120 s")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def mlgov_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "MLGOV_MODE": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # TLS ends at the proxy in production; the bench talks plain HTTP on
        # loopback, so the HTTPS redirect is the one production setting off.
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"{PG}/{args.database}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "RATELIMIT_API_READ": "100000000/m",
        "RATELIMIT_API_WRITE": "100000000/m",
        "LOG_LEVEL": "INFO",
    }


def manage(env: dict[str, str], *argv: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise SystemExit(f"manage.py {argv[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def prepare_mlgov(env: dict[str, str], fresh: bool, database: str) -> str:
    if fresh:
        recreate_database(database)
        manage(env, "migrate", "--noinput")
        manage(
            env,
            "shell",
            "-c",
            "from registry.models import Team; "
            "Team.objects.get_or_create(name='bench', "
            "defaults={'display_name': 'Bench'})",
        )
    output = manage(env, "issue_token", "bench", "--role", "governance_admin")
    return re.search(r"mlg_[A-Za-z0-9_-]+", output).group(0)


def start_mlgov(
    env: dict[str, str], port: int, log: Path, *, workers: int = 2, root: Path = ROOT
) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "mlgov.wsgi"],
        cwd=root,
        env={
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
        },
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_until_up(f"http://127.0.0.1:{port}/healthz", process, "mlgov")
    return process


def start_mlflow(
    venv: Path, port: int, database: str, fresh: bool, log: Path
) -> subprocess.Popen:
    if fresh:
        recreate_database(database)
    # Outside the project folder: gunicorn would read our gunicorn.conf.py.
    workdir = Path(tempfile.mkdtemp(prefix="mlflow-bench-"))
    process = subprocess.Popen(
        [
            str(venv / "bin" / "mlflow"),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--gunicorn-opts",
            "--worker-class sync",
            "--backend-store-uri",
            f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}",
            "--default-artifact-root",
            str(workdir / "artifacts"),
        ],
        cwd=workdir,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_until_up(f"http://127.0.0.1:{port}/health", process, "mlflow")
    return process


def harness(args, side: dict, *argv: str) -> None:
    env = {**os.environ, "BENCH_TOKEN": side.get("token", "")}
    subprocess.run(
        [
            args.harness_python,
            str(args.harness),
            *argv,
            "--adapter",
            side["adapter"],
            "--base-url",
            side["url"],
            "--models",
            str(args.models),
            "--out",
            str(args.out),
            "--label",
            side["label"],
        ],
        env=env,
        check=True,
        timeout=24 * 3600,
    )


def ratio_table(path: Path, labels: list[str]) -> str:
    """mlgov ÷ MLflow per workload and concurrency, from the median of reps."""
    runs = [json.loads(line) for line in path.open() if line.strip()]
    runs = [r for r in runs if r["kind"] == "run" and r["label"] in labels]
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault(
            (run["workload"], run["concurrency"], run["label"]), []
        ).append(run)
    lines = [
        "| workload | clients | MLflow rps / p95 ms | mlgov rps / p95 ms | rps ratio |",
        "|---|---:|---|---|---:|",
    ]
    for workload in (*READS, *WRITES):
        for conc in sorted({k[1] for k in groups if k[0] == workload}):
            cells = []
            for label in labels:
                group = groups.get((workload, conc, label), [])
                rps = statistics.median(r["rps"] for r in group) if group else 0
                p95 = statistics.median(r["p95_ms"] for r in group) if group else 0
                cells.append((rps, p95))
            (m_rps, m_p95), (g_rps, g_p95) = cells
            ratio = f"{g_rps / m_rps:.2f}" if m_rps else "-"
            lines.append(
                f"| {workload} | {conc} | {m_rps:.0f} / {m_p95:.0f} "
                f"| {g_rps:.0f} / {g_p95:.0f} | {ratio} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--database", default="mlgov_i13_bench")
    parser.add_argument("--mlflow-database", default="mlgov_i13_mlflow")
    parser.add_argument("--port", type=int, default=18610, help="mlgov; MLflow +1")
    parser.add_argument("--mlflow-venv", type=Path, help="run MLflow beside mlgov")
    parser.add_argument("--harness", type=Path, default=DEFAULT_HARNESS)
    parser.add_argument("--harness-python", default="")
    parser.add_argument("--workloads", default=",".join((*READS, *WRITES)))
    parser.add_argument("--concurrency", default="8,32")
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--seed-concurrency", type=int, default=8)
    parser.add_argument(
        "--reuse",
        choices=("none", "mlflow", "both"),
        default="none",
        help="keep these seeded databases (skip their seeding)",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if "REDIS_URL" not in os.environ:
        parser.error("set REDIS_URL (your own Redis database number)")
    if not args.harness_python:
        if not args.mlflow_venv:
            parser.error("--harness-python: a Python with aiohttp")
        args.harness_python = str(args.mlflow_venv / "bin" / "python")
    logs = Path(tempfile.mkdtemp(prefix="mlgov-bench-"))
    args.out = args.out or logs / "results.jsonl"
    print(f"logs and results in {logs}", file=sys.stderr)

    env = mlgov_env(args)
    fresh_mlflow = args.reuse == "none"
    fresh = args.reuse != "both"
    sides: list[dict] = []
    processes: list[subprocess.Popen] = []
    try:
        if args.mlflow_venv:
            mlflow = start_mlflow(
                args.mlflow_venv,
                args.port + 1,
                args.mlflow_database,
                fresh_mlflow,
                logs / "mlflow.log",
            )
            processes.append(mlflow)
            sides.append(
                {
                    "adapter": "mlflow",
                    "label": "mlflow",
                    "url": f"http://127.0.0.1:{args.port + 1}",
                    "pid": mlflow.pid,
                    "db": args.mlflow_database,
                    "fresh": fresh_mlflow,
                }
            )
        token = prepare_mlgov(env, fresh, args.database)
        server = start_mlgov(env, args.port, logs / "mlgov.log")
        processes.append(server)
        sides.append(
            {
                "adapter": "django",
                "label": "mlgov",
                "url": f"http://127.0.0.1:{args.port}",
                "pid": server.pid,
                "token": token,
                "db": args.database,
                "fresh": fresh,
            }
        )
        for side in sides:
            if side["fresh"]:
                harness(args, side, "seed", "--concurrency", str(args.seed_concurrency))
                psql(side["db"], "ANALYZE")
        workloads = [w for w in args.workloads.split(",") if w]
        # Reads first (every rep), writes last, as the harness orders them:
        # versions created by create_version cannot change what reads see.
        plan = [
            (rep, workload)
            for group in (READS, WRITES)
            for rep in range(args.reps)
            for workload in workloads
            if workload in group
        ]
        for rep, workload in plan:
            for side in sides:
                harness(
                    args,
                    side,
                    "run",
                    "--workloads",
                    workload,
                    "--concurrency",
                    args.concurrency,
                    "--duration",
                    str(args.duration),
                    "--warmup",
                    str(args.warmup),
                    "--reps",
                    "1",
                    "--seed",
                    str(42 + rep),
                    "--server-pids",
                    str(side["pid"]),
                    *(["--skip-preflight"] if rep else []),
                )
    finally:
        for process in reversed(processes):
            stop(process)
    subprocess.run(
        [args.harness_python, str(args.harness), "report", str(args.out)], check=True
    )
    if len(sides) == 2:
        print()
        print(ratio_table(args.out, ["mlflow", "mlgov"]))
    shutil.copy(args.out, logs / "results-final.jsonl")


if __name__ == "__main__":
    main()
