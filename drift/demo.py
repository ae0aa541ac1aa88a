"""Demo drift: weekly reports for the demo's versions serving production,
some features drifting, and alerts in every state. The deployments app runs
this step after its history, passing the versions that serve (drift comes
before deployments in the import order, so it cannot read the ledger)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from auditlog.context import set_actor
from django.contrib.auth import get_user_model

from drift.models import DriftAlert, DriftReport
from drift.services import acknowledge_alert, ingest_drift_report, resolve_alert
from drift.stats import parse_features
from mlgov.audit import audit_entries_dated
from mlgov.demo import demo_objects
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


@dataclass(frozen=True)
class ServedVersion:
    """A version serving in an environment since a time: the demo reports
    drift for it there, for the weeks it served."""

    version: ModelVersion
    environment: Environment
    since: datetime


def seed_drift(
    *, now: datetime, serving: Sequence[ServedVersion], max_versions: int = 40
) -> int:
    """Weekly reports for up to `max_versions` of the demo's serving versions,
    each window inside the time the version served, received an hour after
    the window closed; returns the number of reports added (none when the
    demo's versions have reports already). Other versions are never touched."""
    if DriftReport.objects.filter(version__in=demo_objects(ModelVersion)).exists():
        return 0
    users = {user.username: user for user in demo_objects(get_user_model())}
    added = 0
    last_received: dict[int, datetime] = {}
    reported: list[ModelVersion] = []
    for index, served in enumerate(serving[:max_versions]):
        version = served.version
        rng = np.random.default_rng(index)
        author = users.get(f"ds-{version.model.team.name}")
        if author is None:
            continue
        # A third of the versions drift more every week, a third a little.
        pace = (0.0, 0.08, 0.3)[index % 3]
        with set_actor(author):
            for week in range(WEEKS):
                end = now - timedelta(days=1 + 7 * (WEEKS - 1 - week))
                start = end - timedelta(days=7)
                if start < served.since:
                    continue
                received = end + timedelta(hours=1)
                with audit_entries_dated(received):
                    ingest_drift_report(
                        actor=author,
                        version=version,
                        environment=served.environment,
                        window_start=start,
                        window_end=end,
                        features=parse_features(_features(rng, pace * week)),
                        received_at=received,
                    )
                last_received[version.pk] = received
                added += 1
        reported.append(version)
    if "rita" in users:
        _move_some_alerts(users["rita"], reported, last_received)
    return added


def _move_some_alerts(
    reviewer, versions: list[ModelVersion], last_received: dict[int, datetime]
) -> None:
    """A reviewer acknowledges every fourth open alert and resolves the next,
    six hours after the version's latest report."""
    alerts = list(
        DriftAlert.objects.unresolved().filter(version__in=versions).order_by("pk")
    )
    with set_actor(reviewer):
        for alert in alerts[::4]:
            at = last_received[alert.version_id] + timedelta(hours=6)
            with audit_entries_dated(at):
                acknowledge_alert(
                    actor=reviewer,
                    alert=alert,
                    note="Seasonal campaign; watching it.",
                    at=at,
                )
        for alert in alerts[1::4]:
            at = last_received[alert.version_id] + timedelta(hours=6)
            with audit_entries_dated(at):
                resolve_alert(
                    actor=reviewer,
                    alert=alert,
                    note="Upstream schema fix deployed; retrained reference.",
                    at=at,
                )
