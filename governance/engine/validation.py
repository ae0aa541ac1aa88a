"""Rule parameter validation, the parameter schemas, and compiled rules."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from governance.engine.rules import RULE_KINDS, RULE_REGISTRY, RuleEvaluator, RuleKind


class RuleParamsError(ValueError):
    """Rule parameters a rule kind refuses, naming the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _lookup_kind(kind: object) -> RuleKind:
    if not isinstance(kind, str) or kind not in RULE_REGISTRY:
        raise RuleParamsError(
            "kind", f"Unknown rule kind {kind!r}; use one of {', '.join(RULE_KINDS)}."
        )
    return RULE_REGISTRY[kind]


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
    required = schema["required"]
    for key in properties:
        if key not in params:
            if key in required:
                raise RuleParamsError(f"params.{key}", "This parameter is required.")
            continue
        normalised[key] = _validate_value(properties[key], params[key], f"params.{key}")
    check = RULE_REGISTRY[kind].check
    problem = None if check is None else check(normalised)
    if problem is not None:
        raise RuleParamsError(*problem)
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


class CompiledRule(NamedTuple):
    """A rule with validated, frozen parameters and its evaluator, ready to run."""

    position: int
    kind: str
    params: Mapping[str, Any]
    evaluate: RuleEvaluator


def compile_rule(*, position: int, kind: str, params: Any) -> CompiledRule:
    """A stored rule, validated once; an invalid one compiles to a rule that
    fails with the reason."""
    try:
        validated = validate_rule(kind, params)
    except RuleParamsError as error:
        # A stored rule the engine cannot read must block, not crash the gate.
        outcome = (False, f"invalid rule: {error}")

        def evaluate_invalid(*_: object) -> tuple[bool, str]:
            return outcome

        raw = params if isinstance(params, Mapping) else {}
        return CompiledRule(
            position, kind, MappingProxyType(dict(raw)), evaluate_invalid
        )
    frozen = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in validated.items()
    }
    return CompiledRule(
        position, kind, MappingProxyType(frozen), RULE_REGISTRY[kind].evaluate
    )
