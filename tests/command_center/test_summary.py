"""Each headline number against the hand-built portfolio of conftest.py, and
the edges: no models, no production deployments, everything overdue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from command_center.selectors import compute_portfolio, portfolio_summary
from governance.models import Approval
from governance.services import evaluate_version
from registry.models import Environment, ModelVersion
from tests.command_center.conftest import approve, deploy
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def test_inventory_counts_leave_archived_models_out(portfolio):
    summary = portfolio_summary()

    assert summary["models"] == 4
    assert summary["versions"] == 3


def test_model_compliance_is_the_current_versions_production_verdict(portfolio):
    summary = portfolio_summary()

    assert summary["models_compliant"] == 1
    assert summary["models_compliance_rate"] == 0.25


def test_risk_tier_by_compliance(portfolio):
    tiers = portfolio_summary()["by_risk_tier"]

    assert {
        tier: (t["models"], t["compliant"], t["non_compliant"])
        for tier, t in tiers.items()
    } == {
        "critical": (1, 1, 0),
        "high": (1, 0, 1),
        "medium": (1, 0, 1),
        "low": (1, 0, 1),
    }
    # The heat map: bravo passes outside production, charlie nowhere, delta has
    # no version.
    assert tiers["high"]["environments"]["staging"] == {
        "compliant": 1,
        "compliance_rate": 1.0,
        "serving": 0,
        "candidates": 1,
    }
    assert tiers["high"]["environments"]["production"]["compliance_rate"] == 0.0
    assert tiers["low"]["environments"]["development"]["compliant"] == 0
    assert tiers["medium"]["environments"]["production"]["compliance_rate"] == 0.0


def test_open_drift_alerts_count_unresolved_alerts_of_inventory_models(portfolio):
    # bravo's open warning and charlie's acknowledged critical; alpha's alert
    # is resolved and echo is archived.
    assert portfolio_summary()["drift_alerts_open"] == {"warning": 1, "critical": 1}


def test_overdue_reviews_follow_the_tier_cadence(portfolio):
    overdue = portfolio_summary()["overdue_reviews"]

    # alpha: critical, approved 200 days ago (cadence 180); delta: medium,
    # never approved, registered 800 days ago (cadence 730).
    assert overdue == {
        "total": 2,
        "by_risk_tier": {"critical": 1, "high": 0, "medium": 1, "low": 0},
    }


def test_attention_lists_the_most_exposed_first(portfolio):
    attention = portfolio_summary()["attention"]

    # bravo (high) fails one production rule; charlie (low) fails one and has
    # an acknowledged critical alert; alpha passes with nothing open.
    assert [(item["model"], item["exposure"]) for item in attention] == [
        ("bravo", 6.0),
        ("charlie", 4.5),
        ("alpha", 0.0),
    ]
    assert [item["reason"] for item in attention] == [
        "Fails 1 enforced rule for production; serves no production traffic",
        "Has 1 open critical drift alert; serves no production traffic",
        "Serves no production traffic; nothing fails",
    ]


def test_readiness_parts_of_a_model(portfolio):
    rows = {row.name: row for row in compute_portfolio().rows}

    # bravo: half the enforced production rules, its approval, one card field
    # of six, an open warning.
    assert rows["bravo"].readiness_points == {
        "rules": 20.0,
        "approvals": 20.0,
        "model_card": 2.5,
        "drift": 12.5,
    }
    assert rows["delta"].readiness is None


def test_without_production_deployments_there_is_no_rate_rather_than_zero(portfolio):
    summary = portfolio_summary()

    assert summary["production"] == {
        "active": 0,
        "compliant": 0,
        "compliance_rate": None,
    }
    assert summary["gate_decisions_30d"] == {
        "approved": 0,
        "blocked": 0,
        "top_blocking_reasons": [],
    }


def test_production_compliance_of_what_is_active_there(portfolio):
    alpha = portfolio.alpha.versions.get()
    bravo = portfolio.bravo.versions.get()
    deploy(alpha)  # passes the production floor
    deploy(bravo)  # auc 0.70: out of compliance now
    deploy(bravo, "staging")  # staging does not count
    deploy(portfolio.echo.versions.get())  # archived model: not in the inventory

    assert portfolio_summary()["production"] == {
        "active": 2,
        "compliant": 1,
        "compliance_rate": 0.5,
    }


def test_gate_decisions_of_the_last_30_days_with_the_top_blocking_checks(portfolio):
    charlie = portfolio.charlie.versions.get()
    alpha = portfolio.alpha.versions.get()
    deploy(alpha, "staging", days_ago=5)
    deploy(charlie, days_ago=3, blocking=("version_status", "governance"))
    deploy(charlie, days_ago=2, blocking=("governance",))
    deploy(charlie, days_ago=45, blocking=("freeze",))  # older than 30 days

    assert portfolio_summary()["gate_decisions_30d"] == {
        "approved": 1,
        "blocked": 2,
        "top_blocking_reasons": [
            {"check": "governance", "count": 2},
            {"check": "version_status", "count": 1},
        ],
    }


def test_an_empty_inventory_has_zero_counts_and_no_rates(db):
    summary = portfolio_summary()

    assert summary["models"] == 0
    assert summary["versions"] == 0
    assert summary["models_compliance_rate"] is None
    assert summary["attention"] == []
    assert summary["overdue_reviews"]["total"] == 0
    assert summary["drift_alerts_open"] == {"warning": 0, "critical": 0}
    assert all(tier["models"] == 0 for tier in summary["by_risk_tier"].values())
    assert summary["by_risk_tier"]["critical"]["environments"]["production"] == {
        "compliant": 0,
        "compliance_rate": None,
        "serving": 0,
        "candidates": 0,
    }


def test_everything_overdue(reviewer, policies):
    now = timezone.now()
    for index, (tier, days) in enumerate(
        [("critical", 181), ("high", 366), ("medium", 731), ("low", 1096)]
    ):
        version = ModelVersionFactory(
            model=MLModelFactory(name=f"old-{index}", risk_tier=tier),
            version=1,
            status="approved",
        )
        approve(version, reviewer, days_ago=days)

    overdue = portfolio_summary()["overdue_reviews"]

    assert overdue["total"] == 4
    assert set(overdue["by_risk_tier"].values()) == {1}
    assert (
        Approval.objects.filter(created_at__lt=now - timedelta(days=180)).count() == 4
    )


def test_a_review_on_the_last_day_of_the_cadence_is_not_overdue(reviewer, policies):
    version = ModelVersionFactory(
        model=MLModelFactory(name="edge", risk_tier="critical"),
        version=1,
        status="approved",
    )
    approve(version, reviewer, days_ago=179)

    assert portfolio_summary()["overdue_reviews"]["total"] == 0


def test_the_newest_approved_version_is_current_even_with_a_newer_draft(
    reviewer, policies
):
    model = MLModelFactory(name="layered", risk_tier="low")
    approved = ModelVersionFactory(
        model=model, version=1, status="approved", metrics={"auc": 0.9}
    )
    approve(approved, reviewer)
    ModelVersionFactory(model=model, version=2, status="draft", metrics={"auc": 0.1})

    (row,) = compute_portfolio().rows

    assert row.compliance["production"].label == "v1 candidate"
    assert row.readiness_label == "v1 candidate"
    assert row.is_compliant


def test_a_model_of_drafts_has_no_verdict_and_no_readiness(reviewer, policies):
    model = MLModelFactory(name="sketch", risk_tier="low")
    ModelVersionFactory(model=model, version=1, status="draft", metrics={"auc": 0.9})

    (row,) = compute_portfolio().rows

    assert row.versions == 1
    assert row.compliance == {}
    assert row.readiness is None
    assert not row.is_compliant
    assert portfolio_summary()["attention"] == []


def test_compliance_per_environment_agrees_with_the_evaluation_service(
    portfolio, make_policy
):
    # A drift rule makes the environment matter beyond the policies' scope.
    make_policy("calm", [{"kind": "max_drift_severity", "params": {"severity": "ok"}}])
    make_policy(
        "staging-only",
        [
            {
                "kind": "metric_threshold",
                "params": {"metric": "auc", "op": ">=", "value": 0.8},
            }
        ],
        environments=["staging"],
    )
    rows = {row.name: row for row in compute_portfolio().rows}

    for name in ("alpha", "bravo", "charlie"):
        version = ModelVersion.objects.get(model__name=name)
        for environment in Environment.objects.all():
            verdict = evaluate_version(version=version, environment=environment)
            assert rows[name].compliance[environment.name].passed == verdict.passed, (
                name,
                environment.name,
            )
