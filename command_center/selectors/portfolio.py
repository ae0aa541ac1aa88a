"""The portfolio's aggregates: computed from the rows, cached under the data
fingerprint, so a page is never older than the last write."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
)
from django.utils import timezone

from command_center.models import PortfolioSnapshot
from command_center.portfolio import RISK_TIERS, ModelRow, summarize
from command_center.selectors.deployments import gate_decisions_last_30_days
from command_center.selectors.rows import (
    TREND_DAYS,
    data_fingerprint,
    fingerprint_key,
    inventory_models,
    model_rows,
)
from compliance.selectors import enabled_frameworks
from drift.models import DriftAlert
from governance.selectors import overdue_review_count
from mlgov.cache import cached, cached_once
from registry.models import ModelVersion
from registry.selectors import environment_names, frozen_environments


def open_alerts_by_severity() -> dict[str, int]:
    """Unresolved drift alerts of inventory models, per severity, in one query.

    Acknowledged alerts count: someone is on it, but the data still drifts."""
    counts = (
        DriftAlert.objects.unresolved()
        .filter(version__model__archived_at__isnull=True)
        .values("severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["severity"]: row["n"] for row in counts}


def inventory_version_count() -> int:
    """Versions of the models in the inventory."""
    return ModelVersion.objects.filter(model__archived_at__isnull=True).count()


@dataclass(frozen=True)
class PortfolioState:
    """The rows of every inventory model and the overview's numbers."""

    rows: tuple[ModelRow, ...]
    summary: dict[str, Any]
    environments: tuple[str, ...]
    computed_at: datetime

    @property
    def frameworks(self) -> tuple[tuple[str, str], ...]:
        """The enabled frameworks (id, title) the rows' coverage was judged
        under, in compliance's order: read with the rows, so they agree."""
        return tuple(
            (found["framework"], found["title"])
            for found in self.summary["obligation_coverage"]
        )


def compute_portfolio(*, now: datetime | None = None) -> PortfolioState:
    """The portfolio from the database, uncached, in a constant number of queries."""
    now = now or timezone.now()
    frameworks = enabled_frameworks()
    rows = model_rows(inventory_models(), now=now, frameworks=frameworks)
    environments = tuple(environment_names())
    summary = summarize(
        rows=rows,
        versions=inventory_version_count(),
        environments=environments,
        drift_alerts_open=open_alerts_by_severity(),
        gate_decisions=gate_decisions_last_30_days(now=now),
        today=now.date(),
        frameworks=[(framework.id, framework.title) for framework in frameworks],
    )
    return PortfolioState(
        rows=tuple(rows), summary=summary, environments=environments, computed_at=now
    )


def _portfolio_at(fingerprint: str) -> PortfolioState:
    """The portfolio for the data `fingerprint` names, computed once for all
    the workers that ask at the same time."""
    return cached_once(fingerprint_key("portfolio", fingerprint), compute_portfolio)


def portfolio_state() -> PortfolioState:
    """The portfolio, cached until the data changes (see data_fingerprint)."""
    return _portfolio_at(data_fingerprint())


def portfolio_summary() -> dict[str, Any]:
    """The overview's numbers: what /api/v1/portfolio/summary/ returns too."""
    fingerprint = data_fingerprint()
    return cached(
        fingerprint_key("summary", fingerprint),
        lambda: _portfolio_at(fingerprint).summary,
    )


def compliance_trend(
    *, days: int = TREND_DAYS, today: date | None = None
) -> list[PortfolioSnapshot]:
    """Daily snapshots of the last `days` days, oldest first."""
    today = today or timezone.now().date()
    return list(
        PortfolioSnapshot.objects.filter(day__gt=today - timedelta(days=days)).order_by(
            "day"
        )
    )


@dataclass(frozen=True)
class HeatCell:
    """One risk tier in one environment: how many of its models pass there,
    and how many of those verdicts speak about a serving version."""

    environment: str
    compliant: int
    compliance_rate: float | None
    serving: int
    candidates: int

    @property
    def heat(self) -> str:
        return heat(self.compliance_rate)


@dataclass(frozen=True)
class HeatRow:
    """One risk tier of the heat map."""

    tier: str
    models: int
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True)
class TrendPoint:
    """One daily snapshot's two rates."""

    day: date
    models_compliance_rate: float | None
    production_compliance_rate: float | None


@dataclass(frozen=True)
class FrozenEnvironment:
    """An environment under a change freeze: why, who froze it and when."""

    name: str
    reason: str
    frozen_by: str | None
    frozen_at: datetime | None


def frozen_environment_list() -> tuple[FrozenEnvironment, ...]:
    """The environments under a change freeze, in one query."""
    return tuple(
        FrozenEnvironment(
            name=environment.name,
            reason=environment.freeze_reason,
            frozen_by=environment.frozen_by.get_username()
            if environment.frozen_by
            else None,
            frozen_at=environment.frozen_at,
        )
        for environment in frozen_environments()
    )


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows: the summary (the API's numbers),
    the heat map, the trend and the environments under a freeze."""

    summary: dict[str, Any]
    environments: tuple[str, ...]
    heat_map: tuple[HeatRow, ...]
    trend: tuple[TrendPoint, ...]
    computed_at: datetime
    reviews_past_due: int
    frozen: tuple[FrozenEnvironment, ...]


def heat(rate: float | None) -> str:
    """A heat-map class for a compliance rate (the cell shows the number too)."""
    if rate is None:
        return "none"
    if rate >= 0.95:
        return "good"
    if rate >= 0.8:
        return "fair"
    if rate >= 0.5:
        return "poor"
    return "bad"


def _heat_map(state: PortfolioState) -> tuple[HeatRow, ...]:
    by_tier = state.summary["by_risk_tier"]
    return tuple(
        HeatRow(
            tier=tier,
            models=by_tier[tier]["models"],
            cells=tuple(
                HeatCell(
                    environment=environment,
                    **by_tier[tier]["environments"][environment],
                )
                for environment in state.environments
            ),
        )
        for tier in RISK_TIERS
    )


def overview() -> Overview:
    """Everything the overview page shows, cached until the data changes."""
    fingerprint = data_fingerprint()

    def compute() -> Overview:
        state = cached_once(
            fingerprint_key("portfolio", fingerprint), compute_portfolio
        )
        return Overview(
            summary=state.summary,
            environments=state.environments,
            heat_map=_heat_map(state),
            trend=tuple(
                TrendPoint(
                    snapshot.day,
                    snapshot.models_compliance_rate,
                    snapshot.production_compliance_rate,
                )
                for snapshot in compliance_trend()
            ),
            computed_at=state.computed_at,
            reviews_past_due=overdue_review_count(now=state.computed_at),
            frozen=frozen_environment_list(),
        )

    return cached(fingerprint_key("overview", fingerprint), compute)
