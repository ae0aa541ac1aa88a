"""Benchmark: the command center on a large portfolio.

Run by hand against PostgreSQL and Redis with a seeded portfolio, e.g.:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_bench
    export REDIS_URL=redis://127.0.0.1:6379/0
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --models 10000 --versions 3
    .venv/bin/python bench/bench_command_center.py

It measures server time through Django's test client (the full middleware
stack, a signed-in executive) for: the overview cold (the command center's
cache keys dropped first) and warm, the summary API warm, a model page, the
models list filtered, and the CSV of the whole inventory streamed to nowhere,
then again under tracemalloc for its peak Python memory, with two batch
sizes. Wall time depends on what else the machine runs, so the process's CPU
time is printed beside it. Targets (issue 11): overview < 150 ms warm and
< 1.5 s cold, model page < 100 ms warm, CSV < 5 s with flat memory. Nothing
is written except a session row.
"""

import gc
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from command_center import selectors  # noqa: E402
from registry.models import MLModel  # noqa: E402

REPEATS = 7


def forget_command_center_cache() -> None:
    """Drop the command center's cached aggregates only (never FLUSHALL)."""
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):
        redis = client.get_client(write=True)
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        for key in redis.scan_iter(match=f"{prefix}:*:cc:*", count=1000):
            redis.delete(key)
    else:
        cache.clear()


def timed(
    client: Client, path: str, *, cold: bool = False
) -> tuple[float, float, int, int]:
    """Median wall seconds, median CPU seconds of this process (the whole
    Django stack runs in it), queries and bytes of GET `path`."""
    timings, cpu, queries, size = [], [], 0, 0
    for _ in range(REPEATS):
        if cold:
            forget_command_center_cache()
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path)
            body = (
                b"".join(response.streaming_content)
                if response.streaming
                else response.content
            )
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        assert response.status_code == 200, (path, response.status_code)
        queries, size = len(captured), len(body)
    return statistics.median(timings), statistics.median(cpu), queries, size


def report(label: str, path: str, client: Client, **kwargs) -> None:
    seconds, cpu, queries, size = timed(client, path, **kwargs)
    print(
        f"{label:<30} {seconds * 1000:8.1f} ms  (CPU {cpu * 1000:7.1f} ms)  "
        f"{queries:3d} queries  {size / 1024:6.1f} KiB"
    )


def csv_memory(client: Client, *, trace: bool = True) -> None:
    """Stream the CSV once: time, and under tracemalloc the peak memory."""
    gc.collect()
    if trace:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.get("/exports/inventory.csv")
    lines = 0
    size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    memory = ""
    if trace:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        memory = f"  peak Python memory {peak / 1024 / 1024:6.1f} MiB (traced)"
    print(
        f"{'inventory CSV, streamed':<30} {seconds * 1000:8.1f} ms  "
        f"(CPU {cpu * 1000:7.1f} ms)  {lines - 1:6d} rows  "
        f"{size / 1024 / 1024:4.1f} MiB{memory}"
    )


def main() -> None:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-executive", defaults={"is_superuser": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    models = MLModel.objects.filter(archived_at__isnull=True).count()
    name = (
        MLModel.objects.filter(versions__drift_reports__isnull=False)
        .values_list("name", flat=True)
        .first()
        or MLModel.objects.values_list("name", flat=True).first()
    )
    backend = settings.CACHES["default"]["BACKEND"]
    print(f"{models} models in the inventory; cache {backend}")
    report("overview, cold", "/", client, cold=True)
    client.get("/")
    report("overview, warm", "/", client)
    report("summary API, warm", "/api/v1/portfolio/summary/", client)
    report(
        "models list, warm (filtered)", "/models/?risk_tier=high&sort=readiness", client
    )
    report(f"model page ({name})", f"/models/{name}/", client)
    gc.collect()
    print("CSV with a batch of 1,000 models at a time:")
    csv_memory(client, trace=False)
    csv_memory(client)
    gc.collect()
    tracemalloc.start()
    row_count = len(selectors.compute_portfolio().rows)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"(for scale: all {row_count} rows at once peak at "
        f"{peak / 1024 / 1024:.1f} MiB)"
    )
    print("the same, batch of 250 (memory should not follow the inventory):")
    selectors.rows.inventory_batches.__kwdefaults__["batch"] = 250
    csv_memory(client)


if __name__ == "__main__":
    main()
