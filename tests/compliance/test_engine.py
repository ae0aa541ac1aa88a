"""The coverage engine: each evidence kind, and obligation statuses. Pure:
no database."""

from datetime import UTC, datetime, timedelta

import pytest

from compliance.engine import (
    MET,
    NOT_APPLICABLE,
    PARTLY_MET,
    UNMET,
    AuditRetentionFacts,
    CoverageFacts,
    DriftReportRef,
    EnforcedRule,
    EvidenceLink,
    judge_obligation,
    validate_evidence,
    validate_obligation,
)
from compliance.engine.coverage import judge_evidence

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
FULL_CARD = {
    name: "Filled."
    for name in (
        "intended_use",
        "limitations",
        "training_data",
        "evaluation_data",
        "ethical_considerations",
        "caveats",
    )
}


def facts(**changes) -> CoverageFacts:
    values = {
        "model": "credit",
        "risk_tier": "high",
        "ai_act_category": "high_risk",
        "version": 3,
        "is_serving": True,
    }
    values.update(changes)
    return CoverageFacts(**values)


def judge(kind: str, params: dict | None = None, **changes):
    spec = validate_evidence({"kind": kind, "params": params or {}}, "evidence[0]")
    return judge_evidence(spec, facts(**changes), NOW)


def test_intake_answered_needs_a_derived_category():
    assert judge("intake_answered").met
    missing = judge("intake_answered", ai_act_category="unassessed")
    assert not missing.met
    assert missing.detail == (
        "the use-case intake is not answered: the category is unassessed"
    )
    assert missing.link == EvidenceLink("model", "credit")


def test_enforced_rule_needs_an_enforced_rule_of_the_kind_and_links_its_policy():
    rules = (EnforcedRule("floor", 1, "metric_threshold", False, False),)

    found = judge(
        "enforced_rule", {"rule_kind": "metric_threshold"}, enforced_rules=rules
    )
    missing = judge(
        "enforced_rule", {"rule_kind": "min_approvals"}, enforced_rules=rules
    )

    assert found.met
    assert found.detail == (
        "1 enforced metric_threshold rule in force (floor rule 1); 0 of 1 pass"
    )
    assert found.link == EvidenceLink("policy", "floor")
    assert not missing.met
    assert missing.detail == (
        "no enforced policy applies a min_approvals rule to v3 serving in production"
    )


def test_independent_approval_counts_against_the_requirement():
    assert judge("independent_approval", {"count": 2}, independent_approvals=2).met
    short = judge("independent_approval", {"count": 2}, independent_approvals=1)
    assert not short.met
    assert short.detail == "v3 serving has 1 of 2 required independent approvals"
    assert short.link == EvidenceLink("version", "3")


def test_model_card_fields_names_the_missing_ones():
    card = {"intended_use": "Score.", "limitations": "  "}

    result = judge(
        "model_card_fields",
        {"fields": ["intended_use", "limitations", "caveats"]},
        model_card=card,
    )

    assert not result.met
    assert (
        result.detail
        == "the model card of v3 serving is missing limitations and caveats"
    )
    assert judge("model_card_fields", {"fields": ["caveats"]}, model_card=FULL_CARD).met


def test_evidence_about_a_version_is_unmet_without_one():
    for kind, params in [
        ("independent_approval", {"count": 1}),
        ("model_card_fields", {"fields": ["caveats"]}),
        ("enforced_rule", {"rule_kind": "metric_threshold"}),
        ("deployment_gate_used", {}),
    ]:
        result = judge(kind, params, version=None, is_serving=False)
        assert not result.met
        assert "no version speaks for the model in production" in result.detail


def test_drift_monitoring_needs_a_recent_report_for_the_serving_version():
    recent = DriftReportRef(17, NOW - timedelta(days=3))
    stale = DriftReportRef(9, NOW - timedelta(days=45))
    params = {"max_age_days": 30}

    fresh = judge(
        "drift_monitoring_in_production", params, latest_production_drift=recent
    )
    old = judge("drift_monitoring_in_production", params, latest_production_drift=stale)
    none = judge("drift_monitoring_in_production", params)
    idle = judge("drift_monitoring_in_production", params, is_serving=False)

    assert fresh.met
    assert fresh.detail == "drift report 17 for v3 serving, 3 days ago"
    assert fresh.link == EvidenceLink("drift_report", "17")
    assert not old.met
    assert (
        old.detail
        == "the last drift report for v3 serving is 45 days old; at most 30 allowed"
    )
    assert not none.met
    assert none.detail == "no drift report for v3 serving in production"
    assert not idle.met
    assert idle.detail == "nothing serves production, so nothing is monitored there"


def test_deployment_gate_used_needs_a_production_deployment():
    served = judge("deployment_gate_used", production_deployment_id=42)
    candidate = judge("deployment_gate_used", is_serving=False)

    assert served.met
    assert served.link == EvidenceLink("deployment", "42")
    assert not candidate.met
    assert candidate.detail == (
        "v3 candidate has not been through the gate to production"
    )


def test_incident_process_fails_when_an_alert_waits_past_the_limit():
    params = {"days": 15}

    quiet = judge("incident_process", params)
    recent = judge(
        "incident_process",
        params,
        oldest_unhandled_alert_at=NOW - timedelta(days=2),
        unhandled_alerts=2,
    )
    late = judge(
        "incident_process",
        params,
        oldest_unhandled_alert_at=NOW - timedelta(days=20),
        unhandled_alerts=1,
    )

    assert quiet.met
    assert recent.met
    assert recent.detail == "2 open drift alerts, each seen less than 15 days ago"
    assert not late.met
    assert late.detail == (
        "a drift alert has waited 20 days without acknowledgement; at most 15 allowed"
    )
    assert late.link == EvidenceLink("drift_alerts", "credit")


def test_audit_retention_fails_when_a_pruning_kept_too_little():
    params = {"years": 10}
    never = judge("audit_retention_years", params)
    short = judge(
        "audit_retention_years",
        params,
        audit_retention=AuditRetentionFacts(timedelta(days=365 * 2 + 10)),
    )
    long_enough = judge(
        "audit_retention_years",
        params,
        audit_retention=AuditRetentionFacts(timedelta(days=365 * 11)),
    )

    assert never.met
    assert not short.met
    assert short.detail == "a pruning kept only 2 years of audit trail; 10 required"
    assert long_enough.met


OBLIGATION = {
    "id": "art-9",
    "reference": "Art. 9",
    "title": "Risk management system",
    "summary": "Keep a risk management process.",
    "applies_to": {"categories": ["high_risk"], "tiers": ["high", "critical"]},
    "evidence": [
        {"kind": "intake_answered"},
        {"kind": "independent_approval", "params": {"count": 2}},
    ],
}


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"independent_approvals": 2}, MET),
        ({"independent_approvals": 1}, PARTLY_MET),
        ({"ai_act_category": "high_risk", "version": None}, PARTLY_MET),
        ({"ai_act_category": "minimal"}, NOT_APPLICABLE),
        ({"risk_tier": "low"}, NOT_APPLICABLE),
    ],
)
def test_an_obligation_is_met_partly_met_or_not_applicable(changes, status):
    obligation = validate_obligation(OBLIGATION)

    assert judge_obligation(obligation, facts(**changes), NOW).status == status


def test_an_obligation_with_no_evidence_met_is_unmet_and_lists_the_gaps():
    obligation = validate_obligation(
        {**OBLIGATION, "applies_to": {}, "evidence": OBLIGATION["evidence"][1:]}
    )

    result = judge_obligation(
        obligation, facts(ai_act_category="unassessed", risk_tier="low"), NOW
    )

    assert result.status == UNMET
    assert [gap.kind for gap in result.gaps] == ["independent_approval"]


def test_a_not_applicable_obligation_is_not_judged():
    obligation = validate_obligation(OBLIGATION)

    result = judge_obligation(obligation, facts(ai_act_category="minimal"), NOW)

    assert result.evidence == ()
