"""Benchmark: obligation coverage for the whole inventory, as the models list
and the CSV read it.

Run by hand against a seeded portfolio (see bench_command_center.py):

    .venv/bin/python manage.py seed_demo --models 10000 --versions 3
    .venv/bin/python bench/bench_inventory_coverage.py

Judged under the three shipped packs (passed in, not enabled: nothing is
written). Prints wall and CPU time of this process for: compliance's
`coverage_counts_by_model` over the inventory (queries and the pure engine),
then the engine alone on facts already read (the rich path the obligations
page reads, and the counts path the list reads), the cold portfolio computation
without and with the packs, and the models list's per-request work on the
cached rows (the obligations filter and sort). On a shared host the CPU time
is the number to read.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from command_center.selectors import filter_model_rows  # noqa: E402
from command_center.selectors.rows import inventory_models, model_rows  # noqa: E402
from compliance.engine import CountsPlan, model_coverage  # noqa: E402
from compliance.packs import shipped_packs  # noqa: E402
from compliance.selectors import coverage_counts_by_model, coverage_facts  # noqa: E402

REPEATS = 3


def measure(label: str, run) -> object:
    walls, cpus, queries, result = [], [], 0, None
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            result = run()
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu_started)
        queries = len(captured)
    print(
        f"{label:<52} {statistics.median(walls) * 1000:9.1f} ms  "
        f"(CPU {statistics.median(cpus) * 1000:9.1f} ms)  {queries:3d} queries"
    )
    return result


def main() -> None:
    now = timezone.now()
    frameworks = tuple(shipped_packs().values())
    models = inventory_models()
    print(
        f"{models.count()} inventory models; "
        f"{sum(len(f.obligations) for f in frameworks)} obligations in "
        f"{len(frameworks)} packs"
    )
    measure(
        "coverage_counts_by_model (3 packs)",
        lambda: coverage_counts_by_model(models, frameworks=frameworks, now=now),
    )
    facts = measure("coverage_facts alone", lambda: coverage_facts(models, now=now))
    measure(
        "engine alone: model_coverage per model (3 packs)",
        lambda: [model_coverage(frameworks, item, now) for item in facts.values()],
    )
    measure(
        "engine alone: CountsPlan per model (3 packs)",
        lambda: [
            plan.counts(item, now)
            for plan in [CountsPlan(frameworks)]
            for item in facts.values()
        ],
    )
    measure(
        "model_rows, no framework",
        lambda: model_rows(models, now=now, frameworks=()),
    )
    rows = measure(
        "model_rows, 3 packs",
        lambda: model_rows(models, now=now, frameworks=frameworks),
    )
    measure(
        "list: filter obligations=not_met, sort=obligations",
        lambda: filter_model_rows(rows, obligations="not_met", sort="obligations"),
    )
    measure(
        "list: framework=eu_ai_act, sort=obligations",
        lambda: filter_model_rows(
            rows,
            obligations="not_met",
            framework="eu_ai_act",
            sort="obligations",
        ),
    )
    measure("list: sort=name (for scale)", lambda: filter_model_rows(rows))


if __name__ == "__main__":
    main()
