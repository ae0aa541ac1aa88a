"""Ingesting drift reports and tracking their alerts (the moves every alert
shares are in drift.services.alerts)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from auditlog.models import LogEntry
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from drift.exceptions import PayloadTooLargeError
from drift.models import (
    DriftAlert,
    DriftReport,
    FeatureDrift,
    Severity,
)
from drift.services.alerts import severity_rose
from drift.services.reports import check_report_post
from drift.stats import (
    DriftInputError,
    DriftPayloadTooLargeError,
    FeatureInput,
    FeatureResult,
    RawSample,
    analyse_features,
    parse_features,
    summarise_report,
)
from mlgov.actors import Actor
from mlgov.audit import record_bulk_changes
from mlgov.events import announce
from mlgov.exceptions import FieldError
from registry.models import Environment, ModelVersion


@dataclass(frozen=True)
class IngestedReport:
    """A stored report, its feature rows and the alerts it opened or updated."""

    report: DriftReport
    features: list[FeatureDrift]
    alerts: list[DriftAlert]


def _feature_row(report: DriftReport, result: FeatureResult) -> FeatureDrift:
    return FeatureDrift(
        report=report,
        feature=result.feature,
        kind=result.kind,
        method=result.method,
        threshold=result.threshold,
        statistic=result.statistic,
        p_value=result.p_value,
        psi=result.psi,
        drifted=result.drifted,
        severity=result.severity,
        n_reference=result.n_reference,
        n_current=result.n_current,
        excluded=result.excluded,
        evaluable=result.evaluable,
        reason=result.reason or "",
        approximation=result.approximation or "",
        bins=result.bins or "",
        reference_histogram=result.reference_histogram,
        current_histogram=result.current_histogram,
    )


def _unresolved_alerts(report: DriftReport, features) -> dict[str, DriftAlert]:
    alerts = (
        DriftAlert.objects.unresolved()
        .filter(
            version=report.version,
            environment=report.environment,
            feature__in=list(features),
        )
        .select_related("acknowledged_by", "resolved_by")
        .select_for_update(of=("self",))
        .order_by("feature")
    )
    return {alert.feature: alert for alert in alerts}


def _open_alerts(report: DriftReport, drifted: list[FeatureResult]) -> list[DriftAlert]:
    alerts = [
        DriftAlert(
            version=report.version,
            environment=report.environment,
            feature=result.feature,
            severity=result.severity,
            first_seen_at=report.created_at,
            last_seen_at=report.created_at,
            latest_report=report,
        )
        for result in drifted
    ]
    DriftAlert.objects.bulk_create(alerts)
    return alerts


def _track_alerts(
    report: DriftReport, results: Sequence[FeatureResult]
) -> tuple[list[DriftAlert], list[DriftAlert], list[DriftAlert]]:
    """Open or update each evaluable feature's unresolved alert, in bulk;
    return every alert touched, those opened, and those whose severity rose.

    A drifting feature opens an alert or updates the unresolved one; a feature
    no longer drifting updates an unresolved alert's severity (down to ok) but
    never closes it: a person resolves alerts."""
    evaluable = {result.feature: result for result in results if result.evaluable}
    existing = _unresolved_alerts(report, evaluable)
    try:
        # A savepoint, so losing a race to a concurrent report leaves this
        # transaction usable: the winner's alerts are then updated instead.
        with transaction.atomic():
            opened = _open_alerts(
                report,
                [
                    r
                    for name, r in evaluable.items()
                    if r.drifted and name not in existing
                ],
            )
    except IntegrityError:
        existing = _unresolved_alerts(report, evaluable)
        opened = _open_alerts(
            report,
            [r for name, r in evaluable.items() if r.drifted and name not in existing],
        )
    updated, previous = [], {}
    for name, alert in existing.items():
        result = evaluable[name]
        previous[alert.pk] = alert.severity
        alert.severity = result.severity
        alert.last_seen_at = report.created_at
        alert.latest_report = report
        updated.append(alert)
    # One UPDATE per severity rather than bulk_update's CASE per row: every
    # alert takes the same report and time, and there are three severities.
    by_severity: dict[str, list[int]] = {}
    for alert in updated:
        by_severity.setdefault(alert.severity, []).append(alert.pk)
    for severity, pks in by_severity.items():
        DriftAlert.objects.filter(pk__in=pks).update(
            severity=severity, last_seen_at=report.created_at, latest_report=report
        )
    record_bulk_changes(
        opened,
        action=LogEntry.Action.CREATE,
        changes=lambda alert: {
            "feature": [None, alert.feature],
            "severity": [None, alert.severity],
            "status": [None, alert.status],
            "latest_report": [None, str(report.pk)],
        },
    )
    record_bulk_changes(
        updated,
        action=LogEntry.Action.UPDATE,
        changes=lambda alert: {
            "severity": [previous[alert.pk], alert.severity],
            "latest_report": [None, str(report.pk)],
        },
    )
    for alert in updated:
        alert.version, alert.environment = report.version, report.environment
    escalated = [
        alert for alert in updated if severity_rose(previous[alert.pk], alert.severity)
    ]
    return sorted(opened + updated, key=lambda alert: alert.feature), opened, escalated


def parse_report_features(raw: object) -> list[FeatureInput]:
    """The report's features as engine inputs; bad shapes name the field, and
    raw values over the caps get 413 with the cap named."""
    per_feature = settings.DRIFT_MAX_VALUES_PER_FEATURE
    try:
        features = parse_features(raw, max_values=per_feature)
    except DriftPayloadTooLargeError as error:
        raise PayloadTooLargeError(
            f"{error.message} The cap is {per_feature:,} raw values per side of a "
            "feature: send a histogram (bin_edges and counts) or category counts "
            "instead.",
            details={"field": error.field, "max_values_per_feature": per_feature},
        ) from error
    except DriftInputError as error:
        raise FieldError(error.field, error.message) from error
    total = sum(
        side.values.size
        for feature in features
        for side in (feature.reference, feature.current)
        if isinstance(side, RawSample)
    )
    per_report = settings.DRIFT_MAX_VALUES_PER_REPORT
    if total > per_report:
        raise PayloadTooLargeError(
            f"The report carries {total:,} raw values; the cap is {per_report:,} per "
            "report. Send histograms (bin_edges and counts) or category counts.",
            details={"max_values_per_report": per_report},
        )
    return features


def ingest_drift_report(
    *,
    actor: Actor,
    version: ModelVersion,
    environment: Environment,
    window_start: datetime,
    window_end: datetime,
    features: Sequence[FeatureInput],
    dataset_drift_share: float | None = None,
    received_at: datetime | None = None,
) -> IngestedReport:
    """Compute drift for each feature, store the report and track alerts.
    `received_at` is for the demo loader, which replays past reports; a
    report posted now is stamped now."""
    check_report_post(
        actor=actor,
        version=version,
        window_start=window_start,
        window_end=window_end,
        reports="drift reports",
    )
    share = (
        settings.DRIFT_DATASET_DRIFT_SHARE
        if dataset_drift_share is None
        else dataset_drift_share
    )
    # The statistics run before the transaction opens, so no lock is held
    # while NumPy works.
    results = analyse_features(features, max_workers=settings.DRIFT_WORKERS)
    summary = summarise_report(results, share)
    with transaction.atomic():
        report = DriftReport.objects.create(
            version=version,
            environment=environment,
            window_start=window_start,
            window_end=window_end,
            submitted_by=actor,
            created_at=received_at or timezone.now(),
            severity=summary.severity,
            drift_share=summary.drift_share,
            dataset_drift=summary.dataset_drift,
            dataset_drift_share=summary.dataset_drift_share,
            n_features=summary.n_features,
            n_evaluable=summary.n_evaluable,
            n_drifted=summary.n_drifted,
        )
        feature_rows = FeatureDrift.objects.bulk_create(
            [_feature_row(report, result) for result in results]
        )
        alerts, opened, escalated = _track_alerts(report, results)
        announce(
            "drift.report_ingested",
            report_id=report.pk,
            model=version.model.name,
            version=version.version,
            environment=environment.name,
            severity=report.severity,
            drifted=report.n_drifted,
            evaluable=report.n_evaluable,
            alerts_drifting=sum(alert.severity != Severity.OK for alert in alerts),
            alerts_opened=[alert.pk for alert in opened],
            alerts_escalated=[alert.pk for alert in escalated],
        )
    return IngestedReport(report=report, features=feature_rows, alerts=alerts)
