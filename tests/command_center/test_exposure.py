"""command_center.exposure: the pure exposure score and its top reason."""

import pytest

from command_center.exposure import (
    CRITICAL_DRIFT_POINTS,
    FAILING_RULE_POINTS,
    SERVING_POINTS,
    TIER_WEIGHTS,
    UNMET_OBLIGATION_POINTS,
    UNMET_OBLIGATIONS_COUNTED,
    ExposureFacts,
    exposure,
)
from registry.constants import RISK_TIERS


def score(**facts) -> float:
    return exposure(ExposureFacts(**{"risk_tier": "high", **facts})).score


def reason(**facts) -> str:
    return exposure(ExposureFacts(**{"risk_tier": "high", **facts})).reason


def test_every_risk_tier_has_a_weight_and_graver_tiers_weigh_more():
    assert set(TIER_WEIGHTS) == set(RISK_TIERS)
    weights = [TIER_WEIGHTS[tier] for tier in RISK_TIERS]
    assert weights == sorted(weights)
    assert len(set(weights)) == len(weights)


def test_nothing_serving_and_nothing_failing_scores_zero():
    assert score() == 0.0


def test_the_worst_case_scores_100():
    worst = score(
        risk_tier="critical",
        serving_share=100,
        failing_share=100,
        failing_rules=3,
        open_critical_alerts=1,
        overdue_review_version=4,
        overdue_review_days=1,
        unmet_obligations=UNMET_OBLIGATIONS_COUNTED,
    )

    assert worst == 100.0


def test_failing_rules_on_a_serving_version_outrank_the_same_rules_on_a_candidate():
    serving = score(serving_share=100, failing_share=100, failing_rules=2)
    candidate = score(failing_rules=2)

    assert serving > candidate > 0


def test_a_failing_canary_exposes_less_than_a_failing_primary():
    primary = score(serving_share=100, failing_share=100, failing_rules=1)
    canary = score(
        serving_share=100, failing_share=10, failing_rules=1, only_canary_fails=True
    )
    passing = score(serving_share=100)

    assert primary > canary > passing > 0


def test_the_same_trouble_weighs_more_on_a_graver_tier():
    trouble = {"serving_share": 100, "failing_share": 100, "failing_rules": 1}

    ordered = [score(risk_tier=tier, **trouble) for tier in RISK_TIERS]

    assert ordered == sorted(ordered)
    assert ordered[-1] == pytest.approx(4 * ordered[0], abs=0.2)


def test_failing_rules_count_up_to_three():
    scores = [score(failing_rules=count) for count in range(6)]

    assert scores[:4] == sorted(set(scores[:4]))
    assert scores[3] == scores[4] == scores[5]


def test_critical_drift_counts_once_whatever_the_number_of_alerts():
    assert score(open_critical_alerts=1) == score(open_critical_alerts=7) > 0


def test_an_overdue_review_adds_exposure():
    assert score(overdue_review_version=2, overdue_review_days=3) > score()


def test_the_score_is_the_weighted_sum_out_of_the_worst_case():
    # high (3) x (10 for serving + 20 x 2 for one rule failing on it), of
    # 4 x (10 + (60 + 25 + 15 + 20) x 2) = 1000.
    expected = round(100 * 3 * (SERVING_POINTS + FAILING_RULE_POINTS * 2) / 1000, 1)

    assert score(serving_share=100, failing_share=100, failing_rules=1) == expected
    assert score(open_critical_alerts=1) == round(
        100 * 3 * CRITICAL_DRIFT_POINTS / 1000, 1
    )


def test_unmet_obligations_add_exposure_up_to_four_and_more_when_serving():
    scores = [score(unmet_obligations=count) for count in range(6)]

    assert scores[:5] == sorted(set(scores[:5]))
    assert scores[4] == scores[5]
    assert scores[1] == round(100 * 3 * UNMET_OBLIGATION_POINTS / 1000, 1)
    assert score(serving_share=100, unmet_obligations=2) > score(
        serving_share=100
    ) + score(unmet_obligations=2)


def test_unmet_obligations_name_the_reason_when_they_weigh_most():
    assert reason(serving_share=100, unmet_obligations=3) == (
        "Serves 100% of production and has 3 unmet obligations"
    )
    assert reason(unmet_obligations=1) == (
        "Has 1 unmet obligation; serves no production traffic"
    )


@pytest.mark.parametrize(
    ("facts", "sentence"),
    [
        (
            {"serving_share": 100, "failing_share": 100, "failing_rules": 2},
            "Serves 100% of production and fails 2 enforced rules",
        ),
        (
            {
                "serving_share": 100,
                "failing_share": 10,
                "failing_rules": 1,
                "only_canary_fails": True,
            },
            "Serves 100% of production and its canary at 10% fails 1 enforced rule",
        ),
        (
            {"serving_share": 100, "open_critical_alerts": 3},
            "Serves 100% of production and has 3 open critical drift alerts",
        ),
        (
            {"serving_share": 100},
            "Serves 100% of production; no failing rule, critical drift, "
            "overdue review or unmet obligation",
        ),
        (
            {"failing_rules": 1},
            "Fails 1 enforced rule for production; serves no production traffic",
        ),
        (
            {"overdue_review_version": 5, "overdue_review_days": 1},
            "Has v5 in review 1 day past its deadline; serves no production traffic",
        ),
        ({}, "Serves no production traffic; nothing fails"),
    ],
)
def test_the_top_reason_is_one_sentence(facts, sentence):
    assert reason(**facts) == sentence


def test_the_top_reason_is_the_largest_part():
    # One failing rule on a candidate (20) against critical drift (25).
    assert reason(failing_rules=1, open_critical_alerts=1).startswith("Has 1 open")
    # Two failing rules (40) against critical drift (25).
    assert reason(failing_rules=2, open_critical_alerts=1).startswith("Fails 2")
    # Drift (25) against a late review (15).
    assert reason(
        open_critical_alerts=1, overdue_review_version=2, overdue_review_days=4
    ).startswith("Has 1 open critical drift alert")


def test_equal_parts_name_the_failing_rules_first():
    # Two rules failing on a 25% canary: 20 x 2 x 1.25 = 50; critical drift on
    # a model serving all of production: 25 x 2 = 50.
    tied = reason(
        serving_share=100,
        failing_share=25,
        failing_rules=2,
        only_canary_fails=True,
        open_critical_alerts=1,
    )

    assert tied == (
        "Serves 100% of production and its canary at 25% fails 2 enforced rules"
    )
