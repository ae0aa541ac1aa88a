"""Demo drift: weekly reports for the demo's versions serving production,
some features drifting, and alerts in every state; weekly performance
reports for the same versions, and fairness reports for the credit-scoring
models among them. The deployments app runs
this step after its history, passing the versions that serve (drift comes
before deployments in the import order, so it cannot read the ledger)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from auditlog.context import set_actor
from django.contrib.auth import get_user_model

from drift.models import DriftAlert, DriftReport, MonitoringThreshold, PerformanceReport
from drift.quality import parse_fairness, parse_performance
from drift.services import (
    acknowledge_alert,
    ingest_drift_report,
    ingest_fairness_report,
    ingest_performance_report,
    resolve_alert,
)
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


# A window shorter than a day (a version that began serving just before the
# report was due) holds too few observations to report on.
MIN_WINDOW = timedelta(days=1)


def _weekly_windows(
    *, now: datetime, since: datetime, lag: timedelta
) -> list[tuple[int, tuple[datetime, datetime]]]:
    """The demo's weekly windows (week number, start, end), the last ending
    `lag` before now, each inside the time the version served: the first
    starts when it began serving, so a version serving for less than a week
    still has a report."""
    windows = []
    for week in range(WEEKS):
        end = now - lag - timedelta(days=7 * (WEEKS - 1 - week))
        start = max(end - timedelta(days=7), since)
        if end - start >= MIN_WINDOW:
            windows.append((week, (start, end)))
    return windows


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
    each window inside the time the version served (the first clipped to
    it), received an hour after the window closed; returns the number of
    reports added (none when the demo's versions have reports already).
    Other versions are never touched."""
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
            for week, (start, end) in _weekly_windows(
                now=now, since=served.since, lag=timedelta(days=1)
            ):
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


# --- performance and fairness -----------------------------------------------------

SCORE_EDGES = [round(edge / 10, 1) for edge in range(11)]
DEMO_LIMITS = (
    ("auc", 0.75, 0.7),
    ("f1", 0.5, None),
    ("demographic_parity_difference", 0.1, 0.2),
)


def _score_bins(rng: np.random.Generator, quality: float, n: int = 5000) -> dict:
    """Binned scores of a classifier whose separation is `quality` (0-1)."""
    labels = rng.random(n) < 0.25
    scores = np.clip(rng.normal(0.3 + 0.35 * quality * labels, 0.17), 0, 1)
    ids = np.searchsorted(SCORE_EDGES[1:-1], scores, side="right")
    return {
        "bin_edges": SCORE_EDGES,
        "positives": np.bincount(ids[labels], minlength=10).tolist(),
        "negatives": np.bincount(ids[~labels], minlength=10).tolist(),
    }


def _group_counts(rng: np.random.Generator, gap: float) -> dict:
    """Decisions by age band, the youngest selected less by `gap`."""
    counts = {}
    for index, band in enumerate(("18-25", "26-40", "41-60", "61+")):
        n = int(rng.integers(800, 2000))
        positives = int(n * 0.3)
        penalty = gap if index == 0 else 0.0
        tpr, fpr = 0.75 - penalty, 0.12 - penalty / 3
        tp = int(positives * tpr)
        fp = int((n - positives) * max(fpr, 0.01))
        counts[band] = {
            "tp": tp,
            "fp": fp,
            "tn": n - positives - fp,
            "fn": positives - tp,
        }
    return counts


def seed_monitoring(
    *, now: datetime, serving: Sequence[ServedVersion], max_versions: int = 40
) -> tuple[int, int]:
    """Weekly performance reports (binned scores) for up to `max_versions` of
    the demo's serving versions, with production's limits (the first window
    clipped to the time the version served), and weekly
    fairness reports by age band for the credit-scoring (probability of
    default) models among them; returns (performance, fairness) reports
    added, none when the demo's versions have some already."""
    if PerformanceReport.objects.filter(
        version__in=demo_objects(ModelVersion)
    ).exists():
        return 0, 0
    production = Environment.objects.filter(name="production").first()
    if production is not None:
        for metric, warning, critical in DEMO_LIMITS:
            MonitoringThreshold.objects.get_or_create(
                environment=production,
                metric=metric,
                defaults={"warning": warning, "critical": critical},
            )
    users = {user.username: user for user in demo_objects(get_user_model())}
    performance = fairness = 0
    for index, served in enumerate(serving[:max_versions]):
        version = served.version
        author = users.get(f"ds-{version.model.team.name}")
        if author is None:
            continue
        rng = np.random.default_rng(1000 + index)
        # A third of the versions decay week after week.
        decay = (0.0, 0.05, 0.18)[index % 3]
        is_credit_scoring = version.model.name.startswith("pd-")
        with set_actor(author):
            for week, (start, end) in _weekly_windows(
                now=now, since=served.since, lag=timedelta(days=2)
            ):
                received = end + timedelta(hours=3)
                window: dict[str, Any] = {
                    "actor": author,
                    "version": version,
                    "environment": served.environment,
                    "window_start": start,
                    "window_end": end,
                    "received_at": received,
                }
                with audit_entries_dated(received):
                    ingest_performance_report(
                        **window,
                        data=parse_performance(
                            {"score_bins": _score_bins(rng, 1.0 - decay * week)},
                            max_rows=1,
                        ),
                    )
                    performance += 1
                    if is_credit_scoring:
                        ingest_fairness_report(
                            **window,
                            data=parse_fairness(
                                {
                                    "attribute": "age_band",
                                    "group_counts": _group_counts(rng, 0.06 * week),
                                },
                                max_rows=1,
                            ),
                        )
                        fairness += 1
    return performance, fairness
