"""governance.engine.evaluation and specs: scope, verdicts, waivers, volume."""

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from governance.engine import (
    PolicySet,
    Verdict,
    WaiverSpec,
    evaluate,
    policy_applies,
)
from tests.governance.engine.builders import (
    ALICE,
    NOW,
    make_facts,
    policy,
    rule,
)

# --- scope ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk_tier", "applies"), [("high", True), ("critical", True), ("low", False)]
)
def test_scope_matches_risk_tier(risk_tier: str, applies: bool) -> None:
    spec = policy(rule("min_approvals", count=1), risk_tiers=("high", "critical"))

    assert (
        policy_applies(spec, make_facts(risk_tier=risk_tier), environment=None)
        is applies
    )


@pytest.mark.parametrize(
    ("environment", "applies"),
    [("production", True), ("staging", False), (None, False)],
)
def test_scope_matches_environment(environment: str | None, applies: bool) -> None:
    spec = policy(rule("min_approvals", count=1), environments=("production",))

    assert policy_applies(spec, make_facts(), environment=environment) is applies


@pytest.mark.parametrize("environment", ["production", "staging", None])
def test_environment_independent_policy_applies_everywhere(
    environment: str | None,
) -> None:
    spec = policy(rule("min_approvals", count=1))

    assert policy_applies(spec, make_facts(), environment=environment)


@pytest.mark.parametrize(
    ("version_tags", "policy_tags", "applies"),
    [
        ({"credit", "pii"}, ("pii", "fraud"), True),
        ({"marketing"}, ("pii", "fraud"), False),
        (set(), ("pii",), False),
        (set(), (), True),
        ({"marketing"}, (), True),
    ],
)
def test_scope_matches_when_the_version_has_any_of_the_policy_tags(
    version_tags: set[str], policy_tags: tuple[str, ...], applies: bool
) -> None:
    spec = policy(rule("min_approvals", count=1), tags=policy_tags)
    facts = make_facts(tags=frozenset(version_tags))

    assert policy_applies(spec, facts, environment=None) is applies


@pytest.mark.parametrize(
    ("model_kind", "policy_kinds", "applies"),
    [
        ("llm_application", ("llm_application",), True),
        ("predictive", ("llm_application",), False),
        ("vendor_model", ("llm_application", "vendor_model"), True),
        ("predictive", (), True),
    ],
)
def test_scope_matches_when_the_model_is_of_a_named_kind(
    model_kind: str, policy_kinds: tuple[str, ...], applies: bool
) -> None:
    spec = policy(rule("min_approvals", count=1), model_kinds=policy_kinds)
    facts = make_facts(model_kind=model_kind)

    assert policy_applies(spec, facts, environment=None) is applies


def test_a_policy_set_tells_models_of_different_kinds_apart() -> None:
    grounded = policy(
        rule("metric_threshold", metric="groundedness", op=">=", value=0.8),
        name="llm-grounded",
        model_kinds=("llm_application",),
    )
    policies = PolicySet([grounded])
    classic = make_facts(model_kind="predictive")
    assistant = make_facts(model_kind="llm_application")

    # Same tier, tags and environment: only the kind differs.
    assert policies.applicable(classic, environment=None) == ()
    assert policies.applicable(assistant, environment=None) == (grounded,)
    assert policies.applicable_names(classic, environment=None) == ()
    assert evaluate(classic, policies, environment=None, now=NOW).passed
    assert not evaluate(assistant, policies, environment=None, now=NOW).passed


def test_approval_evaluation_includes_only_environment_independent_policies() -> None:
    everywhere = policy(rule("min_approvals", count=1), name="review")
    production = policy(
        rule("metric_threshold", metric="auc", op=">=", value=0.99),
        name="production-floor",
        environments=("production",),
    )

    approval = evaluate(
        make_facts(), [everywhere, production], environment=None, now=NOW
    )
    gate = evaluate(
        make_facts(), [everywhere, production], environment="production", now=NOW
    )

    assert [r.policy for r in approval.results] == ["review"]
    assert approval.passed
    assert [r.policy for r in gate.results] == ["production-floor", "review"]
    assert not gate.passed


def test_disabled_policy_is_ignored_entirely() -> None:
    spec = policy(rule("min_approvals", count=5), enforcement="disabled")

    verdict = evaluate(make_facts(), [spec], environment=None, now=NOW)

    assert verdict == Verdict(passed=True, results=())
    assert not policy_applies(spec, make_facts(), environment=None)


def test_policy_refuses_an_unknown_enforcement() -> None:
    with pytest.raises(ValueError, match="enforcement"):
        policy(rule("min_approvals", count=1), enforcement="strict")


# --- verdict --------------------------------------------------------------------


def test_enforced_failure_fails_the_verdict_and_gives_the_reason() -> None:
    spec = policy(rule("metric_threshold", metric="auc", op=">=", value=0.95))

    verdict = evaluate(make_facts(), [spec], environment=None, now=NOW)

    assert not verdict.passed
    assert verdict.failures == verdict.results
    assert verdict.warnings == ()
    assert verdict.reasons == ("auc 0.91 is below the minimum 0.95",)


def test_advisory_failure_is_a_warning_and_does_not_fail_the_verdict() -> None:
    spec = policy(
        rule("metric_threshold", metric="auc", op=">=", value=0.95),
        enforcement="advisory",
    )

    verdict = evaluate(make_facts(), [spec], environment=None, now=NOW)

    assert verdict.passed
    assert verdict.failures == ()
    assert verdict.reasons == ()
    assert [r.detail for r in verdict.warnings] == [
        "auc 0.91 is below the minimum 0.95"
    ]
    assert verdict.results[0].enforcement == "advisory"


def test_results_are_ordered_by_policy_name_then_rule_position() -> None:
    zeta = policy(
        rule("max_age_days", position=2, days=30),
        rule("min_approvals", position=1, count=1),
        name="zeta",
    )
    alpha = policy(rule("max_drift_severity", severity="ok"), name="alpha")

    verdict = evaluate(make_facts(), [zeta, alpha], environment=None, now=NOW)

    assert [(r.policy, r.rule, r.kind) for r in verdict.results] == [
        ("alpha", 1, "max_drift_severity"),
        ("zeta", 1, "min_approvals"),
        ("zeta", 2, "max_age_days"),
    ]


def test_results_carry_the_normalised_parameters_and_policy_revision() -> None:
    spec = policy(
        rule("metric_threshold", metric=" auc ", op=">=", value=1), revision=3
    )

    (outcome,) = evaluate(make_facts(), [spec], environment=None, now=NOW).results

    assert outcome.revision == 3
    assert dict(outcome.params) == {"metric": "auc", "op": ">=", "value": 1.0}


def test_verdict_as_dict_uses_the_contract_field_names_and_is_json_safe() -> None:
    spec = policy(
        rule("metric_threshold", metric="auc", op=">=", value=0.8),
        rule("model_card_fields", position=2, fields=["intended_use"]),
        name="production-floor",
        revision=3,
    )
    facts = make_facts(metrics={"auc": 0.78})

    data = evaluate(facts, [spec], environment="production", now=NOW).as_dict()

    assert json.loads(json.dumps(data)) == data
    assert data["passed"] is False
    assert data["results"][0] == {
        "policy": "production-floor",
        "revision": 3,
        "rule": 1,
        "kind": "metric_threshold",
        "params": {"metric": "auc", "op": ">=", "value": 0.8},
        "passed": False,
        "waived": False,
        "enforcement": "enforce",
        "detail": "auc 0.78 is below the minimum 0.80",
    }
    assert data["results"][1]["params"] == {"fields": ["intended_use"]}


def test_verdict_reads_back_from_its_dict() -> None:
    spec = policy(
        rule("min_approvals", count=3), rule("max_age_days", position=2, days=5)
    )
    verdict = evaluate(make_facts(), [spec], environment=None, now=NOW)

    restored = Verdict.from_dict(json.loads(json.dumps(verdict.as_dict())))

    assert restored.as_dict() == verdict.as_dict()
    assert restored.reasons == verdict.reasons


def test_a_stored_rule_with_invalid_parameters_fails_closed() -> None:
    spec = policy(rule("metric_threshold", metric="auc", op="==", value=0.8))

    verdict = evaluate(make_facts(), [spec], environment=None, now=NOW)

    assert not verdict.passed
    assert verdict.reasons[0].startswith("invalid rule: params.op:")


def test_a_stored_rule_of_unknown_kind_fails_closed() -> None:
    spec = policy(rule("bias_audit", threshold=0.1))

    verdict = evaluate(make_facts(), [spec], environment=None, now=NOW)

    assert not verdict.passed
    assert verdict.results[0].params == {"threshold": 0.1}
    assert verdict.reasons[0].startswith("invalid rule: kind:")


def test_policy_set_gives_the_same_verdicts_as_a_plain_list() -> None:
    policies = [
        policy(rule("min_approvals", count=2), name="review"),
        policy(
            rule("metric_threshold", metric="auc", op=">=", value=0.95),
            name="floor",
            environments=("production",),
            risk_tiers=("high",),
        ),
        policy(rule("max_age_days", days=5), name="fresh", enforcement="disabled"),
    ]
    prepared = PolicySet(policies)
    variants = [
        make_facts(),
        make_facts(risk_tier="low"),
        make_facts(approver_ids=frozenset({ALICE})),
    ]

    for facts in variants:
        for environment in ("production", "staging", None):
            assert evaluate(
                facts, prepared, environment=environment, now=NOW
            ) == evaluate(facts, policies, environment=environment, now=NOW)
    assert [p.name for p in prepared.policies] == ["floor", "review"]


# --- waivers --------------------------------------------------------------------


def waived_evaluation(waiver: WaiverSpec) -> Verdict:
    spec = policy(
        rule("min_approvals", count=1),
        rule("metric_threshold", position=2, metric="auc", op=">=", value=0.95),
        name="floor",
    )
    return evaluate(make_facts(), [spec], environment=None, now=NOW, waivers=[waiver])


def test_waiver_before_expiry_excuses_the_failing_rule() -> None:
    verdict = waived_evaluation(
        WaiverSpec("floor", 2, expires_at=NOW + timedelta(days=1))
    )

    assert verdict.passed
    assert verdict.results[1].waived
    assert not verdict.results[1].passed
    assert verdict.failures == ()
    assert verdict.reasons == ()


def test_waiver_no_longer_applies_at_its_expiry() -> None:
    verdict = waived_evaluation(WaiverSpec("floor", 2, expires_at=NOW))

    assert not verdict.passed
    assert not verdict.results[1].waived


def test_waiver_no_longer_applies_after_its_expiry() -> None:
    verdict = waived_evaluation(
        WaiverSpec("floor", 2, expires_at=NOW - timedelta(hours=1))
    )

    assert not verdict.passed


@pytest.mark.parametrize("revoked_at", [NOW - timedelta(minutes=1), NOW])
def test_revoked_waiver_does_not_apply(revoked_at: datetime) -> None:
    waiver = WaiverSpec(
        "floor", 2, expires_at=NOW + timedelta(days=1), revoked_at=revoked_at
    )

    verdict = waived_evaluation(waiver)

    assert not verdict.passed
    assert not verdict.results[1].waived


def test_waiver_with_a_later_revocation_still_applies_now() -> None:
    waiver = WaiverSpec(
        "floor",
        2,
        expires_at=NOW + timedelta(days=1),
        revoked_at=NOW + timedelta(hours=1),
    )

    assert waived_evaluation(waiver).passed


def test_waiver_on_a_passing_rule_is_not_marked_waived() -> None:
    verdict = waived_evaluation(
        WaiverSpec("floor", 1, expires_at=NOW + timedelta(days=1))
    )

    assert verdict.results[0].passed
    assert not verdict.results[0].waived
    assert not verdict.passed


@pytest.mark.parametrize(("policy_name", "position"), [("other", 2), ("floor", 3)])
def test_waiver_applies_only_to_its_own_policy_and_rule(
    policy_name: str, position: int
) -> None:
    verdict = waived_evaluation(
        WaiverSpec(policy_name, position, expires_at=NOW + timedelta(days=1))
    )

    assert not verdict.passed


def test_waived_advisory_failure_is_not_a_warning() -> None:
    spec = policy(rule("min_approvals", count=5), name="soft", enforcement="advisory")
    waiver = WaiverSpec("soft", 1, expires_at=NOW + timedelta(days=1))

    verdict = evaluate(
        make_facts(), [spec], environment=None, now=NOW, waivers=[waiver]
    )

    assert verdict.results[0].waived
    assert verdict.warnings == ()


# --- volume ---------------------------------------------------------------------


def test_evaluating_ten_thousand_versions_against_five_policies_works() -> None:
    policies = PolicySet(
        [
            policy(rule("model_card_fields", fields=["intended_use"]), name="card"),
            policy(rule("min_approvals", count=2), name="review"),
            policy(
                rule("metric_threshold", metric="auc", op=">=", value=0.8),
                rule(
                    "metric_threshold",
                    position=2,
                    metric="latency_ms",
                    op="<=",
                    value=120,
                ),
                name="floor",
                environments=("production",),
            ),
            policy(rule("max_drift_severity", severity="warning"), name="drift"),
            policy(
                rule("max_age_days", days=365), name="fresh", enforcement="advisory"
            ),
        ]
    )
    base = make_facts()
    portfolio = [
        replace(
            base,
            version_id=i,
            metrics={"auc": 0.7 + (i % 30) / 100, "latency_ms": 80.0 + i % 60},
            approver_ids=frozenset(range(10, 10 + i % 4)),
            created_at=NOW - timedelta(days=i % 500),
            open_drift={"production": "critical"} if i % 7 == 0 else {},
        )
        for i in range(10_000)
    ]

    verdicts = [
        evaluate(facts, policies, environment="production", now=NOW)
        for facts in portfolio
    ]

    assert sum(len(v.results) for v in verdicts) == 60_000
    assert 0 < sum(v.passed for v in verdicts) < 10_000
