"""Reads of drift data that pages, endpoints and other apps need."""

from collections.abc import Iterable

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from drift.constants import ALERT_SEVERITIES, SEVERITY_RANK, UNRESOLVED
from drift.models import (
    AlertQuerySet,
    DriftAlert,
    DriftReport,
    FairnessGroup,
    FairnessReport,
    FeatureDrift,
    LatestMonitoringReport,
    MonitoringAlert,
    PerformanceReport,
)
from drift.quality.constants import FAIRNESS, PERFORMANCE
from mlgov.exceptions import NotFoundError
from registry.models import MLModel, ModelVersion


def open_alert_rows(
    versions: QuerySet[ModelVersion] | None = None, *, version_id: int | None = None
) -> QuerySet:
    """(version id, environment name, severity) of every unresolved alert of
    `versions` (default: all) or of the one version `version_id`, for
    `worst_open_drift`."""
    alerts = DriftAlert.objects.unresolved()
    if versions is not None:
        alerts = alerts.filter(version__in=versions.values("pk"))
    if version_id is not None:
        alerts = alerts.filter(version_id=version_id)
    return alerts.order_by().values_list("version_id", "environment__name", "severity")


def worst_open_drift(
    rows: Iterable[tuple[int, str, str]],
) -> dict[int, dict[str, str]]:
    """Worst severity per environment name, per version id, of `open_alert_rows`.

    Acknowledged alerts count: acknowledging says someone is on it, not that
    the data stopped drifting."""
    worst: dict[int, dict[str, str]] = {}
    for version_id, environment, severity in rows:
        by_environment = worst.setdefault(version_id, {})
        current = by_environment.get(environment)
        if current is None or SEVERITY_RANK[severity] > SEVERITY_RANK[current]:
            by_environment[environment] = severity
    return worst


def open_drift_by_version(
    *, versions: QuerySet[ModelVersion] | None = None
) -> dict[int, dict[str, str]]:
    """Worst unresolved alert severity per environment name, per version id.
    One query, whatever the number of versions."""
    return worst_open_drift(open_alert_rows(versions))


def with_open_alert_counts(models: QuerySet[MLModel]) -> QuerySet[MLModel]:
    """`models` annotated with `open_<severity>_alerts`: the unresolved alerts
    of any of the model's versions, per severity. One subquery per severity,
    in the list's own query; acknowledged alerts count, as above."""
    counts = {}
    for severity in ALERT_SEVERITIES:
        alerts = (
            DriftAlert.objects.unresolved()
            .filter(version__model=OuterRef("pk"), severity=severity)
            .order_by()
            .values("version__model")
            .annotate(count=Count("pk"))
            .values("count")
        )
        counts[f"open_{severity}_alerts"] = Coalesce(
            Subquery(alerts, output_field=IntegerField()), 0
        )
    return models.annotate(**counts)


def open_alert_counts_by_model(models: QuerySet[MLModel]) -> dict[int, dict[str, int]]:
    """Per model id of `models` with an unresolved alert, the unresolved alerts
    of any of its versions per alert severity (each severity present, zero or
    not). One grouped query over the unresolved alerts, which are few: the
    portfolio's rows read this where `with_open_alert_counts`'s subqueries,
    run once per model, cost seconds at ten thousand models."""
    rows = (
        DriftAlert.objects.unresolved()
        .filter(version__model__in=models.values("pk"))
        .values_list("version__model_id", "severity")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for model_id, severity, count in rows:
        counts.setdefault(model_id, dict.fromkeys(ALERT_SEVERITIES, 0))[severity] = (
            count
        )
    return counts


def filter_rows(rows: QuerySet, **filters: object) -> QuerySet:
    """Apply the list filters that were given (model, version, environment,
    severity, status, and a monitoring alert's kind and metric); absent or
    empty ones do not filter."""
    lookups = {
        "model": "version__model__name",
        "version": "version__version",
        "environment": "environment__name",
        "severity": "severity",
        "status": "status",
        "kind": "kind",
        "metric": "metric",
    }
    return rows.filter(
        **{lookups[name]: value for name, value in filters.items() if value}
    )


def report_list(
    *,
    model: str | None = None,
    version: int | None = None,
    environment: str | None = None,
    severity: str | None = None,
) -> QuerySet[DriftReport]:
    """Drift reports with the rows their list shows, filtered."""
    reports = DriftReport.objects.select_related(
        "version__model", "environment", "submitted_by"
    )
    return filter_rows(
        reports,
        model=model,
        version=version,
        environment=environment,
        severity=severity,
    )


def report_detail(*, pk: int) -> DriftReport:
    """One report with its features and the alerts it last touched."""
    report = (
        report_list()
        .prefetch_related(
            Prefetch("features", queryset=FeatureDrift.objects.order_by("id")),
            Prefetch(
                "alerts",
                queryset=DriftAlert.objects.select_related(
                    "version__model", "environment", "acknowledged_by", "resolved_by"
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise NotFoundError(f"No drift report {pk}.")
    return report


def _alert_rows(
    alerts: AlertQuerySet,
    *,
    status: str | None,
    inventory_only: bool,
    **filters: object,
) -> QuerySet:
    """What the drift and the monitoring alert lists share: the rows their
    lists show, filtered, latest seen first; status `unresolved` means open
    or acknowledged, and `inventory_only` leaves out the alerts of archived
    models."""
    alerts = alerts.select_related(
        "version__model", "environment", "acknowledged_by", "resolved_by"
    )
    if inventory_only:
        alerts = alerts.filter(version__model__archived_at__isnull=True)
    if status == UNRESOLVED:
        alerts, status = alerts.unresolved(), None
    return filter_rows(alerts, status=status, **filters).order_by(
        "-last_seen_at", "-id"
    )


def alert_list(
    *,
    model: str | None = None,
    version: int | None = None,
    environment: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    inventory_only: bool = False,
) -> QuerySet[DriftAlert]:
    """Drift alerts, filtered as `_alert_rows` says."""
    return _alert_rows(
        DriftAlert.objects.all(),
        status=status,
        inventory_only=inventory_only,
        model=model,
        version=version,
        environment=environment,
        severity=severity,
    )


def alert_by_id(*, pk: int) -> DriftAlert:
    """One alert, or NotFoundError."""
    alert = alert_list().filter(pk=pk).first()
    if alert is None:
        raise NotFoundError(f"No drift alert {pk}.")
    return alert


def open_alert_counts_by_severity() -> dict[str, int]:
    """Alerts in status open, by severity, with 0 for every alert severity."""
    counts = dict.fromkeys(ALERT_SEVERITIES, 0)
    rows = (
        DriftAlert.objects.filter(status=DriftAlert.Status.OPEN)
        .values("severity")
        .annotate(count=Count("pk"))
    )
    counts.update((row["severity"], row["count"]) for row in rows)
    return counts


# --- performance and fairness ---------------------------------------------------


def _latest_of(kind: str, version_ids: Iterable[int], environment: str) -> QuerySet:
    return LatestMonitoringReport.objects.filter(
        version_id__in=list(version_ids), environment__name=environment, kind=kind
    )


def latest_performance_reports(
    version_ids: Iterable[int], environment: str
) -> dict[int, PerformanceReport]:
    """The latest performance report of each version in `version_ids` in the
    environment named `environment`, by version id (absent: none yet). One
    query."""
    latest = _latest_of(PERFORMANCE, version_ids, environment)
    reports = PerformanceReport.objects.filter(
        pk__in=latest.values("performance_report_id")
    ).select_related("version__model", "environment", "submitted_by")
    return {report.version_id: report for report in reports}


def latest_fairness_reports(
    version_ids: Iterable[int], environment: str
) -> dict[int, list[FairnessReport]]:
    """The latest fairness report per attribute of each version in
    `version_ids` in the environment named `environment`, by version id, by
    attribute name. One query (the per-group rows are not read)."""
    latest = _latest_of(FAIRNESS, version_ids, environment)
    reports = (
        FairnessReport.objects.filter(pk__in=latest.values("fairness_report_id"))
        .select_related("version__model", "environment", "submitted_by")
        .order_by("attribute")
    )
    by_version: dict[int, list[FairnessReport]] = {}
    for report in reports:
        by_version.setdefault(report.version_id, []).append(report)
    return by_version


def latest_monitoring_rows(
    versions: QuerySet[ModelVersion] | None = None, *, version_id: int | None = None
) -> QuerySet:
    """(version id, environment name, kind, attribute, window end, values) of
    the latest performance and fairness reports of `versions` (default: all)
    or of the one version `version_id`: what the governance rules read."""
    rows = LatestMonitoringReport.objects.all()
    if versions is not None:
        rows = rows.filter(version__in=versions.values("pk"))
    if version_id is not None:
        rows = rows.filter(version_id=version_id)
    return rows.order_by().values_list(
        "version_id", "environment__name", "kind", "attribute", "window_end", "values"
    )


def performance_reports_of(
    versions: Iterable[ModelVersion],
) -> QuerySet[PerformanceReport]:
    """The performance reports of `versions`, with what their rows show."""
    return PerformanceReport.objects.filter(version__in=versions).select_related(
        "version__model", "environment", "submitted_by"
    )


def performance_report_list(
    *, version: ModelVersion, environment: str | None = None
) -> QuerySet[PerformanceReport]:
    """A version's performance reports, newest first."""
    reports = performance_reports_of([version])
    if environment:
        reports = reports.filter(environment__name=environment)
    return reports


def performance_report_detail(*, version: ModelVersion, pk: int) -> PerformanceReport:
    report = (
        performance_report_list(version=version)
        .prefetch_related(Prefetch("alerts", queryset=monitoring_alert_list()))
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise NotFoundError(f"No performance report {pk} of {version}.")
    return report


def fairness_reports_of(versions: Iterable[ModelVersion]) -> QuerySet[FairnessReport]:
    """The fairness reports of `versions`, with their groups."""
    return (
        FairnessReport.objects.filter(version__in=versions)
        .select_related("version__model", "environment", "submitted_by")
        .prefetch_related(
            Prefetch("groups", queryset=FairnessGroup.objects.order_by("group"))
        )
    )


def fairness_report_list(
    *, version: ModelVersion, environment: str | None = None
) -> QuerySet[FairnessReport]:
    """A version's fairness reports, newest first, with their groups."""
    reports = fairness_reports_of([version])
    if environment:
        reports = reports.filter(environment__name=environment)
    return reports


def fairness_report_detail(*, version: ModelVersion, pk: int) -> FairnessReport:
    report = (
        fairness_report_list(version=version)
        .prefetch_related(Prefetch("alerts", queryset=monitoring_alert_list()))
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise NotFoundError(f"No fairness report {pk} of {version}.")
    return report


def monitoring_alert_list(
    *,
    model: str | None = None,
    version: int | None = None,
    environment: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    metric: str | None = None,
    inventory_only: bool = False,
) -> QuerySet[MonitoringAlert]:
    """Performance and fairness alerts, filtered as `_alert_rows` says, and
    by kind (performance or fairness) and metric."""
    return _alert_rows(
        MonitoringAlert.objects.all(),
        status=status,
        inventory_only=inventory_only,
        model=model,
        version=version,
        environment=environment,
        severity=severity,
        kind=kind,
        metric=metric,
    )


def monitoring_alert_by_id(*, pk: int) -> MonitoringAlert:
    """One performance or fairness alert, or NotFoundError."""
    alert = monitoring_alert_list().filter(pk=pk).first()
    if alert is None:
        raise NotFoundError(f"No monitoring alert {pk}.")
    return alert
