"""Reads of drift data that pages, endpoints and other apps need."""

from django.db.models import QuerySet

from drift.models import DriftAlert, Severity
from registry.models import ModelVersion

_RANK = {Severity.OK: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


def open_drift_by_version(
    *, versions: QuerySet[ModelVersion] | None = None
) -> dict[int, dict[str, str]]:
    """Worst unresolved alert severity per environment name, per version id.

    Acknowledged alerts count: acknowledging says someone is on it, not that
    the data stopped drifting. One query, whatever the number of versions."""
    alerts = DriftAlert.objects.unresolved()
    if versions is not None:
        alerts = alerts.filter(version__in=versions.values("pk"))
    worst: dict[int, dict[str, str]] = {}
    for version_id, environment, severity in alerts.values_list(
        "version_id", "environment__name", "severity"
    ):
        by_environment = worst.setdefault(version_id, {})
        current = by_environment.get(environment)
        if current is None or _RANK[severity] > _RANK[current]:
            by_environment[environment] = severity
    return worst
