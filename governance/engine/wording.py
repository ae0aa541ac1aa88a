"""Rules in words, and an example of each kind's parameters, for the pages
that show and edit policies. Every kind in RULE_KINDS has both (a test
checks it), so adding a kind is adding its evaluator, its schema, a sentence
and an example."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from governance.engine.rules import format_number, join_names, plural

_OPERATOR_WORDS = {
    ">=": "at least",
    ">": "above",
    "<=": "at most",
    "<": "below",
}

RULE_EXAMPLES: Mapping[str, Mapping[str, Any]] = {
    "metric_threshold": {"metric": "auc", "op": ">=", "value": 0.8},
    "min_approvals": {"count": 2},
    "model_card_fields": {"fields": ["intended_use", "limitations"]},
    "max_drift_severity": {"severity": "warning"},
    "max_age_days": {"days": 365},
    "performance_floor": {"metric": "auc", "op": ">=", "value": 0.75},
    "fairness_gap": {"metric": "disparate_impact_ratio", "min": 0.8},
}


def _metric_threshold(params: Mapping[str, Any]) -> str:
    words = _OPERATOR_WORDS.get(params["op"], params["op"])
    sentence = f"{params['metric']} must be {words} {format_number(params['value'])}"
    if params.get("min_sample_size") is not None:
        sentence += (
            f", measured on at least {plural(params['min_sample_size'], 'sample')}"
        )
    return sentence


def _min_approvals(params: Mapping[str, Any]) -> str:
    return (
        f"{plural(params['count'], 'independent approval')} "
        "(never the creator's or submitter's own)"
    )


def _model_card_fields(params: Mapping[str, Any]) -> str:
    names = [name.replace("_", " ") for name in params["fields"]]
    return f"the model card fills in {join_names(names)}"


def _max_drift_severity(params: Mapping[str, Any]) -> str:
    if params["severity"] == "ok":
        return "no open drift alert"
    return f"no open drift alert worse than {params['severity']}"


def _max_age_days(params: Mapping[str, Any]) -> str:
    return f"created within the last {plural(params['days'], 'day')}"


def _age_clause(params: Mapping[str, Any]) -> str:
    days = params.get("max_age_days")
    return "" if days is None else f", from a report at most {plural(days, 'day')} old"


def _performance_floor(params: Mapping[str, Any]) -> str:
    words = _OPERATOR_WORDS.get(params["op"], params["op"])
    return (
        f"the latest performance report's {params['metric']} must be {words} "
        f"{format_number(params['value'])}{_age_clause(params)}"
    )


def _fairness_gap(params: Mapping[str, Any]) -> str:
    metric = params["metric"].replace("_", " ")
    if "min" in params:
        bound = f"at least {format_number(params['min'])}"
    else:
        bound = f"at most {format_number(params['max'])}"
    return f"the latest fairness reports' {metric} must be {bound}{_age_clause(params)}"


_SENTENCES: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "metric_threshold": _metric_threshold,
    "min_approvals": _min_approvals,
    "model_card_fields": _model_card_fields,
    "max_drift_severity": _max_drift_severity,
    "max_age_days": _max_age_days,
    "performance_floor": _performance_floor,
    "fairness_gap": _fairness_gap,
}


def describe_rule(kind: str, params: Mapping[str, Any]) -> str:
    """What a rule asks of a version, as a sentence; a rule whose kind or
    parameters the engine cannot read says so."""
    sentence = _SENTENCES.get(kind)
    if sentence is None:
        return f"unknown rule kind {kind!r}"
    try:
        return sentence(params)
    except (KeyError, TypeError, ValueError, AttributeError):
        return f"{kind.replace('_', ' ')} with unreadable parameters {dict(params)!r}"
