"""Demo drift: weekly reports for part of the demo portfolio, some features
drifting, and alerts in every state."""

from datetime import datetime, timedelta

import numpy as np
from auditlog.context import set_actor
from django.contrib.auth import get_user_model

from drift.models import DriftAlert, DriftReport
from drift.services import acknowledge_alert, ingest_drift_report, resolve_alert
from drift.stats import parse_features
from mlgov.demo import DemoRun, demo_objects
from registry.models import Environment, ModelVersion

WEEKS = 4
EDGES = [None, 0, 10, 20, 30, 40, 50, 60, 70, None]


def _histogram(rng: np.random.Generator, shift: float, n: int) -> list[int]:
    values = rng.normal(35 + shift, 12, n)
    inner = [edge for edge in EDGES if edge is not None]
    return np.bincount(
        np.searchsorted(inner, values, side="right"), minlength=9
    ).tolist()


def _features(rng: np.random.Generator, drift: float) -> list[dict]:
    reference_channels = {"web": 5000, "branch": 3000, "phone": 2000}
    current_channels = {
        "web": int(5000 * (1 + drift)),
        "branch": int(3000 * (1 - drift)),
        "phone": 2000,
        "partner": int(800 * drift),
    }
    return [
        {
            "name": "customer_age",
            "kind": "numeric",
            "reference": {"bin_edges": EDGES, "counts": _histogram(rng, 0, 10_000)},
            "current": {
                "bin_edges": EDGES,
                "counts": _histogram(rng, 12 * drift, 8_000),
            },
        },
        {
            "name": "channel",
            "kind": "categorical",
            "reference": {"categories": reference_channels},
            "current": {"categories": current_channels},
        },
        {
            "name": "tenure_months",
            "kind": "numeric",
            "reference": {"values": rng.gamma(4, 6, 2000).round(1).tolist()},
            "current": {"values": rng.gamma(4, 6 + 3 * drift, 1500).round(1).tolist()},
        },
    ]


def seed_drift_demo(run: DemoRun) -> str:
    """The drift app's demo step."""
    return f"{seed_drift(now=run.now)} reports added"


def seed_drift(*, now: datetime, max_versions: int = 40) -> int:
    """Weekly production reports for up to `max_versions` of the demo's approved
    versions; returns the number of reports added (none when the demo's
    versions have reports already). Other versions are never touched."""
    demo_versions = demo_objects(ModelVersion)
    if DriftReport.objects.filter(version__in=demo_versions).exists():
        return 0
    production = Environment.objects.filter(name="production").first()
    if production is None:
        return 0
    versions = list(
        demo_versions.filter(status=ModelVersion.Status.APPROVED)
        .select_related("model__team")
        .order_by("pk")[:max_versions]
    )
    users = {user.username: user for user in demo_objects(get_user_model())}
    added = 0
    for index, version in enumerate(versions):
        rng = np.random.default_rng(index)
        author = users.get(f"ds-{version.model.team.name}")
        if author is None:
            continue
        # A third of the versions drift more every week, a third a little.
        pace = (0.0, 0.08, 0.3)[index % 3]
        with set_actor(author):
            for week in range(WEEKS):
                end = now - timedelta(days=7 * (WEEKS - 1 - week))
                ingest_drift_report(
                    actor=author,
                    version=version,
                    environment=production,
                    window_start=end - timedelta(days=7),
                    window_end=end,
                    features=parse_features(_features(rng, pace * week)),
                )
                added += 1
    if "rita" in users:
        _move_some_alerts(users["rita"], versions)
    return added


def _move_some_alerts(reviewer, versions: list[ModelVersion]) -> None:
    alerts = list(
        DriftAlert.objects.unresolved().filter(version__in=versions).order_by("pk")
    )
    with set_actor(reviewer):
        for alert in alerts[::4]:
            acknowledge_alert(
                actor=reviewer, alert=alert, note="Seasonal campaign; watching it."
            )
        for alert in alerts[1::4]:
            resolve_alert(
                actor=reviewer,
                alert=alert,
                note="Upstream schema fix deployed; retrained reference.",
            )
