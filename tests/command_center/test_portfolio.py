"""The pure arithmetic of command_center.portfolio, without a database."""

from datetime import UTC, date, datetime

from command_center.portfolio import (
    Compliance,
    FailingRule,
    ModelRow,
    readiness_band,
    review_due,
    summarize,
)

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def row(name: str, tier: str = "low", **fields) -> ModelRow:
    defaults = {
        "model_id": hash(name) % 1000,
        "name": name,
        "display_name": name.title(),
        "team": "t",
        "team_display": "T",
        "owner": "",
        "risk_tier": tier,
        "registered_at": NOW,
        "versions": 1,
        "compliance": {"production": verdict()},
        "readiness_label": "v1 candidate",
        "readiness": 90.0,
        "readiness_points": {},
    }
    return ModelRow(**{**defaults, **fields})


def verdict(
    passed: bool = True, *, serving: bool = False, canary_passed: bool | None = None
) -> Compliance:
    return Compliance(
        version=1,
        is_serving=serving,
        passed=passed,
        reasons=() if passed else ("auc 0.7 is below the minimum 0.8",),
        canary_version=None if canary_passed is None else 2,
        canary_percent=None if canary_passed is None else 10,
        canary_passed=canary_passed,
    )


def test_review_due_counts_the_cadence_from_the_last_approval():
    approved = datetime(2026, 1, 1, tzinfo=UTC)

    assert review_due(
        risk_tier="critical", last_approved_at=approved, registered_at=NOW
    ) == date(2026, 6, 30)
    assert review_due(
        risk_tier="low", last_approved_at=approved, registered_at=NOW
    ) == date(2028, 12, 31)


def test_a_model_never_approved_is_due_a_cadence_after_registration():
    assert review_due(
        risk_tier="high", last_approved_at=None, registered_at=NOW
    ) == date(2027, 11, 29)


def test_overdue_means_strictly_after_the_due_day():
    model = row("m", review_due=date(2026, 11, 29))

    assert not model.is_overdue(date(2026, 11, 29))
    assert model.is_overdue(date(2026, 11, 30))


def test_readiness_bands():
    assert [readiness_band(s) for s in (None, 0.0, 49.9, 50.0, 79.9, 80.0, 100.0)] == [
        None,
        "low",
        "low",
        "partial",
        "partial",
        "ready",
        "ready",
    ]


def test_attention_skips_models_without_a_version_and_breaks_ties_by_name():
    rows = [
        row("b", readiness=40.0),
        row("a", readiness=40.0),
        row("none", compliance={}, readiness_label=None, readiness=None),
        row("c", readiness=10.0),
    ]

    summary = summarize(
        rows=rows,
        versions=3,
        environments=["production"],
        drift_alerts_open={},
        gate_decisions={},
        today=NOW.date(),
    )

    assert [item["model"] for item in summary["attention"]] == ["c", "a", "b"]


def test_production_compliance_counts_every_serving_version_not_candidates():
    summary = summarize(
        rows=[
            row("serving-passes", compliance={"production": verdict(serving=True)}),
            row(
                "serving-with-failing-canary",
                compliance={"production": verdict(serving=True, canary_passed=False)},
            ),
            row("candidate-only", compliance={"production": verdict(False)}),
        ],
        versions=0,
        environments=["production"],
        drift_alerts_open={"ok": 4},
        gate_decisions={"approved": 1, "blocked": 0, "top_blocking_reasons": []},
        today=NOW.date(),
    )

    assert summary["production"] == {
        "active": 3,
        "compliant": 2,
        "compliance_rate": 0.667,
    }
    assert summary["drift_alerts_open"] == {"warning": 0, "critical": 0}


def test_no_active_deployment_has_no_rate_rather_than_zero():
    summary = summarize(
        rows=[row("a")],
        versions=1,
        environments=["production"],
        drift_alerts_open={},
        gate_decisions={},
        today=NOW.date(),
    )

    assert summary["production"] == {
        "active": 0,
        "compliant": 0,
        "compliance_rate": None,
    }


def test_attention_ranks_exposure_above_readiness():
    serving_and_failing = Compliance(
        version=3,
        is_serving=True,
        passed=False,
        reasons=("auc 0.7 is below the minimum 0.8",),
        failures=(
            FailingRule(3, "floor", 1, "metric_threshold", "auc 0.7 is below 0.8"),
        ),
    )
    rows = [
        row("unready", readiness=10.0),
        row(
            "exposed",
            tier="critical",
            readiness=70.0,
            compliance={"production": serving_and_failing},
        ),
        row("drifting", readiness=90.0, open_alerts={"critical": 2, "warning": 0}),
    ]

    summary = summarize(
        rows=rows,
        versions=3,
        environments=["production"],
        drift_alerts_open={},
        gate_decisions={},
        today=NOW.date(),
    )

    assert [(item["model"], item["reason"]) for item in summary["attention"]] == [
        ("exposed", "Serves 100% of production and fails 1 enforced rule"),
        ("drifting", "Has 2 open critical drift alerts; serves no production traffic"),
        ("unready", "Serves no production traffic; nothing fails"),
    ]
