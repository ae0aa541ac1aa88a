"""governance.engine.rules: each rule kind and the numbers in its sentences."""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.engine import (
    count_independent_approvals,
    format_number,
    worst_drift_severity,
)
from tests.governance.engine.builders import (
    ALICE,
    BOB,
    CAROL,
    CREATOR,
    FULL_CARD,
    NOW,
    SUBMITTER,
    make_facts,
    only_result,
    rule,
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
