"""The rule-kind registry, the rule evaluators and their sentences."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from governance.engine.constants import (
    DISPARATE_IMPACT_RATIO,
    FAIRNESS,
    FAIRNESS_RULE_METRICS,
    MODEL_CARD_FIELDS,
    OPERATORS,
    PERFORMANCE,
    PERFORMANCE_METRICS,
    SEVERITY_LIMITS,
    SEVERITY_OK,
    SEVERITY_RANK,
    UNKNOWN_SEVERITY_RANK,
)
from governance.engine.facts import EvaluationResultFact, MonitoredReport, VersionFacts


def format_number(value: float, *, exact: bool = False) -> str:
    """Render a number for a sentence: whole numbers bare, others with 2+ decimals."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value)) if exact or abs(value) < 1e15 else f"{value:.6g}"
    text = repr(value) if exact else f"{value:.6g}"
    dot = text.find(".")
    if dot < 0 or "e" in text:
        if not math.isfinite(value) or ("e" in text and abs(value) < 1):
            return text
        # Six significant digits rounded the fraction away (123456.7, 0.9999999):
        # "123457" or "1" would hide that the number is not whole.
        text = repr(value)
        dot = text.find(".")
    return text + "0" if len(text) - dot < 3 else text


_format_limit = lru_cache(maxsize=1024)(format_number)


def join_names(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def is_filled(text: object) -> bool:
    """Whether a model card entry says something (not missing, blank or spaces)."""
    return isinstance(text, str) and bool(text) and not text.isspace()


# --- rule kinds -----------------------------------------------------------------

RuleEvaluator = Callable[
    [Mapping[str, Any], VersionFacts, str | None, datetime], tuple[bool, str]
]


@dataclass(frozen=True)
class RuleKind:
    """A rule kind: its evaluator and the JSON schema of its parameters."""

    name: str
    evaluate: RuleEvaluator
    schema: Mapping[str, Any]
    # What the schema cannot say about the parameters together: (field,
    # message) of the first problem, or None.
    check: Callable[[Mapping[str, Any]], tuple[str, str] | None] | None = None


RULE_REGISTRY: dict[str, RuleKind] = {}


def _rule_kind(
    name: str,
    *,
    optional: tuple[str, ...] = (),
    check: Callable[[Mapping[str, Any]], tuple[str, str] | None] | None = None,
    **properties: dict[str, Any],
) -> Callable[[RuleEvaluator], RuleEvaluator]:
    schema = {
        "type": "object",
        "properties": properties,
        "required": [param for param in properties if param not in optional],
        "additionalProperties": False,
    }

    def register(evaluate: RuleEvaluator) -> RuleEvaluator:
        RULE_REGISTRY[name] = RuleKind(
            name=name, evaluate=evaluate, schema=schema, check=check
        )
        return evaluate

    return register


_COMPARISONS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_METRIC_SENTENCES = {
    (">=", True): "%s %s meets the minimum %s",
    (">=", False): "%s %s is below the minimum %s",
    (">", True): "%s %s is above %s",
    (">", False): "%s %s is not above %s",
    ("<=", True): "%s %s is within the maximum %s",
    ("<=", False): "%s %s is above the maximum %s",
    ("<", True): "%s %s is below %s",
    ("<", False): "%s %s is not below %s",
}


@_rule_kind(
    "metric_threshold",
    metric={"type": "string", "minLength": 1, "description": "Metric name."},
    op={"type": "string", "enum": list(OPERATORS)},
    value={"type": "number", "description": "Threshold; a finite number."},
    min_sample_size={
        "type": "integer",
        "minimum": 1,
        "description": "Optional: the fewest samples an evaluation result "
        "may rest on; a metric without a sample size then fails.",
    },
    optional=("min_sample_size",),
)
def _metric_threshold(
    params: Mapping[str, Any],
    facts: VersionFacts,
    environment: str | None,
    now: datetime,
) -> tuple[bool, str]:
    metric = params["metric"]
    actual = facts.metrics.get(metric)
    if actual is None:
        result = facts.evaluation_results.get(metric)
        if result is None:
            return False, f"{metric} is missing"
        return _evaluation_threshold(params, result)
    min_sample_size = params.get("min_sample_size")
    passed, detail = _threshold_outcome(params, actual)
    if min_sample_size is not None:
        return False, (
            f"{detail}, but {metric} has no recorded sample size "
            f"({min_sample_size} required)"
        )
    return passed, detail


def _evaluation_threshold(
    params: Mapping[str, Any], result: EvaluationResultFact
) -> tuple[bool, str]:
    passed, detail = _threshold_outcome(params, result.value)
    min_sample_size = params.get("min_sample_size")
    if min_sample_size is not None and result.sample_size < min_sample_size:
        return False, (
            f"{detail}, but on {plural(result.sample_size, 'sample')}, fewer "
            f"than the {min_sample_size} required (judge {result.judge})"
        )
    return passed, f"{detail} (judge {result.judge}, n = {result.sample_size})"


def _threshold_outcome(params: Mapping[str, Any], actual: float) -> tuple[bool, str]:
    metric = params["metric"]
    op = params["op"]
    limit = params["value"]
    passed = _COMPARISONS[op](actual, limit)
    shown_actual = format_number(actual)
    shown_limit = _format_limit(limit)
    # "0.80 is below the minimum 0.80" would be a lie; show every digit instead.
    if shown_actual == shown_limit and actual != limit:
        shown_actual = format_number(actual, exact=True)
        shown_limit = format_number(limit, exact=True)
    return passed, _METRIC_SENTENCES[op, passed] % (metric, shown_actual, shown_limit)


def count_independent_approvals(
    approver_ids: frozenset[int], creator_id: int | None, submitter_id: int | None
) -> int:
    """Distinct approving reviewers, never counting the creator or submitter."""
    count = len(approver_ids)
    if creator_id is not None and creator_id in approver_ids:
        count -= 1
    if (
        submitter_id is not None
        and submitter_id != creator_id
        and submitter_id in approver_ids
    ):
        count -= 1
    return count


@lru_cache(maxsize=1024)
def _approvals_outcome(
    approvals: int, required: int, not_counted: int
) -> tuple[bool, str]:
    if approvals >= required:
        return (
            True,
            f"{plural(approvals, 'independent approval')}, {required} required",
        )
    detail = f"{approvals} of {required} required independent approvals"
    if not_counted:
        detail += f"; {plural(not_counted, 'self-approval')} not counted"
    return False, detail


MIN_APPROVALS = "min_approvals"


@_rule_kind(MIN_APPROVALS, count={"type": "integer", "minimum": 1})
def _min_approvals(
    params: Mapping[str, Any],
    facts: VersionFacts,
    environment: str | None,
    now: datetime,
) -> tuple[bool, str]:
    approver_ids = facts.approver_ids
    approvals = count_independent_approvals(
        approver_ids, facts.creator_id, facts.submitter_id
    )
    not_counted = len(approver_ids) - approvals
    return _approvals_outcome(approvals, params["count"], not_counted)


@lru_cache(maxsize=1024)
def _model_card_outcome(
    fields: tuple[str, ...], missing: tuple[str, ...]
) -> tuple[bool, str]:
    if missing:
        return False, f"model card is missing or blank: {join_names(missing)}"
    return True, f"model card has {join_names(fields)}"


@_rule_kind(
    "model_card_fields",
    fields={
        "type": "array",
        "items": {"type": "string", "enum": list(MODEL_CARD_FIELDS)},
        "minItems": 1,
    },
)
def _model_card_fields(
    params: Mapping[str, Any],
    facts: VersionFacts,
    environment: str | None,
    now: datetime,
) -> tuple[bool, str]:
    fields = params["fields"]
    card = facts.model_card
    missing = tuple(name for name in fields if not is_filled(card.get(name)))
    return _model_card_outcome(fields, missing)


def _severity_rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, UNKNOWN_SEVERITY_RANK)


def worst_drift_severity(open_drift: Mapping[str, str]) -> str | None:
    """The worst open drift severity over all environments; None when none open."""
    worst = None
    for severity in open_drift.values():
        if worst is None or _severity_rank(severity) > _severity_rank(worst):
            worst = severity
    return worst


@lru_cache(maxsize=1024)
def _drift_outcome(
    worst: str | None, places: tuple[str, ...], limit: str
) -> tuple[bool, str]:
    if worst is None or worst == SEVERITY_OK:
        return True, f"no open drift alert in {join_names(places)}"
    if _severity_rank(worst) <= SEVERITY_RANK[limit]:
        return (
            True,
            f"open {worst} drift in {join_names(places)} is within the limit {limit}",
        )
    return False, f"open {worst} drift in {join_names(places)}; the limit is {limit}"


@_rule_kind(
    "max_drift_severity", severity={"type": "string", "enum": list(SEVERITY_LIMITS)}
)
def _max_drift_severity(
    params: Mapping[str, Any],
    facts: VersionFacts,
    environment: str | None,
    now: datetime,
) -> tuple[bool, str]:
    open_drift = facts.open_drift
    if environment is not None:
        return _drift_outcome(
            open_drift.get(environment), (environment,), params["severity"]
        )
    worst = worst_drift_severity(open_drift)
    if worst is None or worst == SEVERITY_OK:
        places: tuple[str, ...] = ("any environment",)
    else:
        places = tuple(sorted(env for env, sev in open_drift.items() if sev == worst))
    return _drift_outcome(worst, places, params["severity"])


@lru_cache(maxsize=256)
def _days(count: int) -> timedelta:
    return timedelta(days=count)


@lru_cache(maxsize=4096)
def _age_outcome(days: int, limit: int, passed: bool) -> tuple[bool, str]:
    if days == limit and not passed:
        return (
            False,
            f"created more than {plural(days, 'day')} ago; the limit is {limit}",
        )
    if days <= 0:
        return passed, f"created less than a day ago; the limit is {limit}"
    return passed, f"created {plural(days, 'day')} ago; the limit is {limit}"


@_rule_kind("max_age_days", days={"type": "integer", "minimum": 1})
def _max_age_days(
    params: Mapping[str, Any],
    facts: VersionFacts,
    environment: str | None,
    now: datetime,
) -> tuple[bool, str]:
    limit = params["days"]
    age = now - facts.created_at
    return _age_outcome(age.days, limit, age <= _days(limit))


# --- monitoring: performance and fairness reports --------------------------------


def _report_age(report: MonitoredReport, now: datetime) -> timedelta:
    return now - report.window_end


def _stale(
    report: MonitoredReport, what: str, params: Mapping[str, Any], now: datetime
) -> str | None:
    """The sentence of a report older than the rule's max_age_days, or None."""
    limit = params.get("max_age_days")
    if limit is None:
        return None
    age = _report_age(report, now)
    if age <= _days(limit):
        return None
    return (
        f"the latest {what} ended {plural(age.days, 'day')} ago; "
        f"the limit is {plural(limit, 'day')}"
    )


def _reports_of(
    facts: VersionFacts, environment: str | None, kind: str
) -> list[tuple[str, MonitoredReport]]:
    """(environment, report) of the version's latest reports of `kind`: in
    `environment`, or in every environment when it is None."""
    places = [environment] if environment is not None else sorted(facts.monitoring)
    return [
        (place, report)
        for place in places
        for report in facts.monitoring.get(place, ())
        if report.kind == kind
    ]


def _nowhere(what: str, environment: str | None) -> tuple[bool, str]:
    place = "any environment" if environment is None else environment
    return False, f"no {what} in {place}"


def _combine(outcomes: list[tuple[bool, str]]) -> tuple[bool, str]:
    """Every outcome must pass; the failing ones are the sentence, else all."""
    failing = [detail for passed, detail in outcomes if not passed]
    if failing:
        return False, "; ".join(failing)
    return True, "; ".join(detail for _, detail in outcomes)


_MAX_AGE = {"type": "integer", "minimum": 1, "description": "Report age limit."}


@_rule_kind(
    "performance_floor",
    optional=("max_age_days",),
    metric={"type": "string", "enum": list(PERFORMANCE_METRICS)},
    op={"type": "string", "enum": list(OPERATORS)},
    value={"type": "number", "description": "Threshold; a finite number."},
    max_age_days=_MAX_AGE,
)
def _performance_floor(
    params: Mapping[str, Any],
    facts: VersionFacts,
    environment: str | None,
    now: datetime,
) -> tuple[bool, str]:
    reports = _reports_of(facts, environment, PERFORMANCE)
    if not reports:
        return _nowhere("performance report", environment)
    metric, op, limit = params["metric"], params["op"], params["value"]
    outcomes = []
    for place, report in reports:
        stale = _stale(report, f"performance report in {place}", params, now)
        actual = report.values.get(metric)
        if stale is not None:
            outcomes.append((False, stale))
        elif actual is None:
            outcomes.append(
                (
                    False,
                    f"{metric} is undefined in the latest performance report "
                    f"in {place}",
                )
            )
        else:
            passed = _COMPARISONS[op](actual, limit)
            sentence = _METRIC_SENTENCES[op, passed] % (
                metric,
                format_number(actual),
                _format_limit(limit),
            )
            outcomes.append((passed, f"{sentence} in {place}"))
    return _combine(outcomes)


def _fairness_bound(params: Mapping[str, Any]) -> tuple[str, str] | None:
    metric = params["metric"]
    if metric == DISPARATE_IMPACT_RATIO:
        if "min" not in params or "max" in params:
            return (
                "params.min",
                f"{metric} takes min (a floor, e.g. 0.8 for the four-fifths rule).",
            )
    elif "max" not in params or "min" in params:
        return "params.max", f"{metric} takes max (the largest gap allowed)."
    return None


@_rule_kind(
    "fairness_gap",
    optional=("max", "min", "max_age_days"),
    check=_fairness_bound,
    metric={"type": "string", "enum": list(FAIRNESS_RULE_METRICS)},
    max={"type": "number", "description": "Largest gap allowed (differences)."},
    min={"type": "number", "description": "Smallest ratio allowed (ratio)."},
    max_age_days=_MAX_AGE,
)
def _fairness_gap(
    params: Mapping[str, Any],
    facts: VersionFacts,
    environment: str | None,
    now: datetime,
) -> tuple[bool, str]:
    reports = _reports_of(facts, environment, FAIRNESS)
    if not reports:
        return _nowhere("fairness report", environment)
    metric = params["metric"]
    is_floor = "min" in params
    limit = params["min"] if is_floor else params["max"]
    outcomes = []
    for place, report in reports:
        what = f"fairness report by {report.attribute} in {place}"
        stale = _stale(report, what, params, now)
        actual = report.values.get(metric)
        if stale is not None:
            outcomes.append((False, stale))
        elif actual is None:
            outcomes.append((False, f"{metric} is undefined in the latest {what}"))
        else:
            op = ">=" if is_floor else "<="
            passed = _COMPARISONS[op](actual, limit)
            sentence = _METRIC_SENTENCES[op, passed] % (
                metric,
                format_number(actual),
                _format_limit(limit),
            )
            outcomes.append((passed, f"{sentence} by {report.attribute} in {place}"))
    return _combine(outcomes)


RULE_KINDS: tuple[str, ...] = tuple(RULE_REGISTRY)
