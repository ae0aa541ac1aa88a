"""What the model page shows, each part read in one query."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from auditlog.models import LogEntry
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from command_center.portfolio import ModelRow
from command_center.selectors.deployments import deployment_timeline
from command_center.selectors.rows import model_rows
from compliance.models import TechnicalDocument
from deployments.models import Deployment
from deployments.selectors import model_standings
from deployments.standing import ModelStanding, canary_label
from drift.models import (
    DriftAlert,
    DriftReport,
    FairnessGroup,
    FairnessReport,
    FeatureDrift,
    LatestMonitoringReport,
    MonitoringAlert,
    MonitoringThreshold,
    PerformanceReport,
)
from drift.quality.constants import AUC, F1, FAIRNESS, PERFORMANCE_METRICS
from governance.constants import WAIVER_ACTIVE
from governance.engine import RuleResult, Verdict
from governance.models import Approval, Evaluation, Waiver
from integrations.models import UngovernedChange
from integrations.selectors import (
    MlflowOrigin,
    mlflow_origins,
    open_ungoverned_changes,
)
from mlgov.audit import entries_about
from mlgov.exceptions import NotFoundError
from registry.models import (
    Environment,
    MLModel,
    ModelVersion,
    RiskClassChange,
    UseCaseIntake,
)
from registry.selectors import environments as registry_environments

# --- the model page ---------------------------------------------------------


@dataclass(frozen=True)
class DriftPoint:
    """One feature's result in one report, for the drift charts."""

    at: datetime
    version: int
    method: str
    statistic: float | None
    p_value: float | None
    threshold: float | None
    psi: float | None
    severity: str
    drifted: bool
    evaluable: bool


@dataclass(frozen=True)
class DriftSeries:
    """The history of one feature in one environment by one method, oldest
    first: a chart plots one method against its own threshold."""

    feature: str
    environment: str
    method: str
    points: tuple[DriftPoint, ...]

    @property
    def latest(self) -> DriftPoint:
        return self.points[-1]


DRIFT_HISTORY_REPORTS = 60


def drift_history(
    *, model_id: int, reports: int = DRIFT_HISTORY_REPORTS
) -> list[DriftSeries]:
    """Per feature, environment and method, the results of the model's latest
    `reports` drift reports, in two queries."""
    report_ids = list(
        DriftReport.objects.filter(version__model_id=model_id)
        .order_by("-window_end", "-id")
        .values_list("pk", flat=True)[:reports]
    )
    if not report_ids:
        return []
    rows = (
        FeatureDrift.objects.filter(report_id__in=report_ids)
        .order_by(
            "feature",
            "report__environment__rank",
            "method",
            "report__window_end",
            "report_id",
        )
        .values_list(
            "feature",
            "report__environment__name",
            "report__window_end",
            "report__version__version",
            "method",
            "statistic",
            "p_value",
            "threshold",
            "psi",
            "severity",
            "drifted",
            "evaluable",
        )
    )
    series: dict[tuple[str, str, str], list[DriftPoint]] = defaultdict(list)
    for (
        feature,
        environment,
        at,
        version,
        method,
        statistic,
        p_value,
        threshold,
        psi,
        severity,
        drifted,
        evaluable,
    ) in rows:
        series[(feature, environment, method)].append(
            DriftPoint(
                at=at,
                version=version,
                method=method,
                statistic=statistic,
                p_value=p_value,
                threshold=threshold,
                psi=psi,
                severity=severity,
                drifted=drifted,
                evaluable=evaluable,
            )
        )
    return [
        DriftSeries(
            feature=feature,
            environment=environment,
            method=method,
            points=tuple(points),
        )
        for (feature, environment, method), points in series.items()
    ]


def model_audit_history(*, model_id: int) -> QuerySet[LogEntry]:
    """Audit entries of the model, its versions, their approvals, waivers,
    deployments, drift alerts, technical documents, use-case intakes and risk
    class changes, newest first, in one query."""
    return entries_about(
        {
            MLModel: MLModel.objects.filter(pk=model_id),
            ModelVersion: ModelVersion.objects.filter(model_id=model_id),
            Approval: Approval.objects.filter(version__model_id=model_id),
            Waiver: Waiver.objects.filter(version__model_id=model_id),
            Deployment: Deployment.objects.filter(model_id=model_id),
            DriftAlert: DriftAlert.objects.filter(version__model_id=model_id),
            TechnicalDocument: TechnicalDocument.objects.filter(
                version__model_id=model_id
            ),
            UseCaseIntake: UseCaseIntake.objects.filter(model_id=model_id),
            RiskClassChange: RiskClassChange.objects.filter(model_id=model_id),
        }
    )


@dataclass(frozen=True)
class SpeakingVersion:
    """A version that speaks for the model in one environment (its primary,
    a canary beside it, or the candidate), with its verdict there computed
    now as the gate computes it, the waivers covering it and its open drift
    alerts there."""

    label: str
    version_id: int
    verdict: Verdict
    waivers: tuple[Waiver, ...]
    alerts: tuple[DriftAlert, ...]

    @property
    def unmet_rules(self) -> tuple[RuleResult, ...]:
        """Every rule that did not pass, waived and advisory ones included."""
        return tuple(result for result in self.verdict.results if not result.passed)


@dataclass(frozen=True)
class EnvironmentStatus:
    """The model in one environment: the freeze, and who speaks for it."""

    environment: Environment
    subject: SpeakingVersion | None
    canary: SpeakingVersion | None

    @property
    def speaking(self) -> tuple[SpeakingVersion, ...]:
        """The subject, then a canary serving beside it."""
        return tuple(found for found in (self.subject, self.canary) if found)


def _speaking_version(
    *,
    label: str,
    version_id: int,
    verdict: Verdict,
    environment: Environment,
    waivers: Sequence[Waiver],
    alerts: Sequence[DriftAlert],
) -> SpeakingVersion:
    return SpeakingVersion(
        label=label,
        version_id=version_id,
        verdict=verdict,
        waivers=tuple(
            waiver
            for waiver in waivers
            if waiver.version_id == version_id and waiver.state == WAIVER_ACTIVE
        ),
        alerts=tuple(
            alert
            for alert in alerts
            if alert.version_id == version_id and alert.environment_id == environment.pk
        ),
    )


def environment_statuses(
    *,
    environments: Sequence[Environment],
    standing: ModelStanding | None,
    waivers: Sequence[Waiver],
    alerts: Sequence[DriftAlert],
) -> list[EnvironmentStatus]:
    """Per environment, the version that speaks for the model there (DESIGN
    §2, as deployments' `model_standings` decides it) and a canary beside it,
    each with its verdict, waivers and open alerts; no query."""
    statuses = []
    for environment in environments:
        found = standing.environments.get(environment.name) if standing else None
        if found is None:
            statuses.append(EnvironmentStatus(environment, None, None))
            continue
        subject = found.subject
        canary = subject.canary
        statuses.append(
            EnvironmentStatus(
                environment,
                _speaking_version(
                    label=subject.label,
                    version_id=subject.version.version_id,
                    verdict=found.verdict,
                    environment=environment,
                    waivers=waivers,
                    alerts=alerts,
                ),
                _speaking_version(
                    label=canary_label(canary.version.version, canary.traffic_percent),
                    version_id=canary.version.version_id,
                    verdict=found.canary_verdict,
                    environment=environment,
                    waivers=waivers,
                    alerts=alerts,
                )
                if canary is not None and found.canary_verdict is not None
                else None,
            )
        )
    return statuses


@dataclass(frozen=True)
class PerformancePoint:
    at: datetime
    version: int
    value: float
    sample_size: int


@dataclass(frozen=True)
class PerformanceSeries:
    """One metric of the model's performance reports in one environment,
    oldest first, with the floor (or maximum) the environment sets."""

    metric: str
    environment: str
    points: tuple[PerformancePoint, ...]
    warning: float | None
    critical: float | None

    @property
    def latest(self) -> PerformancePoint:
        return self.points[-1]


PERFORMANCE_HISTORY_REPORTS = 60


def performance_history(
    *, model_id: int, reports: int = PERFORMANCE_HISTORY_REPORTS
) -> list[PerformanceSeries]:
    """Per environment, AUC, F1 and every metric the environment sets a limit
    on, over the model's latest `reports` performance reports: two queries
    (the reports, the limits)."""
    rows = list(
        PerformanceReport.objects.filter(version__model_id=model_id)
        .order_by("-window_end", "-id")
        .values_list(
            "environment__name",
            "environment__rank",
            "window_end",
            "version__version",
            "sample_size",
            *PERFORMANCE_METRICS,
        )[:reports]
    )
    if not rows:
        return []
    limit_rows = MonitoringThreshold.objects.filter(
        metric__in=PERFORMANCE_METRICS
    ).values_list("environment__name", "metric", "warning", "critical")
    limits = {
        (environment, metric): (warning, critical)
        for environment, metric, warning, critical in limit_rows
    }
    series: dict[tuple[int, str, str], list[PerformancePoint]] = defaultdict(list)
    for environment, rank, at, version, size, *values in reversed(rows):
        for metric, value in zip(PERFORMANCE_METRICS, values, strict=True):
            charted = metric in (AUC, F1) or (environment, metric) in limits
            if value is not None and charted:
                series[(rank, environment, metric)].append(
                    PerformancePoint(
                        at=at, version=version, value=value, sample_size=size
                    )
                )
    return [
        PerformanceSeries(
            metric=metric,
            environment=environment,
            points=tuple(points),
            warning=limits.get((environment, metric), (None, None))[0],
            critical=limits.get((environment, metric), (None, None))[1],
        )
        for (_rank, environment, metric), points in sorted(
            series.items(),
            key=lambda item: (item[0][0], PERFORMANCE_METRICS.index(item[0][2])),
        )
    ]


def latest_fairness(*, model_id: int) -> list[FairnessReport]:
    """The latest fairness report per version, environment and attribute of
    the model, with its groups: two queries."""
    latest = LatestMonitoringReport.objects.filter(
        version__model_id=model_id, kind=FAIRNESS
    ).values("fairness_report_id")
    return list(
        FairnessReport.objects.filter(pk__in=latest)
        .select_related("version", "environment")
        .prefetch_related(
            Prefetch("groups", queryset=FairnessGroup.objects.order_by("group"))
        )
        .order_by("environment__rank", "attribute", "-version__version")
    )


def open_monitoring_alerts(*, model_id: int) -> list[MonitoringAlert]:
    """The model's unresolved performance and fairness alerts, in one query."""
    return list(
        MonitoringAlert.objects.unresolved()
        .filter(version__model_id=model_id)
        .select_related("version", "environment")
        .order_by("-last_seen_at", "-id")
    )


@dataclass(frozen=True)
class ModelPage:
    """Everything the model page shows, each part read in one query."""

    model: MLModel
    row: ModelRow
    versions: list[ModelVersion]
    evaluations: list[Evaluation]
    approvals: list[Approval]
    waivers: list[Waiver]
    open_alerts: list[DriftAlert]
    drift: list[DriftSeries]
    deployments: list[Deployment]
    audit: QuerySet[LogEntry]
    environments: tuple[str, ...]
    statuses: list[EnvironmentStatus]
    mlflow_origins: list[MlflowOrigin]
    ungoverned_changes: list[UngovernedChange]
    performance: list[PerformanceSeries]
    fairness: list[FairnessReport]
    monitoring_alerts: list[MonitoringAlert]


def model_page(*, name: str, now: datetime | None = None) -> ModelPage:
    """The model page's data, or NotFoundError."""
    now = now or timezone.now()
    model = MLModel.objects.select_related("team", "owner").filter(name=name).first()
    if model is None:
        raise NotFoundError(f"No model named {name!r}.")
    environments = list(registry_environments())
    names = [environment.name for environment in environments]
    this_model = MLModel.objects.filter(pk=model.pk)
    standings = model_standings(this_model, environments=names, now=now)
    (row,) = model_rows(this_model, now=now, standings=standings)
    versions = list(
        model.versions.select_related("created_by", "submitted_by").order_by("-version")
    )
    evaluations = list(
        Evaluation.objects.filter(version__model=model)
        .select_related("version", "environment", "requested_by")
        .order_by("-evaluated_at", "-id")[:20]
    )
    approvals = list(
        Approval.objects.filter(version__model=model)
        .select_related("version", "reviewer")
        .order_by("-created_at", "-id")
    )
    waivers = list(
        Waiver.objects.filter(version__model=model)
        .select_related("version", "policy", "granted_by", "revoked_by")
        .order_by("-granted_at", "-id")
    )
    open_alerts = list(
        DriftAlert.objects.unresolved()
        .filter(version__model=model)
        .select_related("version", "environment")
        .order_by("-last_seen_at", "-id")
    )
    return ModelPage(
        model=model,
        row=row,
        versions=versions,
        evaluations=evaluations,
        approvals=approvals,
        waivers=waivers,
        open_alerts=open_alerts,
        drift=drift_history(model_id=model.pk),
        deployments=deployment_timeline(model_id=model.pk),
        audit=model_audit_history(model_id=model.pk),
        environments=tuple(names),
        statuses=environment_statuses(
            environments=environments,
            standing=standings.get(model.pk),
            waivers=waivers,
            alerts=open_alerts,
        ),
        mlflow_origins=mlflow_origins(model_id=model.pk),
        ungoverned_changes=open_ungoverned_changes(model_id=model.pk),
        performance=performance_history(model_id=model.pk),
        fairness=latest_fairness(model_id=model.pk),
        monitoring_alerts=open_monitoring_alerts(model_id=model.pk),
    )
