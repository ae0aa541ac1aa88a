"""governance.engine: performance_floor and fairness_gap, read from the latest
performance and fairness reports of a version in the evaluated environment."""

from datetime import timedelta

import pytest

from governance.engine import MonitoredReport, RuleParamsError, validate_rule
from tests.governance.engine.builders import NOW, make_facts, only_result, rule


def performance(auc=0.82, days_ago=1, **values):
    return MonitoredReport(
        kind="performance",
        attribute="",
        window_end=NOW - timedelta(days=days_ago),
        values={"auc": auc, "f1": 0.6, **values},
    )


def fairness(attribute="sex", ratio=0.9, gap=0.05, days_ago=1):
    return MonitoredReport(
        kind="fairness",
        attribute=attribute,
        window_end=NOW - timedelta(days=days_ago),
        values={
            "disparate_impact_ratio": ratio,
            "demographic_parity_difference": gap,
            "equal_opportunity_difference": None,
        },
    )


FLOOR = rule("performance_floor", metric="auc", op=">=", value=0.8)


def test_a_floor_met_in_the_environment_passes():
    facts = make_facts(monitoring={"production": (performance(),)})
    outcome = only_result(facts, FLOOR, environment="production")
    assert outcome.passed
    assert outcome.detail == "auc 0.82 meets the minimum 0.80 in production"


def test_a_floor_missed_fails_with_the_numbers():
    facts = make_facts(monitoring={"production": (performance(auc=0.74),)})
    outcome = only_result(facts, FLOOR, environment="production")
    assert not outcome.passed
    assert outcome.detail == "auc 0.74 is below the minimum 0.80 in production"


def test_a_missing_report_fails_and_says_so():
    facts = make_facts(monitoring={"staging": (performance(),)})
    outcome = only_result(facts, FLOOR, environment="production")
    assert not outcome.passed
    assert outcome.detail == "no performance report in production"
    assert only_result(make_facts(), FLOOR).detail == (
        "no performance report in any environment"
    )


def test_a_stale_report_fails_when_the_rule_sets_an_age():
    facts = make_facts(monitoring={"production": (performance(days_ago=10),)})
    aged = rule("performance_floor", metric="auc", op=">=", value=0.8, max_age_days=7)
    outcome = only_result(facts, aged, environment="production")
    assert not outcome.passed
    assert outcome.detail == (
        "the latest performance report in production ended 10 days ago; "
        "the limit is 7 days"
    )
    assert only_result(facts, FLOOR, environment="production").passed


def test_an_undefined_metric_fails():
    facts = make_facts(monitoring={"production": (performance(auc=None),)})
    outcome = only_result(facts, FLOOR, environment="production")
    assert not outcome.passed
    assert "auc is undefined" in outcome.detail


def test_without_an_environment_every_environment_must_pass():
    facts = make_facts(
        monitoring={
            "production": (performance(auc=0.9),),
            "staging": (performance(auc=0.7),),
        }
    )
    outcome = only_result(facts, FLOOR)
    assert not outcome.passed
    assert outcome.detail == "auc 0.70 is below the minimum 0.80 in staging"


def test_the_fairness_floor_on_the_ratio_checks_every_attribute():
    facts = make_facts(
        monitoring={
            "production": (
                performance(),
                fairness("age_band", ratio=0.75),
                fairness("sex", ratio=0.95),
            )
        }
    )
    four_fifths = rule("fairness_gap", metric="disparate_impact_ratio", min=0.8)
    outcome = only_result(facts, four_fifths, environment="production")
    assert not outcome.passed
    assert outcome.detail == (
        "disparate_impact_ratio 0.75 is below the minimum 0.80 by age_band "
        "in production"
    )


def test_the_fairness_maximum_on_a_gap():
    facts = make_facts(monitoring={"production": (fairness(gap=0.05),)})
    gap = rule("fairness_gap", metric="demographic_parity_difference", max=0.1)
    outcome = only_result(facts, gap, environment="production")
    assert outcome.passed
    assert outcome.detail == (
        "demographic_parity_difference 0.05 is within the maximum 0.10 by sex "
        "in production"
    )
    undefined = rule("fairness_gap", metric="equal_opportunity_difference", max=0.1)
    assert not only_result(facts, undefined, environment="production").passed
    missing = only_result(make_facts(), gap, environment="production")
    assert missing.detail == "no fairness report in production"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metric": "disparate_impact_ratio", "max": 0.8}, "params.min"),
        ({"metric": "disparate_impact_ratio"}, "params.min"),
        ({"metric": "demographic_parity_difference", "min": 0.1}, "params.max"),
        (
            {"metric": "demographic_parity_difference", "max": 0.1, "min": 0},
            "params.max",
        ),
        ({"metric": "auc", "max": 0.1}, "params.metric"),
        (
            {"metric": "equal_opportunity_difference", "max": 0.1, "max_age_days": 0},
            "params.max_age_days",
        ),
    ],
)
def test_fairness_gap_parameters_are_checked(params, field):
    with pytest.raises(RuleParamsError) as error:
        validate_rule("fairness_gap", params)
    assert error.value.field == field


def test_performance_floor_parameters_are_checked():
    assert validate_rule(
        "performance_floor", {"metric": "f1", "op": ">", "value": 0.5}
    ) == {"metric": "f1", "op": ">", "value": 0.5}
    with pytest.raises(RuleParamsError) as error:
        validate_rule("performance_floor", {"metric": "latency", "op": ">", "value": 1})
    assert error.value.field == "params.metric"
