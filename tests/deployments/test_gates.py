"""The pure gate: every check on plain facts, no database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from deployments.constants import GATE_CHECKS
from deployments.gates import GateFacts, Rollout, ServingPeriod, run_gate
from governance.engine import PolicySpec, RuleSpec, VersionFacts, WaiverSpec

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def policy(name, kind, params, *, enforcement="enforce", environments=()):
    return PolicySpec(
        name=name,
        revision=3,
        enforcement=enforcement,
        risk_tiers=frozenset(),
        environments=frozenset(environments),
        tags=frozenset(),
        model_kinds=frozenset(),
        rules=(RuleSpec(position=1, kind=kind, params=params),),
    )


AUC_FLOOR = policy(
    "production-floor",
    "metric_threshold",
    {"metric": "auc", "op": ">=", "value": 0.8},
    environments=["production"],
)


def facts(**changes) -> GateFacts:
    version = VersionFacts(
        version_id=7,
        model="churn",
        version=7,
        risk_tier="high",
        model_kind="predictive",
        tags=frozenset(),
        metrics={"auc": 0.91},
        model_card={},
        approver_ids=frozenset({11, 12}),
        creator_id=1,
        submitter_id=1,
        created_at=NOW - timedelta(days=3),
        open_drift={},
    )
    base = GateFacts(
        model="churn",
        version=7,
        version_status="approved",
        environment="production",
        required_environment="staging",
        min_soak_hours=24,
        served_in_required=(ServingPeriod(NOW - timedelta(hours=30), None),),
        frozen=False,
        freeze_reason="",
        frozen_by=None,
        frozen_at=None,
        rollouts_in_progress=(),
        version_facts=version,
        policies=(AUC_FLOOR,),
    )
    return replace(base, **changes)


def by_name(result):
    return {check.check: check for check in result.checks}


def test_every_check_passes_in_order_and_the_decision_is_approved():
    result = run_gate(facts(), now=NOW)

    assert [c.check for c in result.checks] == [
        "version_status",
        "promotion_path",
        "freeze",
        "governance",
        "no_concurrent_rollout",
    ]
    assert tuple(c.check for c in result.checks) == GATE_CHECKS
    assert all(c.passed for c in result.checks)
    assert result.decision == "approved"
    assert by_name(result)["promotion_path"].detail == (
        "active in staging for 30 h (required 24 h)"
    )


def test_a_version_not_approved_blocks_on_its_own():
    result = run_gate(facts(version_status="in_review"), now=NOW)

    assert result.decision == "blocked"
    assert result.failing_checks == ("version_status",)
    assert by_name(result)["version_status"].detail == (
        "version 7 is in review; only approved versions may be deployed"
    )


def test_never_active_in_the_required_environment_blocks():
    result = run_gate(facts(served_in_required=()), now=NOW)

    assert result.failing_checks == ("promotion_path",)
    assert by_name(result)["promotion_path"].detail == (
        "never active in staging; production requires 24 h there first"
    )


def test_a_short_soak_blocks_and_says_when_the_version_becomes_eligible():
    started = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    result = run_gate(
        facts(served_in_required=(ServingPeriod(started, None),)),
        now=started + timedelta(hours=6),
    )

    assert result.failing_checks == ("promotion_path",)
    assert by_name(result)["promotion_path"].detail == (
        "active in staging for 6 h of the required 24 h; "
        "eligible from 2026-12-03T14:00:00Z"
    )


def test_soak_counts_a_past_serving_period_that_lasted_long_enough():
    period = ServingPeriod(NOW - timedelta(days=10), NOW - timedelta(days=8))

    result = run_gate(facts(served_in_required=(period,)), now=NOW)

    assert result.decision == "approved"


def test_a_past_period_too_short_says_when_it_stopped():
    period = ServingPeriod(NOW - timedelta(hours=10), NOW - timedelta(hours=5))

    result = run_gate(facts(served_in_required=(period,)), now=NOW)

    assert result.failing_checks == ("promotion_path",)
    assert "for 5 h of the required 24 h; it stopped serving there on" in (
        by_name(result)["promotion_path"].detail
    )


def test_an_environment_without_a_requirement_passes_the_path():
    result = run_gate(
        facts(
            environment="development", required_environment=None, served_in_required=()
        ),
        now=NOW,
    )

    assert by_name(result)["promotion_path"].passed


def test_a_frozen_environment_blocks_with_reason_actor_and_time():
    result = run_gate(
        facts(
            frozen=True,
            freeze_reason="quarter-end close",
            frozen_by="gina",
            frozen_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        ),
        now=NOW,
    )

    assert result.failing_checks == ("freeze",)
    assert by_name(result)["freeze"].detail == (
        "production is frozen since 2026-12-01T09:00:00Z by gina: quarter-end close"
    )


def test_a_failing_enforced_policy_blocks_with_its_sentence():
    low = replace(facts().version_facts, metrics={"auc": 0.78})

    result = run_gate(facts(version_facts=low), now=NOW)

    assert result.failing_checks == ("governance",)
    detail = by_name(result)["governance"].detail
    assert detail.startswith("the evaluation for production fails 1 enforced rule")
    assert "production-floor: auc 0.78 is below the minimum 0.80" in detail
    assert result.verdict.passed is False
    assert result.verdict.results[0].revision == 3


def test_an_advisory_failure_is_a_warning_not_a_block():
    advisory = policy("freshness", "max_age_days", {"days": 1}, enforcement="advisory")

    result = run_gate(facts(policies=(AUC_FLOOR, advisory)), now=NOW)

    assert result.decision == "approved"
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("freshness (advisory): ")


def test_a_waived_failure_does_not_block():
    low = replace(facts().version_facts, metrics={"auc": 0.78})
    waiver = WaiverSpec(
        policy="production-floor", rule_position=1, expires_at=NOW + timedelta(days=1)
    )

    result = run_gate(facts(version_facts=low, waivers=(waiver,)), now=NOW)

    assert result.decision == "approved"
    assert "1 waived" in by_name(result)["governance"].detail


def test_an_expired_waiver_no_longer_counts():
    low = replace(facts().version_facts, metrics={"auc": 0.78})
    waiver = WaiverSpec(
        policy="production-floor",
        rule_position=1,
        expires_at=NOW - timedelta(seconds=1),
    )

    result = run_gate(facts(version_facts=low, waivers=(waiver,)), now=NOW)

    assert result.failing_checks == ("governance",)


def test_a_critical_open_drift_alert_blocks_through_max_drift_severity():
    drift_limit = policy("drift-limit", "max_drift_severity", {"severity": "warning"})
    drifting = replace(facts().version_facts, open_drift={"production": "critical"})

    result = run_gate(facts(version_facts=drifting, policies=(drift_limit,)), now=NOW)

    assert result.failing_checks == ("governance",)
    assert "drift-limit" in by_name(result)["governance"].detail


def test_a_rollout_in_progress_blocks_and_names_it():
    result = run_gate(
        facts(rollouts_in_progress=(Rollout(deployment_id=41, version=6),)), now=NOW
    )

    assert result.failing_checks == ("no_concurrent_rollout",)
    assert by_name(result)["no_concurrent_rollout"].detail == (
        "deployment 41 (version 6) of churn is in progress in production; "
        "complete or fail it first"
    )


def test_every_failing_check_is_reported_not_only_the_first():
    result = run_gate(
        facts(
            version_status="draft",
            served_in_required=(),
            frozen=True,
            freeze_reason="x",
        ),
        now=NOW,
    )

    assert result.failing_checks == ("version_status", "promotion_path", "freeze")
    assert len(result.checks) == 5
