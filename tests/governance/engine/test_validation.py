"""governance.engine.validation: rule parameters and their schemas."""

import math

import pytest

from governance.engine import (
    RULE_KINDS,
    RuleParamsError,
    rule_param_schema,
    validate_rule,
)

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
        "performance_floor",
        "fairness_gap",
    }
    for kind in RULE_KINDS:
        schema = rule_param_schema(kind)
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False
        assert set(schema["required"]) <= set(schema["properties"])
    # Optional parameters are metric_threshold's sample size, the monitoring
    # rules' age limit and the fairness rule's bound, of which exactly one is
    # given.
    assert rule_param_schema("metric_threshold")["required"] == [
        "metric",
        "op",
        "value",
    ]
    assert set(rule_param_schema("performance_floor")["required"]) == {
        "metric",
        "op",
        "value",
    }
    assert rule_param_schema("fairness_gap")["required"] == ["metric"]


def test_rule_param_schema_cannot_be_changed_by_its_caller() -> None:
    rule_param_schema("metric_threshold")["properties"]["op"]["enum"].append("==")

    assert "==" not in rule_param_schema("metric_threshold")["properties"]["op"]["enum"]


def test_rule_param_schema_refuses_an_unknown_kind() -> None:
    with pytest.raises(RuleParamsError) as caught:
        rule_param_schema("bias_audit")

    assert caught.value.field == "kind"
