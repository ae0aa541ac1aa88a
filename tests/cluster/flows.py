"""The API flows the cluster tests share: a model, an approved version, an
approved deployment request, each through the balancer."""

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from tests.cluster.conftest import Api

_names = itertools.count(1)
_names_lock = threading.Lock()


def unique_name(prefix: str) -> str:
    """A model name no other test (or earlier run on this cluster) used."""
    with _names_lock:
        return f"{prefix}-{os.getpid()}-{next(_names)}"


def register_model(scientist: Api, name: str) -> dict:
    return scientist.ok(
        "POST",
        "models/",
        {"name": name, "display_name": name, "team": "fraud", "risk_tier": "low"},
        status=201,
    )


def release(scientist: Api, reviewer: Api, model: str, number: int) -> dict:
    """Register version `number` of `model`, submit it, and approve it."""
    scientist.ok(
        "POST",
        f"models/{model}/versions/",
        {
            "artifact_uri": f"s3://models/{model}/{number}",
            "metrics": {"auc": 0.9},
            "model_card": {"intended_use": "Cluster tests."},
        },
        status=201,
    )
    scientist.ok("POST", f"models/{model}/versions/{number}/submit/")
    return reviewer.ok(
        "POST",
        f"models/{model}/versions/{number}/approve/",
        {"comment": "Looks sound."},
        status=201,
    )


def request_deployment(
    scientist: Api, model: str, number: int, environment: str = "development"
) -> dict:
    """The gate request: recorded, and approved when every check passes."""
    body = {"model": model, "version": number, "environment": environment}
    return scientist.ok("POST", "deployments/", body, status=201)


def drift_report_body(model: str, number: int, environment: str) -> dict:
    stable = {"categories": {"DE": 500, "FR": 300}}
    return {
        "model": model,
        "version": number,
        "environment": environment,
        "window_start": "2026-11-01T00:00:00Z",
        "window_end": "2026-11-08T00:00:00Z",
        "features": [
            {
                "name": "country",
                "kind": "categorical",
                "reference": stable,
                "current": stable,
            }
        ],
    }


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; their results, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def served_by(response: requests.Response) -> str:
    return response.headers.get("X-Served-By", "")
