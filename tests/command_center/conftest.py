"""A hand-built portfolio whose every headline number is known.

Policies: `floor` (enforced, production only: auc >= 0.8) and `review`
(enforced, everywhere and for approval: one independent approval).

- alpha, critical: v1 approved, auc 0.90; passes everywhere; readiness 100.0;
  approved 200 days ago, so its review is overdue.
- bravo, high: v1 approved, auc 0.70; fails production only; readiness 55.0;
  approved 10 days ago.
- charlie, low: v1 in review, auc 0.95, no approval; fails everywhere;
  readiness 20.0; registered today.
- delta, medium: no version; no readiness; registered 800 days ago, overdue.
- echo, high: archived, so not in the inventory.

Open drift: bravo warning (open), charlie critical (acknowledged), alpha
critical but resolved, echo critical (archived model)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from drift.models import DriftAlert, FeatureDrift
from governance.models import Approval
from registry.models import MLModel, ModelVersion
from tests.command_center.oidc_provider import (  # noqa: F401 - fixtures
    oidc_provider,
    sso_settings,
)
from tests.factories import (
    DriftAlertFactory,
    DriftReportFactory,
    MLModelFactory,
    ModelVersionFactory,
    TeamFactory,
)

FULL_CARD = {
    "intended_use": "Scoring.",
    "limitations": "Retail only.",
    "training_data": "2019-2025.",
    "evaluation_data": "2026 holdout.",
    "ethical_considerations": "Reviewed.",
    "caveats": "None known.",
}


@dataclass
class Portfolio:
    alpha: MLModel
    bravo: MLModel
    charlie: MLModel
    delta: MLModel
    echo: MLModel


def approve(version: ModelVersion, reviewer, *, days_ago: int = 0) -> Approval:
    """Record an approval decision directly (the reviewer is independent)."""
    return Approval.objects.create(
        version=version,
        reviewer=reviewer,
        decision=Approval.Decision.APPROVE,
        created_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def policies(make_policy):
    make_policy(
        "floor",
        [
            {
                "kind": "metric_threshold",
                "params": {"metric": "auc", "op": ">=", "value": 0.8},
            }
        ],
        environments=["production"],
    )
    make_policy("review", [{"kind": "min_approvals", "params": {"count": 1}}])


@pytest.fixture
def portfolio(policies, reviewer) -> Portfolio:
    team = TeamFactory(name="risk", display_name="Risk Analytics")
    now = timezone.now()
    alpha = MLModelFactory(name="alpha", team=team, risk_tier="critical")
    alpha_v1 = ModelVersionFactory(
        model=alpha,
        version=1,
        status="approved",
        metrics={"auc": 0.9},
        model_card=FULL_CARD,
    )
    approve(alpha_v1, reviewer, days_ago=200)

    bravo = MLModelFactory(name="bravo", team=team, risk_tier="high")
    bravo_v1 = ModelVersionFactory(
        model=bravo, version=1, status="approved", metrics={"auc": 0.7}
    )
    approve(bravo_v1, reviewer, days_ago=10)

    charlie = MLModelFactory(name="charlie", team=team, risk_tier="low")
    charlie_v1 = ModelVersionFactory(
        model=charlie,
        version=1,
        status="in_review",
        metrics={"auc": 0.95},
        model_card={},
    )

    delta = MLModelFactory(name="delta", team=team, risk_tier="medium")
    MLModel.objects.filter(pk=delta.pk).update(created_at=now - timedelta(days=800))
    delta.refresh_from_db()

    echo = MLModelFactory(name="echo", team=team, risk_tier="high", archived_at=now)
    echo_v1 = ModelVersionFactory(model=echo, version=1, status="approved")

    DriftAlertFactory(latest_report__version=bravo_v1, severity="warning")
    DriftAlertFactory(
        latest_report__version=charlie_v1,
        severity="critical",
        status=DriftAlert.Status.ACKNOWLEDGED,
        acknowledged_at=now,
    )
    DriftAlertFactory(
        latest_report__version=alpha_v1,
        severity="critical",
        status=DriftAlert.Status.RESOLVED,
        resolved_at=now,
    )
    DriftAlertFactory(latest_report__version=echo_v1, severity="critical")
    return Portfolio(alpha, bravo, charlie, delta, echo)


def add_feature_history(version, feature: str, statistics: list[tuple[float, str]]):
    """One report per statistic, a week apart, each with `feature`'s result."""
    now = timezone.now()
    for weeks, (statistic, severity) in enumerate(reversed(statistics)):
        report = DriftReportFactory(
            version=version,
            window_start=now - timedelta(weeks=weeks + 1),
            window_end=now - timedelta(weeks=weeks),
            severity=severity,
        )
        FeatureDrift.objects.create(
            report=report,
            feature=feature,
            kind="numeric",
            method="wasserstein",
            threshold=0.1,
            statistic=statistic,
            psi=statistic,
            drifted=severity != "ok",
            severity=severity,
            n_reference=5000,
            n_current=4000,
        )


def deploy(
    version: ModelVersion,
    environment: str = "production",
    *,
    status: str = "active",
    days_ago: int = 60,
    blocking: tuple[str, ...] = (),
    traffic_percent: int = 100,
):
    """A recorded gate decision and its deployment, written directly."""
    from deployments.models import Deployment, GateDecision
    from registry.models import Environment

    when = timezone.now() - timedelta(days=days_ago)
    decision = "blocked" if blocking else "approved"
    checks = [
        {"check": name, "passed": name not in blocking, "detail": f"{name} detail"}
        for name in (
            "version_status",
            "promotion_path",
            "freeze",
            "governance",
            "no_concurrent_rollout",
        )
    ]
    place = Environment.objects.get(name=environment)
    requester = version.created_by
    gate = GateDecision.objects.create(
        version=version,
        environment=place,
        strategy="full" if traffic_percent == 100 else "canary",
        traffic_percent=traffic_percent,
        decision=decision,
        checks=checks,
        evaluation={"passed": not blocking, "results": []},
        requested_by=requester,
        requested_at=when,
    )
    return Deployment.objects.create(
        gate_decision=gate,
        model=version.model,
        version=version,
        environment=place,
        strategy=gate.strategy,
        traffic_percent=traffic_percent,
        decision=decision,
        status="blocked" if blocking else status,
        requested_by=requester,
        requested_at=when,
        activated_at=when if status == "active" and not blocking else None,
    )
