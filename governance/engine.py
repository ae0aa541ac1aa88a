"""Policy evaluation engine: pure functions from plain values to verdicts.

Version submission, the deployment gate, reports and the what-if simulation all
call `evaluate`, so they can never disagree. Nothing here touches Django, the
database or the clock: callers pass `now`. Specs are immutable values; each
policy caches its validated rules on first use, so do not mutate their params.
"""

from __future__ import annotations

import copy
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

__all__ = [
    "DRIFT_SEVERITIES",
    "ENFORCEMENTS",
    "MODEL_CARD_FIELDS",
    "OPERATORS",
    "RULE_KINDS",
    "PolicySet",
    "PolicySpec",
    "RuleKind",
    "RuleParamsError",
    "RuleResult",
    "RuleSpec",
    "Verdict",
    "VersionFacts",
    "WaiverSpec",
    "count_independent_approvals",
    "evaluate",
    "format_number",
    "policy_applies",
    "readiness_score",
    "rule_param_schema",
    "validate_rule",
    "worst_drift_severity",
]

MODEL_CARD_FIELDS: tuple[str, ...] = (
    "intended_use",
    "limitations",
    "training_data",
    "evaluation_data",
    "ethical_considerations",
    "caveats",
)
ENFORCEMENTS: tuple[str, ...] = ("enforce", "advisory", "disabled")
OPERATORS: tuple[str, ...] = (">=", ">", "<=", "<")
DRIFT_SEVERITIES: tuple[str, ...] = ("ok", "warning", "critical")

_SEVERITY_RANK = {"ok": 0, "warning": 1, "critical": 2}
# A severity the engine does not know ranks above critical, so a new or
# misspelt severity can only block a version, never let one through.
_UNKNOWN_SEVERITY_RANK = 3
_DRIFT_HEALTH = {"ok": 1.0, "warning": 0.5, "critical": 0.0}


# --- sentences ------------------------------------------------------------------


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


def _join(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _is_filled(text: object) -> bool:
    return isinstance(text, str) and bool(text) and not text.isspace()


# --- facts, policies, waivers ---------------------------------------------------


@dataclass(frozen=True)
class VersionFacts:
    """Everything the rules may look at about one model version."""

    version_id: int
    model: str
    version: int
    risk_tier: str
    tags: frozenset[str]
    metrics: Mapping[str, float]
    model_card: Mapping[str, str]
    approver_ids: frozenset[int]
    creator_id: int | None
    submitter_id: int | None
    created_at: datetime
    open_drift: Mapping[str, str]


@dataclass(frozen=True)
class RuleSpec:
    """One rule of a policy as stored: its position, kind and parameters."""

    position: int
    kind: str
    params: Mapping[str, Any]

    @cached_property
    def _compiled(self) -> _CompiledRule:
        return _compile_rule(self)


@dataclass(frozen=True)
class PolicySpec:
    """A policy revision: enforcement, scope (empty means all) and its rules."""

    name: str
    revision: int
    enforcement: str
    risk_tiers: frozenset[str]
    environments: frozenset[str]
    tags: frozenset[str]
    rules: tuple[RuleSpec, ...]

    def __post_init__(self) -> None:
        if self.enforcement not in ENFORCEMENTS:
            raise ValueError(
                f"Unknown enforcement {self.enforcement!r}; "
                f"use one of {', '.join(ENFORCEMENTS)}."
            )

    @cached_property
    def _compiled_rules(self) -> tuple[_CompiledRule, ...]:
        ordered = sorted(self.rules, key=operator.attrgetter("position"))
        return tuple(rule._compiled for rule in ordered)


@dataclass(frozen=True)
class WaiverSpec:
    """A time-bound exception to one rule of one policy for one version."""

    policy: str
    rule_position: int
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        """Whether the waiver applies at `now`: before expiry and not revoked."""
        if now >= self.expires_at:
            return False
        return self.revoked_at is None or now < self.revoked_at


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


_REGISTRY: dict[str, RuleKind] = {}


def _rule_kind(
    name: str, **properties: dict[str, Any]
) -> Callable[[RuleEvaluator], RuleEvaluator]:
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }

    def register(evaluate: RuleEvaluator) -> RuleEvaluator:
        _REGISTRY[name] = RuleKind(name=name, evaluate=evaluate, schema=schema)
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
        return False, f"{metric} is missing"
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
            f"{_plural(approvals, 'independent approval')}, {required} required",
        )
    detail = f"{approvals} of {required} required independent approvals"
    if not_counted:
        detail += f"; {_plural(not_counted, 'self-approval')} not counted"
    return False, detail


@_rule_kind("min_approvals", count={"type": "integer", "minimum": 1})
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
        return False, f"model card is missing or blank: {_join(missing)}"
    return True, f"model card has {_join(fields)}"


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
    missing = tuple(name for name in fields if not _is_filled(card.get(name)))
    return _model_card_outcome(fields, missing)


def _severity_rank(severity: str) -> int:
    return _SEVERITY_RANK.get(severity, _UNKNOWN_SEVERITY_RANK)


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
    if worst is None or worst == "ok":
        return True, f"no open drift alert in {_join(places)}"
    if _severity_rank(worst) <= _SEVERITY_RANK[limit]:
        return (
            True,
            f"open {worst} drift in {_join(places)} is within the limit {limit}",
        )
    return False, f"open {worst} drift in {_join(places)}; the limit is {limit}"


@_rule_kind(
    "max_drift_severity", severity={"type": "string", "enum": ["ok", "warning"]}
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
    if worst is None or worst == "ok":
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
            f"created more than {_plural(days, 'day')} ago; the limit is {limit}",
        )
    if days <= 0:
        return passed, f"created less than a day ago; the limit is {limit}"
    return passed, f"created {_plural(days, 'day')} ago; the limit is {limit}"


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


RULE_KINDS: tuple[str, ...] = tuple(_REGISTRY)


# --- parameter validation -------------------------------------------------------


class RuleParamsError(ValueError):
    """Rule parameters a rule kind refuses, naming the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _lookup_kind(kind: object) -> RuleKind:
    if not isinstance(kind, str) or kind not in _REGISTRY:
        raise RuleParamsError(
            "kind", f"Unknown rule kind {kind!r}; use one of {', '.join(RULE_KINDS)}."
        )
    return _REGISTRY[kind]


def rule_param_schema(kind: str) -> dict[str, Any]:
    """The JSON schema of a rule kind's parameters, for API documentation."""
    return copy.deepcopy(dict(_lookup_kind(kind).schema))


def validate_rule(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check a rule's parameters against its kind; return them normalised."""
    schema = _lookup_kind(kind).schema
    if not isinstance(params, Mapping):
        raise RuleParamsError("params", "Must be an object.")
    properties = schema["properties"]
    for key in params:
        if key not in properties:
            raise RuleParamsError(
                f"params.{key}",
                f"Unknown parameter; {kind} takes {', '.join(properties)}.",
            )
    normalised = {}
    for key in schema["required"]:
        if key not in params:
            raise RuleParamsError(f"params.{key}", "This parameter is required.")
        normalised[key] = _validate_value(properties[key], params[key], f"params.{key}")
    return normalised


def _validate_value(schema: Mapping[str, Any], value: Any, field: str) -> Any:
    expected = schema["type"]
    if expected == "string":
        if not isinstance(value, str):
            raise RuleParamsError(field, "Must be a string.")
        value = value.strip()
        if len(value) < schema.get("minLength", 0):
            raise RuleParamsError(field, "Must not be blank.")
        if "enum" in schema and value not in schema["enum"]:
            choices = ", ".join(schema["enum"])
            raise RuleParamsError(
                field, f"Unknown value {value!r}; use one of {choices}."
            )
        return value
    if expected in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RuleParamsError(field, "Must be a number.")
        try:
            is_finite = math.isfinite(value)
        except OverflowError:
            is_finite = False
        if not is_finite:
            raise RuleParamsError(field, "Must be a finite number.")
        if expected == "integer":
            if isinstance(value, float) and not value.is_integer():
                raise RuleParamsError(field, "Must be a whole number.")
            value = int(value)
        else:
            value = float(value)
        if "minimum" in schema and value < schema["minimum"]:
            raise RuleParamsError(field, f"Must be at least {schema['minimum']}.")
        return value
    if expected == "array":
        if not isinstance(value, list | tuple):
            raise RuleParamsError(field, "Must be a list.")
        if len(value) < schema.get("minItems", 0):
            raise RuleParamsError(field, "Must not be empty.")
        items = [_validate_value(schema["items"], item, field) for item in value]
        return list(dict.fromkeys(items))
    raise AssertionError(f"schema type {expected!r} is not supported")


# --- evaluation -----------------------------------------------------------------


class _CompiledRule(NamedTuple):
    position: int
    kind: str
    params: Mapping[str, Any]
    evaluate: RuleEvaluator


def _compile_rule(rule: RuleSpec) -> _CompiledRule:
    try:
        params = validate_rule(rule.kind, rule.params)
    except RuleParamsError as error:
        # A stored rule the engine cannot read must block, not crash the gate.
        outcome = (False, f"invalid rule: {error}")

        def evaluate_invalid(*_: object) -> tuple[bool, str]:
            return outcome

        raw = rule.params if isinstance(rule.params, Mapping) else {}
        return _CompiledRule(
            rule.position, rule.kind, MappingProxyType(dict(raw)), evaluate_invalid
        )
    frozen = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in params.items()
    }
    return _CompiledRule(
        rule.position,
        rule.kind,
        MappingProxyType(frozen),
        _REGISTRY[rule.kind].evaluate,
    )


# A NamedTuple rather than a frozen dataclass: a simulation builds millions of
# these, and a frozen dataclass's __init__ costs three times as much.
class RuleResult(NamedTuple):
    """The outcome of one rule for one version, as stored and shown."""

    policy: str
    revision: int
    rule: int
    kind: str
    params: Mapping[str, Any]
    passed: bool
    waived: bool
    enforcement: str
    detail: str

    @property
    def is_blocking(self) -> bool:
        """Whether this result fails the verdict: enforced, failing, not waived."""
        return not self.passed and not self.waived and self.enforcement == "enforce"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dict with DESIGN's field names."""
        return {
            "policy": self.policy,
            "revision": self.revision,
            "rule": self.rule,
            "kind": self.kind,
            "params": {
                key: list(value) if isinstance(value, list | tuple) else value
                for key, value in self.params.items()
            },
            "passed": self.passed,
            "waived": self.waived,
            "enforcement": self.enforcement,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleResult:
        """Read back a result stored with `as_dict`."""
        return cls(**{name: data[name] for name in cls._fields})


@dataclass(frozen=True, slots=True)
class Verdict:
    """Every rule result of an evaluation and whether the version passes."""

    passed: bool
    results: tuple[RuleResult, ...]

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        """Enforced rules that fail and are not waived."""
        return tuple(result for result in self.results if result.is_blocking)

    @property
    def warnings(self) -> tuple[RuleResult, ...]:
        """Advisory rules that fail and are not waived."""
        return tuple(
            result
            for result in self.results
            if not result.passed
            and not result.waived
            and result.enforcement == "advisory"
        )

    @property
    def reasons(self) -> tuple[str, ...]:
        """The detail sentences of the failures, in evaluation order."""
        return tuple(result.detail for result in self.results if result.is_blocking)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dict with DESIGN's field names."""
        return {
            "passed": self.passed,
            "results": [result.as_dict() for result in self.results],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        """Read back a verdict stored with `as_dict`."""
        results = tuple(RuleResult.from_dict(item) for item in data["results"])
        return cls(passed=data["passed"], results=results)


def policy_applies(
    policy: PolicySpec, facts: VersionFacts, *, environment: str | None
) -> bool:
    """Whether a policy is enabled and its scope covers this version and environment."""
    if policy.enforcement == "disabled":
        return False
    if policy.risk_tiers and facts.risk_tier not in policy.risk_tiers:
        return False
    if policy.environments and (
        environment is None or environment not in policy.environments
    ):
        return False
    return not policy.tags or not policy.tags.isdisjoint(facts.tags)


_by_name = operator.attrgetter("name")
# The NamedTuple constructor is a Python-level wrapper around this.
_new_result = tuple.__new__


class PolicySet:
    """Policies prepared once for many evaluations: the enabled ones, by name."""

    def __init__(self, policies: Iterable[PolicySpec]) -> None:
        enabled = (p for p in policies if p.enforcement != "disabled")
        self.policies: tuple[PolicySpec, ...] = tuple(sorted(enabled, key=_by_name))
        # Scope depends only on these three values, and a portfolio has few
        # distinct combinations of them, so a simulation decides each once.
        self._applicable: dict[
            tuple[str, frozenset[str], str | None], tuple[PolicySpec, ...]
        ] = {}

    def applicable(
        self, facts: VersionFacts, *, environment: str | None
    ) -> tuple[PolicySpec, ...]:
        """The policies whose scope covers this version and environment, by name."""
        key = (facts.risk_tier, facts.tags, environment)
        found = self._applicable.get(key)
        if found is None:
            found = tuple(
                policy
                for policy in self.policies
                if policy_applies(policy, facts, environment=environment)
            )
            self._applicable[key] = found
        return found


def evaluate(
    facts: VersionFacts,
    policies: PolicySet | Iterable[PolicySpec],
    *,
    environment: str | None,
    now: datetime,
    waivers: Sequence[WaiverSpec] = (),
) -> Verdict:
    """Evaluate a version in an environment; None evaluates the approval policies."""
    if not isinstance(policies, PolicySet):
        policies = PolicySet(policies)
    waived_rules = {
        (waiver.policy, waiver.rule_position)
        for waiver in waivers
        if waiver.is_active(now)
    }
    results: list[RuleResult] = []
    passed = True
    for policy in policies.applicable(facts, environment=environment):
        name = policy.name
        revision = policy.revision
        enforcement = policy.enforcement
        is_enforced = enforcement == "enforce"
        for position, kind, params, evaluate_rule in policy._compiled_rules:
            rule_passed, detail = evaluate_rule(params, facts, environment, now)
            waived = False
            if not rule_passed:
                if waived_rules and (name, position) in waived_rules:
                    waived = True
                elif is_enforced:
                    passed = False
            results.append(
                _new_result(
                    RuleResult,
                    (
                        name,
                        revision,
                        position,
                        kind,
                        params,
                        rule_passed,
                        waived,
                        enforcement,
                        detail,
                    ),
                )
            )
    return Verdict(passed, tuple(results))


# --- readiness ------------------------------------------------------------------


def readiness_score(
    *,
    verdict: Verdict,
    approvals_required: int,
    independent_approvals: int,
    model_card: Mapping[str, str],
    worst_open_drift: str | None,
) -> float:
    """A 0-100 readiness score: rules 40, approvals 20, model card 15, drift 25."""
    enforced = [r for r in verdict.results if r.enforcement == "enforce"]
    if enforced:
        rules_share = sum(r.passed or r.waived for r in enforced) / len(enforced)
    else:
        rules_share = 1.0
    if approvals_required > 0:
        approvals_share = min(max(independent_approvals, 0) / approvals_required, 1.0)
    else:
        approvals_share = 1.0
    filled = sum(_is_filled(model_card.get(name)) for name in MODEL_CARD_FIELDS)
    card_share = filled / len(MODEL_CARD_FIELDS)
    if worst_open_drift is None:
        drift_health = 1.0
    else:
        drift_health = _DRIFT_HEALTH.get(worst_open_drift, 0.0)
    score = (
        40 * rules_share + 20 * approvals_share + 15 * card_share + 25 * drift_health
    )
    return round(score, 1)
