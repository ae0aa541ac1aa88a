"""What the model page shows, each part read in one query."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from auditlog.models import LogEntry
from django.db.models import (
    Q,
)
from django.utils import timezone

from command_center.portfolio import ModelRow
from command_center.selectors.deployments import deployment_timeline
from command_center.selectors.rows import model_rows
from deployments.models import Deployment
from drift.models import DriftAlert, DriftReport, FeatureDrift
from governance.models import Approval, Evaluation, Waiver
from mlgov.exceptions import NotFoundError
from registry.models import MLModel, ModelVersion
from registry.selectors import environment_names

# --- the model page ---------------------------------------------------------


@dataclass(frozen=True)
class DriftPoint:
    """One feature's result in one report, for the drift charts."""

    at: datetime
    version: int
    method: str
    statistic: float | None
    threshold: float | None
    psi: float | None
    severity: str
    drifted: bool
    evaluable: bool


@dataclass(frozen=True)
class DriftSeries:
    """The history of one feature in one environment, oldest first."""

    feature: str
    environment: str
    points: tuple[DriftPoint, ...]

    @property
    def latest(self) -> DriftPoint:
        return self.points[-1]


DRIFT_HISTORY_REPORTS = 60


def drift_history(
    *, model_id: int, reports: int = DRIFT_HISTORY_REPORTS
) -> list[DriftSeries]:
    """Per feature and environment, the results of the model's latest
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
            "feature", "report__environment__rank", "report__window_end", "report_id"
        )
        .values_list(
            "feature",
            "report__environment__name",
            "report__window_end",
            "report__version__version",
            "method",
            "statistic",
            "threshold",
            "psi",
            "severity",
            "drifted",
            "evaluable",
        )
    )
    series: dict[tuple[str, str], list[DriftPoint]] = defaultdict(list)
    for (
        feature,
        environment,
        at,
        version,
        method,
        statistic,
        threshold,
        psi,
        severity,
        drifted,
        evaluable,
    ) in rows:
        series[(feature, environment)].append(
            DriftPoint(
                at=at,
                version=version,
                method=method,
                statistic=statistic,
                threshold=threshold,
                psi=psi,
                severity=severity,
                drifted=drifted,
                evaluable=evaluable,
            )
        )
    return [
        DriftSeries(feature=feature, environment=environment, points=tuple(points))
        for (feature, environment), points in series.items()
    ]


def model_audit_history(
    *, model_id: int, version_ids: Sequence[int], limit: int = 50
) -> list[LogEntry]:
    """The latest audit entries of the model and its versions, in one query."""
    keys = [str(pk) for pk in version_ids]
    return list(
        LogEntry.objects.filter(
            Q(
                content_type__app_label="registry",
                content_type__model="mlmodel",
                object_pk=str(model_id),
            )
            | Q(
                content_type__app_label="registry",
                content_type__model="modelversion",
                object_pk__in=keys,
            )
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-id")[:limit]
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
    audit: list[LogEntry]
    environments: tuple[str, ...]


def model_page(*, name: str, now: datetime | None = None) -> ModelPage:
    """The model page's data, or NotFoundError."""
    now = now or timezone.now()
    model = MLModel.objects.select_related("team", "owner").filter(name=name).first()
    if model is None:
        raise NotFoundError(f"No model named {name!r}.")
    (row,) = model_rows(MLModel.objects.filter(pk=model.pk), now=now)
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
        audit=model_audit_history(
            model_id=model.pk, version_ids=[version.pk for version in versions]
        ),
        environments=tuple(environment_names()),
    )
