"""What an mlgov process prepares when it starts, before Django loads.

Importing settings has no side effects (mypy's Django plugin, linters and
read-only containers import them too), so directories a running process
writes to are made here, by the entry points (manage.py, mlgov.wsgi,
mlgov.asgi), or where they are first used. Standard library only: this runs
before anything imports prometheus_client."""

import os


def make_metrics_directory() -> None:
    """prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR set)
    writes each process's values there from the first metric a module
    defines, and fails if the directory is missing."""
    if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(directory, exist_ok=True)
