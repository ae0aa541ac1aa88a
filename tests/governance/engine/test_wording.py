"""Rules in words and each kind's example parameters: pure, no database."""

import pytest

from governance.engine import RULE_EXAMPLES, RULE_KINDS, describe_rule, validate_rule


@pytest.mark.parametrize("kind", RULE_KINDS)
def test_every_kind_has_a_valid_example_and_a_sentence(kind):
    example = RULE_EXAMPLES[kind]

    assert validate_rule(kind, example) == dict(example)
    assert "unknown" not in describe_rule(kind, example)
    assert "unreadable" not in describe_rule(kind, example)


@pytest.mark.parametrize(
    ("kind", "params", "sentence"),
    [
        (
            "metric_threshold",
            {"metric": "auc", "op": ">=", "value": 0.8},
            "auc must be at least 0.80",
        ),
        (
            "metric_threshold",
            {"metric": "latency_ms", "op": "<", "value": 200},
            "latency_ms must be below 200",
        ),
        (
            "min_approvals",
            {"count": 1},
            "1 independent approval (never the creator's or submitter's own)",
        ),
        (
            "model_card_fields",
            {"fields": ["intended_use", "limitations", "caveats"]},
            "the model card fills in intended use, limitations and caveats",
        ),
        ("max_drift_severity", {"severity": "ok"}, "no open drift alert"),
        (
            "max_drift_severity",
            {"severity": "warning"},
            "no open drift alert worse than warning",
        ),
        ("max_age_days", {"days": 30}, "created within the last 30 days"),
    ],
)
def test_a_rule_reads_as_a_sentence(kind, params, sentence):
    assert describe_rule(kind, params) == sentence


def test_a_rule_the_engine_cannot_read_says_so():
    assert describe_rule("gut_feeling", {}) == "unknown rule kind 'gut_feeling'"
    assert "unreadable" in describe_rule("min_approvals", {"cnt": 2})
