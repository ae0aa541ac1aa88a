"""Benchmark: `manage.py import_mlflow` of N registered models (default
1,000), each with one version whose run has 5 metrics and 5 params, from a
real MLflow server, into the database DATABASE_URL names. Prints the time of
the first import (everything created) and of a second one (nothing to do).

Start an empty MLflow server (scripts/mlflow-venv.sh builds the virtualenv)
and a scratch database, then run:

    MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false \\
    .ci-mlflow-venv/bin/mlflow server --host 127.0.0.1 --port 18711 --workers 1 \\
        --backend-store-uri sqlite:////tmp/mlflow-bench/mlflow.db \\
        --default-artifact-root /tmp/mlflow-bench/artifacts &
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_bench
    .venv/bin/python manage.py migrate
    MLFLOW_URI=http://127.0.0.1:18711 .venv/bin/python bench/bench_mlflow_import.py 1000

Seeding MLflow is not timed (4 REST calls per model, on 8 threads) and is
skipped for models that already exist.
"""

import io
import json
import os
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from mlgov.roles import Role  # noqa: E402
from registry.models import MLModel, Team  # noqa: E402

URI = os.environ.get("MLFLOW_URI", "http://127.0.0.1:18711").rstrip("/")


def post(path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{URI}/api/2.0/mlflow/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"{}")


def existing() -> set[str]:
    with urllib.request.urlopen(
        f"{URI}/api/2.0/mlflow/registered-models/search?max_results=1000", timeout=60
    ) as response:
        page = json.loads(response.read())
    names = {m["name"] for m in page.get("registered_models", [])}
    token = page.get("next_page_token")
    while token:
        with urllib.request.urlopen(
            f"{URI}/api/2.0/mlflow/registered-models/search?max_results=1000"
            f"&page_token={token}",
            timeout=60,
        ) as response:
            page = json.loads(response.read())
        names |= {m["name"] for m in page.get("registered_models", [])}
        token = page.get("next_page_token")
    return names


def seed_one(name: str) -> None:
    post("registered-models/create", {"name": name, "description": f"{name} model"})
    run = post("runs/create", {"experiment_id": "0", "start_time": 1_700_000_000_000})
    run_id = run["run"]["info"]["run_id"]
    post(
        "runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [
                {"key": f"m{i}", "value": 0.5 + i / 10, "timestamp": 0, "step": 0}
                for i in range(5)
            ],
            "params": [{"key": f"p{i}", "value": str(i)} for i in range(5)],
        },
    )
    post(
        "model-versions/create",
        {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id},
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    names = [f"bench-model-{i:05d}" for i in range(count)]
    missing = sorted(set(names) - existing())
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(seed_one, missing))
    print(
        f"seeded {len(missing)} MLflow models in {time.perf_counter() - started:.1f} s"
    )

    from tests.factories import TeamFactory, UserFactory

    team = Team.objects.filter(name="bench").first() or TeamFactory(name="bench")
    user = UserFactory(username="bench-importer", roles=[Role.DATA_SCIENTIST])
    team.members.add(user)
    before = MLModel.objects.count()
    for label in ("first import", "second import (nothing new)"):
        out = io.StringIO()
        started = time.perf_counter()
        call_command(
            "import_mlflow",
            "--tracking-uri",
            URI,
            "--team",
            "bench",
            "--as",
            "bench-importer",
            stdout=out,
            stderr=io.StringIO(),
        )
        seconds = time.perf_counter() - started
        print(f"{label}: {seconds:.1f} s ({count / seconds:.0f} models/s)")
        print("   ", out.getvalue().strip().splitlines()[-1])
    print(f"models added to mlgov: {MLModel.objects.count() - before}")


if __name__ == "__main__":
    main()
