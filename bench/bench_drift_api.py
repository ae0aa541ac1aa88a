"""Benchmark: drift report ingestion through the whole Django stack.

Posts reports through Django's test client (middleware, authentication,
DRF parsing, the statistics, the database writes and alert updates; no
socket), against the database DATABASE_URL names, and prints p50/p95:

- 10 numeric features x 10,000 raw values per side (target p95 < 250 ms);
- 100 histogram features, 20 bins each (target p95 < 100 ms).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python bench/bench_drift_api.py
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no access line per request
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

import numpy as np  # noqa: E402
from django.test import Client  # noqa: E402

from mlgov.services import ensure_service_account, issue_token  # noqa: E402
from registry.models import ModelVersion  # noqa: E402

RUNS = 30
WARMUP = 3


def raw_report(model: str, version: int, rng: np.random.Generator) -> dict:
    return {
        "model": model,
        "version": version,
        "environment": "production",
        "window_start": "2026-11-01T00:00:00Z",
        "window_end": "2026-11-08T00:00:00Z",
        "features": [
            {
                "name": f"feature_{index}",
                "kind": "numeric",
                "reference": {"values": rng.normal(0, 1, 10_000).round(6).tolist()},
                "current": {
                    "values": rng.normal(0.05 * index, 1, 10_000).round(6).tolist()
                },
            }
            for index in range(10)
        ],
    }


def histogram_report(model: str, version: int, rng: np.random.Generator) -> dict:
    edges = [None, *np.linspace(-3, 3, 19).round(3).tolist(), None]
    return {
        "model": model,
        "version": version,
        "environment": "production",
        "window_start": "2026-11-01T00:00:00Z",
        "window_end": "2026-11-08T00:00:00Z",
        "features": [
            {
                "name": f"feature_{index}",
                "kind": "numeric",
                "reference": {
                    "bin_edges": edges,
                    "counts": rng.integers(50, 500, 20).tolist(),
                },
                "current": {
                    "bin_edges": edges,
                    "counts": rng.integers(50, 500, 20).tolist(),
                },
            }
            for index in range(100)
        ],
    }


def measure(label: str, client: Client, token: str, bodies: list[bytes]) -> None:
    timings = []
    for index, body in enumerate(bodies):
        started = time.perf_counter()
        response = client.post(
            "/api/v1/drift/reports/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 201:
            raise SystemExit(
                f"{label}: {response.status_code} {response.content[:300]}"
            )
        if index >= WARMUP:
            timings.append(elapsed)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(
        f"{label:<42} n={len(timings)}  p50 {statistics.median(timings):6.1f} ms  "
        f"p95 {p95:6.1f} ms  max {timings[-1]:6.1f} ms  "
        f"body {len(bodies[0]) / 1024:,.0f} KiB"
    )


def main() -> None:
    version = ModelVersion.objects.select_related("model__team").order_by("pk").first()
    user = ensure_service_account(username="bench-drift", role="data_scientist")
    version.model.team.members.add(user)
    token = issue_token(user=user, name="bench").raw
    rng = np.random.default_rng(7)
    name, number = version.model.name, version.version
    client = Client()
    raw = [
        json.dumps(raw_report(name, number, rng)).encode() for _ in range(RUNS + WARMUP)
    ]
    measure("10 features x 10,000 raw values", client, token, raw)
    binned = [
        json.dumps(histogram_report(name, number, rng)).encode()
        for _ in range(RUNS + WARMUP)
    ]
    measure("100 histogram features x 20 bins", client, token, binned)


if __name__ == "__main__":
    main()
