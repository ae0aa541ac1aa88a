"""Every state change of monitoring beyond drift: ingesting performance and
fairness reports, keeping the latest per version and environment, and the
alerts of metrics past the limits an environment sets."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from drift.constants import (
    SEVERITY_CRITICAL,
    SEVERITY_OK,
    SEVERITY_WARNING,
)
from drift.exceptions import PayloadTooLargeError
from drift.models import (
    FairnessGroup,
    FairnessReport,
    LatestMonitoringReport,
    MonitoringAlert,
    MonitoringThreshold,
    PerformanceReport,
)
from drift.quality import (
    FairnessInput,
    PerformanceInput,
    QualityInputError,
    QualityPayloadTooLargeError,
    compute_fairness,
    compute_performance,
    parse_fairness,
    parse_performance,
)
from drift.quality.constants import (
    DISPARATE_IMPACT_RATIO,
    FAIRNESS,
    FOUR_FIFTHS,
    LOWER_IS_BETTER,
    PERFORMANCE,
)
from drift.services.alerts import severity_rose
from drift.services.reports import check_report_post
from mlgov.actors import Actor
from mlgov.events import announce
from mlgov.exceptions import FieldError
from registry.models import Environment, ModelVersion


@dataclass(frozen=True)
class Limit:
    """Where a metric turns into an alert, in an environment."""

    metric: str
    warning: float
    critical: float | None

    def severity(self, value: float | None) -> str | None:
        """The alert severity `value` earns; None when the value is unknown."""
        if value is None:
            return None
        if self.metric in LOWER_IS_BETTER:
            if self.critical is not None and value > self.critical:
                return SEVERITY_CRITICAL
            return SEVERITY_WARNING if value > self.warning else SEVERITY_OK
        if self.critical is not None and value < self.critical:
            return SEVERITY_CRITICAL
        return SEVERITY_WARNING if value < self.warning else SEVERITY_OK

    def bound(self, severity: str) -> float:
        """The limit a value of `severity` is past: the critical one when
        it has one, else the warning one."""
        if severity == SEVERITY_CRITICAL and self.critical is not None:
            return self.critical
        return self.warning


def environment_limits(environment: Environment) -> dict[str, Limit]:
    """The limits `environment` sets per metric; the four-fifths rule is the
    disparate impact ratio's limit (a warning below 0.8) unless the
    environment sets its own."""
    limits = {DISPARATE_IMPACT_RATIO: Limit(DISPARATE_IMPACT_RATIO, FOUR_FIFTHS, None)}
    for row in MonitoringThreshold.objects.filter(environment=environment):
        limits[row.metric] = Limit(row.metric, row.warning, row.critical)
    return limits


def _parse(parse, payload: Mapping[str, object]):
    cap = settings.DRIFT_MAX_VALUES_PER_FEATURE
    try:
        return parse(payload, max_rows=cap)
    except QualityPayloadTooLargeError as error:
        raise PayloadTooLargeError(
            f"{error.message} Raw rows are capped at {cap:,} per list (the drift "
            "cap per feature): send summaries instead.",
            details={"field": error.field, "max_rows": cap},
        ) from error
    except QualityInputError as error:
        raise FieldError(error.field, error.message) from error


def parse_performance_payload(payload: Mapping[str, object]) -> PerformanceInput:
    """The payload's raw pairs or summaries; bad shapes name the field (400),
    raw rows over the cap get 413 naming it."""
    return _parse(parse_performance, payload)


def parse_fairness_payload(payload: Mapping[str, object]) -> FairnessInput:
    """As `parse_performance_payload`, for a fairness report."""
    return _parse(parse_fairness, payload)


def _keep_latest(
    *,
    report: PerformanceReport | FairnessReport,
    kind: str,
    attribute: str,
    values: Mapping[str, float | None],
) -> None:
    """Make `report` the latest of its subject unless a later one is stored
    (the demo loader replays the past, possibly out of order)."""
    subject = {
        "version": report.version,
        "environment": report.environment,
        "kind": kind,
        "attribute": attribute,
    }
    fields = {
        "performance_report": report if kind == PERFORMANCE else None,
        "fairness_report": report if kind == FAIRNESS else None,
        "reported_at": report.created_at,
        "window_end": report.window_end,
        "values": dict(values),
    }
    current = (
        LatestMonitoringReport.objects.select_for_update().filter(**subject).first()
    )
    if current is None:
        try:
            with transaction.atomic():
                LatestMonitoringReport.objects.create(**subject, **fields)
            return
        except IntegrityError:
            current = LatestMonitoringReport.objects.select_for_update().get(**subject)
    if current.reported_at <= report.created_at:
        for name, value in fields.items():
            setattr(current, name, value)
        current.save()


@dataclass(frozen=True)
class TrackedAlerts:
    touched: list[MonitoringAlert]
    opened: list[MonitoringAlert]
    escalated: list[MonitoringAlert]


def _track_alerts(
    *,
    report: PerformanceReport | FairnessReport,
    kind: str,
    attribute: str,
    values: Mapping[str, float | None],
) -> TrackedAlerts:
    """Open an alert for each metric past its limit, update the unresolved
    ones of the subject (their severity may fall to ok: a person resolves
    alerts); return the alerts touched, those opened and those whose
    severity rose."""
    limits = environment_limits(report.environment)
    link = (
        {"latest_performance_report": report}
        if kind == PERFORMANCE
        else {"latest_fairness_report": report}
    )
    subject = {
        "version": report.version,
        "environment": report.environment,
        "kind": kind,
        "attribute": attribute,
    }
    existing = {
        alert.metric: alert
        for alert in MonitoringAlert.objects.unresolved()
        .filter(**subject)
        .select_for_update()
    }
    touched, opened, escalated = [], [], []

    def update(alert: MonitoringAlert, severity: str, fields: dict) -> None:
        if severity_rose(alert.severity, severity):
            escalated.append(alert)
        for name, field_value in fields.items():
            setattr(alert, name, field_value)
        alert.save()

    for metric, value in values.items():
        limit = limits.get(metric)
        severity = None if limit is None else limit.severity(value)
        if limit is None or severity is None:
            continue
        fields = {
            "severity": severity,
            "value": value,
            "limit": limit.bound(severity),
            "last_seen_at": report.created_at,
            **link,
        }
        alert = existing.get(metric)
        if alert is not None:
            update(alert, severity, fields)
            touched.append(alert)
        elif severity in (SEVERITY_WARNING, SEVERITY_CRITICAL):
            try:
                # A savepoint: a concurrent report may open the same alert
                # first; this report then updates the winner's.
                with transaction.atomic():
                    alert = MonitoringAlert.objects.create(
                        **subject,
                        metric=metric,
                        first_seen_at=report.created_at,
                        **fields,
                    )
                opened.append(alert)
            except IntegrityError:
                alert = (
                    MonitoringAlert.objects.unresolved()
                    .select_for_update()
                    .get(**subject, metric=metric)
                )
                update(alert, severity, fields)
            touched.append(alert)
    return TrackedAlerts(touched=touched, opened=opened, escalated=escalated)


@dataclass(frozen=True)
class IngestedPerformanceReport:
    report: PerformanceReport
    alerts: list[MonitoringAlert]


@dataclass(frozen=True)
class IngestedFairnessReport:
    report: FairnessReport
    groups: list[FairnessGroup]
    alerts: list[MonitoringAlert]


def ingest_performance_report(
    *,
    actor: Actor,
    version: ModelVersion,
    environment: Environment,
    window_start: datetime,
    window_end: datetime,
    data: PerformanceInput,
    received_at: datetime | None = None,
) -> IngestedPerformanceReport:
    """Compute the performance metrics, store the report, keep it as the
    latest and track alerts. `received_at` is for the demo loader's past."""
    check_report_post(
        actor=actor,
        version=version,
        window_start=window_start,
        window_end=window_end,
        reports="monitoring reports",
    )
    result = compute_performance(data)
    matrix = result.confusion
    with transaction.atomic():
        report = PerformanceReport.objects.create(
            version=version,
            environment=environment,
            window_start=window_start,
            window_end=window_end,
            submitted_by=actor,
            created_at=received_at or timezone.now(),
            input_kind=result.input_kind,
            sample_size=result.sample_size,
            positives=result.positives,
            positives_share=result.positives_share,
            auc=result.auc,
            auc_method=result.auc_method,
            accuracy=result.accuracy,
            precision=result.precision,
            recall=result.recall,
            f1=result.f1,
            ece=result.ece,
            ece_method=result.ece_method,
            decision_threshold=result.decision_threshold,
            tp=None if matrix is None else matrix.tp,
            fp=None if matrix is None else matrix.fp,
            tn=None if matrix is None else matrix.tn,
            fn=None if matrix is None else matrix.fn,
            calibration=result.calibration,
            notes=result.notes,
        )
        values = result.metrics()
        _keep_latest(report=report, kind=PERFORMANCE, attribute="", values=values)
        tracked = _track_alerts(
            report=report, kind=PERFORMANCE, attribute="", values=values
        )
        announce(
            "monitoring.performance_report_ingested",
            report_id=report.pk,
            model=version.model.name,
            version=version.version,
            environment=environment.name,
            alerts_opened=[alert.pk for alert in tracked.opened],
            alerts_escalated=[alert.pk for alert in tracked.escalated],
        )
    return IngestedPerformanceReport(report=report, alerts=tracked.touched)


def ingest_fairness_report(
    *,
    actor: Actor,
    version: ModelVersion,
    environment: Environment,
    window_start: datetime,
    window_end: datetime,
    data: FairnessInput,
    received_at: datetime | None = None,
) -> IngestedFairnessReport:
    """Compute the per-group rates and gaps, store the report with a row per
    group, keep it as the latest for its attribute and track alerts."""
    check_report_post(
        actor=actor,
        version=version,
        window_start=window_start,
        window_end=window_end,
        reports="monitoring reports",
    )
    result = compute_fairness(data)
    with transaction.atomic():
        report = FairnessReport.objects.create(
            version=version,
            environment=environment,
            window_start=window_start,
            window_end=window_end,
            submitted_by=actor,
            created_at=received_at or timezone.now(),
            input_kind=result.input_kind,
            sample_size=result.sample_size,
            notes=result.notes,
            attribute=result.attribute,
            reference_group=result.reference_group,
            reference_choice=result.reference_choice,
            demographic_parity_difference=result.demographic_parity_difference,
            equal_opportunity_difference=result.equal_opportunity_difference,
            disparate_impact_ratio=result.disparate_impact_ratio,
            equal_opportunity_ratio=result.equal_opportunity_ratio,
            four_fifths_passed=result.four_fifths_passed,
        )
        groups = FairnessGroup.objects.bulk_create(
            [FairnessGroup(report=report, **vars(group)) for group in result.groups]
        )
        values = result.metrics()
        _keep_latest(
            report=report, kind=FAIRNESS, attribute=result.attribute, values=values
        )
        tracked = _track_alerts(
            report=report, kind=FAIRNESS, attribute=result.attribute, values=values
        )
        announce(
            "monitoring.fairness_report_ingested",
            report_id=report.pk,
            model=version.model.name,
            version=version.version,
            environment=environment.name,
            attribute=result.attribute,
            four_fifths_passed=result.four_fifths_passed,
            alerts_opened=[alert.pk for alert in tracked.opened],
            alerts_escalated=[alert.pk for alert in tracked.escalated],
        )
    return IngestedFairnessReport(report=report, groups=groups, alerts=tracked.touched)


__all__ = [
    "IngestedFairnessReport",
    "IngestedPerformanceReport",
    "Limit",
    "environment_limits",
    "ingest_fairness_report",
    "ingest_performance_report",
    "parse_fairness_payload",
    "parse_performance_payload",
]
