"""Benchmark: evaluate the whole portfolio and run simulations.

Run by hand against PostgreSQL with a seeded portfolio, for example:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --models 10000 --versions 3
    .venv/bin/python bench/bench_governance.py

It prints wall time and query count for: gathering the facts, evaluating
every version in every environment, and three simulations (a broad change,
a narrow change, and a removal). Nothing is written.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no access line per request

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from governance.selectors import evaluate_versions, version_facts  # noqa: E402
from governance.services import run_simulation  # noqa: E402
from governance.services.simulations import simulated_versions  # noqa: E402
from registry.models import Environment  # noqa: E402

REPEATS = 3


def measure(label: str, work) -> object:
    """Run `work` REPEATS times; print the median wall time and its queries."""
    timings, result, queries = [], None, 0
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = work()
            timings.append(time.perf_counter() - started)
        queries = len(captured)
    print(f"{label:<48} {statistics.median(timings):7.3f} s  {queries:3d} queries")
    return result


def evaluate_portfolio() -> int:
    verdicts = evaluate_versions(versions=simulated_versions())
    environments = list(Environment.objects.values_list("name", flat=True))
    for version_id in verdicts.facts:
        for environment in environments:
            verdicts.verdict(version_id, environment)
    return len(verdicts.facts) * len(environments)


def main() -> None:
    admin = get_user_model().objects.get(username="gina")
    versions = simulated_versions().count()
    print(
        f"{connection.vendor}: {versions} live versions, "
        f"{Environment.objects.count()} environments, median of {REPEATS} runs\n"
    )
    measure("facts for every live version", lambda: version_facts(simulated_versions()))
    pairs = measure("evaluate every version x environment", evaluate_portfolio)
    broad = measure(
        "simulate: model card needs 'caveats' (all tiers)",
        lambda: run_simulation(
            actor=admin,
            upsert=[
                {
                    "name": "model-card-complete",
                    "rules": [
                        {
                            "kind": "model_card_fields",
                            "params": {
                                "fields": [
                                    "intended_use",
                                    "limitations",
                                    "training_data",
                                    "caveats",
                                ]
                            },
                        }
                    ],
                }
            ],
            remove=[],
        ),
    )
    measure(
        "simulate: production auc floor 0.75 -> 0.85",
        lambda: run_simulation(
            actor=admin,
            upsert=[
                {
                    "name": "production-floor",
                    "rules": [
                        {
                            "kind": "metric_threshold",
                            "params": {"metric": "auc", "op": ">=", "value": 0.85},
                        },
                        {
                            "kind": "metric_threshold",
                            "params": {
                                "metric": "latency_ms",
                                "op": "<=",
                                "value": 200,
                            },
                        },
                    ],
                }
            ],
            remove=[],
        ),
    )
    measure(
        "simulate: remove independent-review",
        lambda: run_simulation(actor=admin, upsert=[], remove=["independent-review"]),
    )
    summary = broad["summary"]
    print(
        f"\n{pairs} pairs evaluated; broad change: {summary['newly_failing']} newly "
        f"failing, {summary['newly_passing']} newly passing"
    )


if __name__ == "__main__":
    main()
