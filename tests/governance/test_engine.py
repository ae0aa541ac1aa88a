import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.engine import (
    MODEL_CARD_FIELDS,
    RULE_KINDS,
    PolicySet,
    PolicySpec,
    RuleParamsError,
    RuleResult,
    RuleSpec,
    Verdict,
    VersionFacts,
    WaiverSpec,
    count_independent_approvals,
    evaluate,
    format_number,
    policy_applies,
    readiness_score,
    rule_param_schema,
    validate_rule,
    worst_drift_severity,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CREATOR, SUBMITTER, ALICE, BOB, CAROL = 1, 2, 10, 11, 12
FULL_CARD = {name: f"About {name}." for name in MODEL_CARD_FIELDS}


def make_facts(**overrides: object) -> VersionFacts:
    values: dict[str, object] = {
        "version_id": 70,
        "model": "churn",
        "version": 7,
        "risk_tier": "high",
        "tags": frozenset({"credit"}),
        "metrics": {"auc": 0.91, "latency_ms": 100.0},
        "model_card": dict(FULL_CARD),
        "approver_ids": frozenset({ALICE, BOB}),
        "creator_id": CREATOR,
        "submitter_id": SUBMITTER,
        "created_at": NOW - timedelta(days=10),
        "open_drift": {},
    }
    values.update(overrides)
    return VersionFacts(**values)  # type: ignore[arg-type]


def rule(kind: str, position: int = 1, **params: object) -> RuleSpec:
    return RuleSpec(position=position, kind=kind, params=params)


def policy(
    *rules: RuleSpec,
    name: str = "floor",
    revision: int = 1,
    enforcement: str = "enforce",
    risk_tiers: tuple[str, ...] = (),
    environments: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
) -> PolicySpec:
    return PolicySpec(
        name=name,
        revision=revision,
        enforcement=enforcement,
        risk_tiers=frozenset(risk_tiers),
        environments=frozenset(environments),
        tags=frozenset(tags),
        rules=rules,
    )


def only_result(
    facts: VersionFacts, spec: RuleSpec, *, environment: str | None = None
) -> RuleResult:
    verdict = evaluate(facts, [policy(spec)], environment=environment, now=NOW)
    (result,) = verdict.results
    return result


def result(
    *, passed: bool, enforcement: str = "enforce", waived: bool = False
) -> RuleResult:
    return RuleResult(
        policy="p",
        revision=1,
        rule=1,
        kind="min_approvals",
        params={"count": 1},
        passed=passed,
        waived=waived,
        enforcement=enforcement,
        detail="",
    )


# --- numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.8, "0.80"),
        (0.78, "0.78"),
        (140, "140"),
        (140.0, "140"),
        (140.5, "140.50"),
        (-0.5, "-0.50"),
        (-0.0, "0"),
        (0.91234567, "0.912346"),
        (123456.7, "123456.70"),
        (0.9999999, "0.9999999"),
        (1e-05, "1e-05"),
        (1e300, "1e+300"),
        (float("nan"), "nan"),
    ],
)
def test_format_number_shows_whole_numbers_bare_and_others_with_two_decimals(
    value: float, shown: str
) -> None:
    assert format_number(value) == shown


def test_format_number_exact_shows_every_digit() -> None:
    assert format_number(0.30000000000000004, exact=True) == "0.30000000000000004"


# --- metric_threshold -----------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "op", "actual", "limit", "passed", "detail"),
    [
        ("auc", ">=", 0.80, 0.8, True, "auc 0.80 meets the minimum 0.80"),
        ("auc", ">=", 0.91, 0.8, True, "auc 0.91 meets the minimum 0.80"),
        ("auc", ">=", 0.78, 0.8, False, "auc 0.78 is below the minimum 0.80"),
        ("auc", ">", 0.80, 0.8, False, "auc 0.80 is not above 0.80"),
        ("auc", ">", 0.91, 0.8, True, "auc 0.91 is above 0.80"),
        (
            "latency_ms",
            "<=",
            120.0,
            120,
            True,
            "latency_ms 120 is within the maximum 120",
        ),
        (
            "latency_ms",
            "<=",
            140.0,
            120,
            False,
            "latency_ms 140 is above the maximum 120",
        ),
        ("latency_ms", "<", 120.0, 120, False, "latency_ms 120 is not below 120"),
        ("latency_ms", "<", 100.0, 120, True, "latency_ms 100 is below 120"),
    ],
)
def test_metric_threshold_at_and_around_the_threshold(
    metric: str, op: str, actual: float, limit: float, passed: bool, detail: str
) -> None:
    facts = make_facts(metrics={metric: actual})

    outcome = only_result(
        facts, rule("metric_threshold", metric=metric, op=op, value=limit)
    )

    assert (outcome.passed, outcome.detail) == (passed, detail)


@pytest.mark.parametrize("op", [">=", ">", "<=", "<"])
def test_metric_threshold_fails_when_the_metric_is_missing(op: str) -> None:
    facts = make_facts(metrics={"latency_ms": 90.0})

    outcome = only_result(
        facts, rule("metric_threshold", metric="auc", op=op, value=0.8)
    )

    assert not outcome.passed
    assert outcome.detail == "auc is missing"


def test_metric_threshold_shows_every_digit_when_rounding_would_hide_the_gap() -> None:
    facts = make_facts(metrics={"auc": 0.7999999})

    outcome = only_result(
        facts, rule("metric_threshold", metric="auc", op=">=", value=0.8)
    )

    assert outcome.detail == "auc 0.7999999 is below the minimum 0.80"


@settings(database=None)
@given(
    actual=st.floats(allow_nan=False, allow_infinity=False, width=32),
    limit=st.floats(allow_nan=False, allow_infinity=False, width=32),
    op=st.sampled_from([">=", ">", "<=", "<"]),
)
def test_metric_threshold_agrees_with_python_and_never_shows_a_false_tie(
    actual: float, limit: float, op: str
) -> None:
    facts = make_facts(metrics={"m": actual})
    spec = rule("metric_threshold", metric="m", op=op, value=limit)

    outcome = only_result(facts, spec)

    expected = {">=": actual >= limit, ">": actual > limit}.get(op)
    if expected is None:
        expected = actual <= limit if op == "<=" else actual < limit
    assert outcome.passed is expected
    shown = outcome.detail.split()
    if actual != limit:
        assert shown[1] != shown[-1]


# --- min_approvals --------------------------------------------------------------


def test_min_approvals_fails_with_no_approvals() -> None:
    facts = make_facts(approver_ids=frozenset())

    outcome = only_result(facts, rule("min_approvals", count=2))

    assert not outcome.passed
    assert outcome.detail == "0 of 2 required independent approvals"


def test_min_approvals_fails_one_short() -> None:
    facts = make_facts(approver_ids=frozenset({ALICE}))

    outcome = only_result(facts, rule("min_approvals", count=2))

    assert not outcome.passed
    assert outcome.detail == "1 of 2 required independent approvals"


def test_min_approvals_passes_with_exactly_the_required_count() -> None:
    facts = make_facts(approver_ids=frozenset({ALICE, BOB}))

    outcome = only_result(facts, rule("min_approvals", count=2))

    assert outcome.passed
    assert outcome.detail == "2 independent approvals, 2 required"


@pytest.mark.parametrize("self_approver", [CREATOR, SUBMITTER])
def test_min_approvals_never_counts_the_creator_or_submitter(
    self_approver: int,
) -> None:
    facts = make_facts(approver_ids=frozenset({ALICE, self_approver}))

    outcome = only_result(facts, rule("min_approvals", count=2))

    assert not outcome.passed
    assert outcome.detail == (
        "1 of 2 required independent approvals; 1 self-approval not counted"
    )


def test_min_approvals_excludes_a_creator_who_also_submitted_only_once() -> None:
    facts = make_facts(
        approver_ids=frozenset({CREATOR, ALICE}),
        creator_id=CREATOR,
        submitter_id=CREATOR,
    )

    assert count_independent_approvals(facts.approver_ids, CREATOR, CREATOR) == 1
    assert only_result(facts, rule("min_approvals", count=1)).passed


def test_count_independent_approvals_without_known_creator_or_submitter() -> None:
    assert count_independent_approvals(frozenset({ALICE, BOB, CAROL}), None, None) == 3


# --- model_card_fields ----------------------------------------------------------


def test_model_card_fields_passes_when_every_named_field_is_filled() -> None:
    spec = rule("model_card_fields", fields=["intended_use", "limitations"])

    outcome = only_result(make_facts(), spec)

    assert outcome.passed
    assert outcome.detail == "model card has intended_use and limitations"


@pytest.mark.parametrize("blank", ["", "   ", "\n\t ", None])
def test_model_card_fields_treats_empty_and_whitespace_only_as_missing(
    blank: str | None,
) -> None:
    card = dict(FULL_CARD, limitations=blank)
    spec = rule("model_card_fields", fields=["intended_use", "limitations"])

    outcome = only_result(make_facts(model_card=card), spec)

    assert not outcome.passed
    assert outcome.detail == "model card is missing or blank: limitations"


def test_model_card_fields_names_every_missing_field_in_rule_order() -> None:
    card = {"intended_use": "Scoring churn.", "training_data": " "}
    spec = rule(
        "model_card_fields",
        fields=["caveats", "intended_use", "training_data", "limitations"],
    )

    outcome = only_result(make_facts(model_card=card), spec)

    assert outcome.detail == (
        "model card is missing or blank: caveats, training_data and limitations"
    )


# --- max_drift_severity ---------------------------------------------------------


@pytest.mark.parametrize(
    ("open_severity", "limit", "passed", "detail"),
    [
        (None, "ok", True, "no open drift alert in production"),
        ("ok", "ok", True, "no open drift alert in production"),
        (
            "warning",
            "warning",
            True,
            "open warning drift in production is within the limit warning",
        ),
        ("warning", "ok", False, "open warning drift in production; the limit is ok"),
        (
            "critical",
            "warning",
            False,
            "open critical drift in production; the limit is warning",
        ),
        ("critical", "ok", False, "open critical drift in production; the limit is ok"),
    ],
)
def test_max_drift_severity_compares_the_environments_worst_open_alert(
    open_severity: str | None, limit: str, passed: bool, detail: str
) -> None:
    open_drift = {} if open_severity is None else {"production": open_severity}
    facts = make_facts(open_drift=open_drift)

    outcome = only_result(
        facts, rule("max_drift_severity", severity=limit), environment="production"
    )

    assert (outcome.passed, outcome.detail) == (passed, detail)


def test_max_drift_severity_ignores_other_environments_when_one_is_evaluated() -> None:
    facts = make_facts(open_drift={"staging": "critical"})

    outcome = only_result(
        facts, rule("max_drift_severity", severity="warning"), environment="production"
    )

    assert outcome.passed


def test_max_drift_severity_without_environment_looks_across_all() -> None:
    facts = make_facts(
        open_drift={
            "staging": "critical",
            "production": "critical",
            "development": "warning",
        }
    )

    outcome = only_result(facts, rule("max_drift_severity", severity="warning"))

    assert not outcome.passed
    assert outcome.detail == (
        "open critical drift in production and staging; the limit is warning"
    )


def test_max_drift_severity_without_environment_passes_with_nothing_open() -> None:
    outcome = only_result(make_facts(), rule("max_drift_severity", severity="ok"))

    assert outcome.passed
    assert outcome.detail == "no open drift alert in any environment"


def test_max_drift_severity_treats_an_unknown_severity_as_worse_than_critical() -> None:
    facts = make_facts(open_drift={"production": "severe"})

    outcome = only_result(
        facts, rule("max_drift_severity", severity="warning"), environment="production"
    )

    assert not outcome.passed


def test_worst_drift_severity_picks_the_highest_rank() -> None:
    assert worst_drift_severity({}) is None
    assert (
        worst_drift_severity({"a": "warning", "b": "critical", "c": "ok"}) == "critical"
    )


# --- max_age_days ---------------------------------------------------------------


def test_max_age_days_passes_at_exactly_the_limit() -> None:
    facts = make_facts(created_at=NOW - timedelta(days=365))

    outcome = only_result(facts, rule("max_age_days", days=365))

    assert outcome.passed
    assert outcome.detail == "created 365 days ago; the limit is 365"


def test_max_age_days_fails_one_second_past_the_limit() -> None:
    facts = make_facts(created_at=NOW - timedelta(days=365, seconds=1))

    outcome = only_result(facts, rule("max_age_days", days=365))

    assert not outcome.passed
    assert outcome.detail == "created more than 365 days ago; the limit is 365"


def test_max_age_days_reports_the_age_in_whole_days() -> None:
    facts = make_facts(created_at=NOW - timedelta(days=412, hours=5))

    outcome = only_result(facts, rule("max_age_days", days=365))

    assert not outcome.passed
    assert outcome.detail == "created 412 days ago; the limit is 365"


@pytest.mark.parametrize(
    ("age", "detail"),
    [
        (timedelta(hours=3), "created less than a day ago; the limit is 30"),
        (timedelta(days=1, hours=2), "created 1 day ago; the limit is 30"),
        (timedelta(hours=-2), "created less than a day ago; the limit is 30"),
    ],
)
def test_max_age_days_passes_young_versions(age: timedelta, detail: str) -> None:
    facts = make_facts(created_at=NOW - age)

    outcome = only_result(facts, rule("max_age_days", days=30))

    assert (outcome.passed, outcome.detail) == (True, detail)


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


# --- validate_rule --------------------------------------------------------------

METRIC = {"metric": "auc", "op": ">=", "value": 0.8}


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("bias_audit", {}, "kind"),
        (None, {}, "kind"),
        ("min_approvals", [2], "params"),
        ("metric_threshold", {"metric": "auc", "op": ">="}, "params.value"),
        ("min_approvals", {}, "params.count"),
        ("min_approvals", {"count": 2, "extra": 1}, "params.extra"),
        ("metric_threshold", {**METRIC, "value": True}, "params.value"),
        ("metric_threshold", {**METRIC, "value": "0.8"}, "params.value"),
        ("metric_threshold", {**METRIC, "value": None}, "params.value"),
        ("metric_threshold", {**METRIC, "value": math.nan}, "params.value"),
        ("metric_threshold", {**METRIC, "value": math.inf}, "params.value"),
        ("metric_threshold", {**METRIC, "value": -math.inf}, "params.value"),
        ("metric_threshold", {**METRIC, "value": 10**400}, "params.value"),
        ("metric_threshold", {**METRIC, "op": "=="}, "params.op"),
        ("metric_threshold", {**METRIC, "op": "gte"}, "params.op"),
        ("metric_threshold", {**METRIC, "metric": "  "}, "params.metric"),
        ("metric_threshold", {**METRIC, "metric": 5}, "params.metric"),
        ("min_approvals", {"count": 0}, "params.count"),
        ("min_approvals", {"count": -1}, "params.count"),
        ("min_approvals", {"count": True}, "params.count"),
        ("min_approvals", {"count": 1.5}, "params.count"),
        ("min_approvals", {"count": "2"}, "params.count"),
        ("max_age_days", {"days": 0}, "params.days"),
        ("max_age_days", {"days": -30}, "params.days"),
        ("model_card_fields", {"fields": []}, "params.fields"),
        ("model_card_fields", {"fields": ["intended_use", "purpose"]}, "params.fields"),
        ("model_card_fields", {"fields": "intended_use"}, "params.fields"),
        ("model_card_fields", {"fields": [1]}, "params.fields"),
        ("max_drift_severity", {"severity": "critical"}, "params.severity"),
        ("max_drift_severity", {"severity": "high"}, "params.severity"),
    ],
)
def test_validate_rule_refuses_bad_input_naming_the_field(
    kind: str, params: dict[str, object], field: str
) -> None:
    with pytest.raises(RuleParamsError) as caught:
        validate_rule(kind, params)

    assert caught.value.field == field
    assert caught.value.message
    assert isinstance(caught.value, ValueError)


def test_validate_rule_returns_normalised_parameters() -> None:
    assert validate_rule(
        "metric_threshold", {"metric": " auc", "op": ">", "value": 1}
    ) == {
        "metric": "auc",
        "op": ">",
        "value": 1.0,
    }
    assert validate_rule("min_approvals", {"count": 2.0}) == {"count": 2}
    assert validate_rule(
        "model_card_fields", {"fields": ["caveats", "intended_use", "caveats"]}
    ) == {"fields": ["caveats", "intended_use"]}
    assert validate_rule("max_drift_severity", {"severity": "ok"}) == {"severity": "ok"}
    assert validate_rule("max_age_days", {"days": 365}) == {"days": 365}


def test_rule_kinds_each_have_a_parameter_schema() -> None:
    assert set(RULE_KINDS) == {
        "metric_threshold",
        "min_approvals",
        "model_card_fields",
        "max_drift_severity",
        "max_age_days",
    }
    for kind in RULE_KINDS:
        schema = rule_param_schema(kind)
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False
        assert set(schema["required"]) == set(schema["properties"])


def test_rule_param_schema_cannot_be_changed_by_its_caller() -> None:
    rule_param_schema("metric_threshold")["properties"]["op"]["enum"].append("==")

    assert "==" not in rule_param_schema("metric_threshold")["properties"]["op"]["enum"]


def test_rule_param_schema_refuses_an_unknown_kind() -> None:
    with pytest.raises(RuleParamsError) as caught:
        rule_param_schema("bias_audit")

    assert caught.value.field == "kind"


# --- readiness ------------------------------------------------------------------


def test_readiness_is_100_when_everything_is_in_order() -> None:
    verdict = Verdict(passed=True, results=(result(passed=True), result(passed=True)))

    score = readiness_score(
        verdict=verdict,
        approvals_required=2,
        independent_approvals=2,
        model_card=FULL_CARD,
        worst_open_drift=None,
    )

    assert score == 100.0


def test_readiness_weighs_rules_approvals_card_and_drift() -> None:
    results = (
        result(passed=True),
        result(passed=True),
        result(passed=True),
        result(passed=False),
        result(passed=False, enforcement="advisory"),
    )
    card = dict.fromkeys(MODEL_CARD_FIELDS[:4], "filled") | {"caveats": "  "}

    score = readiness_score(
        verdict=Verdict(passed=False, results=results),
        approvals_required=2,
        independent_approvals=1,
        model_card=card,
        worst_open_drift="warning",
    )

    # 40 * 3/4 + 20 * 1/2 + 15 * 4/6 + 25 * 0.5
    assert score == 62.5


def test_readiness_with_no_rules_or_required_approvals_counts_them_complete() -> None:
    score = readiness_score(
        verdict=Verdict(passed=True, results=()),
        approvals_required=0,
        independent_approvals=0,
        model_card={},
        worst_open_drift="critical",
    )

    assert score == 60.0


def test_readiness_counts_waived_rules_as_passing_and_rounds_to_one_decimal() -> None:
    results = (
        result(passed=True),
        result(passed=False, waived=True),
        result(passed=False),
    )

    score = readiness_score(
        verdict=Verdict(passed=False, results=results),
        approvals_required=1,
        independent_approvals=3,
        model_card=FULL_CARD,
        worst_open_drift="ok",
    )

    # 40 * 2/3 + 20 + 15 + 25
    assert score == 86.7


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
