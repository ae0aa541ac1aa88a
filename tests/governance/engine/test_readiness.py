"""governance.engine.readiness: the 0-100 readiness score."""

from governance.engine import (
    MODEL_CARD_FIELDS,
    RuleResult,
    Verdict,
    approvals_required,
    readiness_score,
    version_readiness,
)
from tests.governance.engine.builders import (
    ALICE,
    BOB,
    FULL_CARD,
    make_facts,
    result,
)

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


def approvals_rule(count: int, *, enforcement: str = "enforce", waived: bool = False):
    return RuleResult(
        "p", 1, 1, "min_approvals", {"count": count}, False, waived, enforcement, ""
    )


def test_approvals_required_is_the_largest_enforced_unwaived_min_approvals() -> None:
    verdict = Verdict(
        passed=False,
        results=(
            approvals_rule(1),
            approvals_rule(3, enforcement="advisory"),
            approvals_rule(4, waived=True),
            approvals_rule(2),
            result(passed=False),
        ),
    )

    assert approvals_required(verdict) == 2
    assert approvals_required(Verdict(passed=True, results=())) == 0


def test_a_waived_approval_rule_asks_for_no_approvals_in_readiness() -> None:
    verdict = Verdict(passed=True, results=(approvals_rule(2, waived=True),))

    assert approvals_required(verdict) == 0


def test_an_overdue_review_scores_the_approvals_part_zero() -> None:
    facts = make_facts(approver_ids=frozenset({ALICE, BOB}))
    # One enforced min_approvals rule asking for one approval.
    verdict = Verdict(passed=True, results=(result(passed=True),))

    on_time = version_readiness(facts, verdict)
    late = version_readiness(facts, verdict, review_overdue=True)

    assert on_time.points["approvals"] == 20.0
    assert late.points["approvals"] == 0.0
    assert late.score == on_time.score - 20.0
    assert (
        readiness_score(
            verdict=verdict,
            approvals_required=0,
            independent_approvals=0,
            model_card=FULL_CARD,
            worst_open_drift=None,
            review_overdue=True,
        )
        == 80.0
    )
