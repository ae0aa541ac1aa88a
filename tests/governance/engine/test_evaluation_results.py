"""metric_threshold on an LLM application's evaluation results: the same rule
reads them as metrics, says who judged on how many samples, and refuses a
result that rests on too few samples when the rule asks for a minimum."""

import pytest

from governance.engine import (
    EvaluationResultFact,
    RuleParamsError,
    describe_rule,
    validate_rule,
)
from tests.governance.engine.builders import make_facts, only_result, rule


def llm_facts(**results: tuple[float, int]):
    return make_facts(
        metrics={},
        evaluation_results={
            metric: EvaluationResultFact(
                value=value, sample_size=n, suite="support-evals", judge="gpt-4o-judge"
            )
            for metric, (value, n) in results.items()
        },
    )


def test_an_evaluation_result_passes_a_threshold_and_says_who_judged():
    result = only_result(
        llm_facts(groundedness=(0.86, 400)),
        rule("metric_threshold", metric="groundedness", op=">=", value=0.8),
    )

    assert result.passed
    assert result.detail == (
        "groundedness 0.86 meets the minimum 0.80 (judge gpt-4o-judge, n = 400)"
    )


def test_an_evaluation_result_fails_a_maximum_like_any_metric():
    result = only_result(
        llm_facts(toxicity=(0.04, 1000)),
        rule("metric_threshold", metric="toxicity", op="<=", value=0.01),
    )

    assert not result.passed
    assert result.detail.startswith("toxicity 0.04 is above the maximum 0.01")


def test_a_missing_evaluation_metric_fails():
    result = only_result(
        llm_facts(groundedness=(0.9, 400)),
        rule("metric_threshold", metric="pii_leakage", op="<=", value=0.0),
    )

    assert not result.passed
    assert result.detail == "pii_leakage is missing"


def test_too_few_samples_fail_a_rule_that_asks_for_a_minimum():
    result = only_result(
        llm_facts(groundedness=(0.95, 40)),
        rule(
            "metric_threshold",
            metric="groundedness",
            op=">=",
            value=0.8,
            min_sample_size=100,
        ),
    )

    assert not result.passed
    assert result.detail == (
        "groundedness 0.95 meets the minimum 0.80, but on 40 samples, fewer than "
        "the 100 required (judge gpt-4o-judge)"
    )


def test_enough_samples_pass_a_rule_that_asks_for_a_minimum():
    result = only_result(
        llm_facts(groundedness=(0.95, 100)),
        rule(
            "metric_threshold",
            metric="groundedness",
            op=">=",
            value=0.8,
            min_sample_size=100,
        ),
    )

    assert result.passed


def test_a_plain_metric_has_no_sample_size_to_meet_a_minimum():
    result = only_result(
        make_facts(metrics={"auc": 0.91}),
        rule("metric_threshold", metric="auc", op=">=", value=0.8, min_sample_size=10),
    )

    assert not result.passed
    assert result.detail == (
        "auc 0.91 meets the minimum 0.80, but auc has no recorded sample size "
        "(10 required)"
    )


def test_a_plain_metric_reads_as_before():
    result = only_result(
        make_facts(metrics={"auc": 0.91}),
        rule("metric_threshold", metric="auc", op=">=", value=0.8),
    )

    assert result.passed
    assert result.detail == "auc 0.91 meets the minimum 0.80"


def test_min_sample_size_is_optional_and_checked():
    params = {"metric": "groundedness", "op": ">=", "value": 0.8}

    assert validate_rule("metric_threshold", params) == params
    assert (
        validate_rule("metric_threshold", {**params, "min_sample_size": 50})[
            "min_sample_size"
        ]
        == 50
    )
    with pytest.raises(RuleParamsError) as refused:
        validate_rule("metric_threshold", {**params, "min_sample_size": 0})
    assert refused.value.field == "params.min_sample_size"
    with pytest.raises(RuleParamsError) as refused:
        validate_rule("metric_threshold", {**params, "min_sample_size": 2.5})
    assert refused.value.field == "params.min_sample_size"


def test_the_rule_in_words_names_the_sample_minimum():
    assert (
        describe_rule(
            "metric_threshold",
            {
                "metric": "groundedness",
                "op": ">=",
                "value": 0.8,
                "min_sample_size": 200,
            },
        )
        == "groundedness must be at least 0.80, measured on at least 200 samples"
    )
