"""Instructions per request of the registry's endpoints, counted by
valgrind's callgrind: a number that the load of a shared host does not move,
where CPU time does (by 40 % between a quiet and a busy hour here).

In process, through the whole middleware stack (Django's test client), with
the settings of the environment (production: PostgreSQL, Redis, access
logs, metrics, audit trail and rate limits on), on a database seeded by
bench_registry_vs_mlflow.py; creates add versions to it.

    MLGOV_MODE=production DEBUG=false SECRET_KEY=… ALLOWED_HOSTS=127.0.0.1 \\
    SECURE_SSL_REDIRECT=false LOG_LEVEL=INFO \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_i13_bench \\
    REDIS_URL=redis://127.0.0.1:6379/7 PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) \\
        .venv/bin/python bench/instructions_per_request.py --workload create

Runs the Python process under callgrind with instrumentation off through
start-up and warm-up, counts the instructions of `--requests` requests
only, and prints them per request. Only the process's own user-space
instructions: the kernel's work for its round trips is not in them (count
those with bench/cpu_per_request.py, or strace -c)."""

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def serve(args: argparse.Namespace, signals: Path) -> None:
    """The measured process: warm up, say so, wait, run, say so."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
    import django

    django.setup()
    from django.test import Client

    from mlgov.roles import Role
    from mlgov.services import ensure_service_account, issue_token

    user = ensure_service_account(username="bench-profile", role=Role.GOVERNANCE_ADMIN)
    token = issue_token(user=user, name="instructions", days=1).raw
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    if args.wsgi:
        from profile_registry import WsgiClient

        client = WsgiClient(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    rng = random.Random(7)

    def name() -> str:
        return f"bench-model-{rng.randrange(args.models):05d}"

    calls = {
        "create": lambda: client.post(
            f"/api/v1/models/{name()}/versions/",
            {
                "artifact_uri": f"s3://bench/instructions/{rng.getrandbits(64):x}",
                "framework": "",
                "params": {"origin": "loadtest"},
            },
            content_type="application/json",
        ),
        "get": lambda: client.get(
            f"/api/v1/models/{name()}/versions/{rng.randint(1, 3)}/"
        ),
        "list": lambda: client.get(
            f"/api/v1/models/{name()}/versions/", {"page_size": 100}
        ),
    }
    call = calls[args.workload]
    for _ in range(args.warmup):
        assert call().status_code < 300
    (signals / "ready").touch()
    while not (signals / "go").exists():
        time.sleep(0.05)
    for _ in range(args.requests):
        assert call().status_code < 300
    (signals / "done").touch()
    while not (signals / "end").exists():
        time.sleep(0.05)


def wait_for(path: Path, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise SystemExit(f"the measured process exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit(f"no {path.name} within {timeout} s")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workload", choices=("create", "get", "list"), default="create"
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument(
        "--wsgi",
        action="store_true",
        help="through Django's WSGI handler, as gunicorn calls it "
        "(bench/profile_registry.py's WsgiClient), not the test client",
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args, args.serve)
        return
    if not 1 <= args.requests <= 1000:
        parser.error("--requests must be between 1 and 1000")
    signals = Path(tempfile.mkdtemp(prefix="mlgov-callgrind-"))
    out = signals / "callgrind.out"
    process = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            *sys.argv[1:],
            "--serve",
            str(signals),
        ],
        stdout=subprocess.DEVNULL,
        stderr=(signals / "valgrind.log").open("wb"),
    )
    try:
        wait_for(signals / "ready", process, 1800)
        control = ["callgrind_control", str(process.pid)]
        subprocess.run([*control, "--zero"], check=True, capture_output=True)
        subprocess.run([*control, "-i", "on"], check=True, capture_output=True)
        (signals / "go").touch()
        wait_for(signals / "done", process, 3600)
        subprocess.run([*control, "-i", "off"], check=True, capture_output=True)
        (signals / "end").touch()
        process.wait(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
    totals = [
        int(match)
        for path in signals.glob("callgrind.out*")
        for match in re.findall(r"^totals: (\d+)", path.read_text(), re.MULTILINE)
    ]
    total = sum(totals)
    print(
        f"{args.workload}: {total / args.requests / 1e6:.2f} M instructions per "
        f"request ({args.requests} requests, {total} instructions; {signals})"
    )


if __name__ == "__main__":
    main()
