"""The schema of framework packs and obligations, checked strictly: an unknown
key, evidence kind or parameter, or a missing reference, is refused with an
error naming the obligation and the field."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compliance.engine.evidence import EVIDENCE_KINDS, EVIDENCE_REGISTRY
from registry.constants import AI_ACT_CATEGORIES, RISK_TIERS

FRAMEWORK_ID = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
OBLIGATION_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,49}$")
TEXT_LIMITS = {"reference": 100, "title": 200, "summary": 2000}


class PackError(ValueError):
    """A pack or obligation the schema refuses: `field` is its path
    ("obligations[art-9].evidence[1].params.count"), `message` the reason."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class EvidenceSpec:
    """One evidence requirement: an evidence kind and its parameters."""

    kind: str
    params: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": dict(self.params)}


@dataclass(frozen=True, slots=True)
class AppliesTo:
    """Which models an obligation applies to: those whose EU AI Act category
    is one of `categories` and whose risk tier is one of `tiers` (an empty
    set is no restriction)."""

    categories: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()

    def matches(self, *, category: str, tier: str) -> bool:
        return (not self.categories or category in self.categories) and (
            not self.tiers or tier in self.tiers
        )

    def as_dict(self) -> dict[str, list[str]]:
        return {"categories": list(self.categories), "tiers": list(self.tiers)}


@dataclass(frozen=True, slots=True)
class ObligationSpec:
    """One obligation of a framework, in the project's own words."""

    id: str
    reference: str
    title: str
    summary: str
    applies_to: AppliesTo
    evidence: tuple[EvidenceSpec, ...]
    custom: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reference": self.reference,
            "title": self.title,
            "summary": self.summary,
            "applies_to": self.applies_to.as_dict(),
            "evidence": [item.as_dict() for item in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class FrameworkSpec:
    """A framework pack: its identity, version and obligations."""

    id: str
    title: str
    version: str
    source: str
    obligations: tuple[ObligationSpec, ...]

    def with_obligations(self, extra: tuple[ObligationSpec, ...]) -> FrameworkSpec:
        """The pack with custom obligations after its own."""
        return FrameworkSpec(
            self.id, self.title, self.version, self.source, self.obligations + extra
        )


def _require_mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PackError(field, "Must be a mapping.")
    return value


def _refuse_unknown(
    data: Mapping[str, Any], allowed: tuple[str, ...], field: str
) -> None:
    for key in data:
        if key not in allowed:
            where = f"{field}.{key}" if field else str(key)
            raise PackError(where, f"Unknown key; use {', '.join(allowed)}.")


def _text(data: Mapping[str, Any], key: str, field: str, *, limit: int = 200) -> str:
    where = f"{field}.{key}" if field else key
    if key not in data or data[key] is None:
        raise PackError(where, "This field is required.")
    value = data[key]
    if not isinstance(value, str):
        raise PackError(where, "Must be text (quote numbers such as versions).")
    value = " ".join(value.split())
    if not value:
        raise PackError(where, "Must not be blank.")
    if len(value) > limit:
        raise PackError(where, f"At most {limit} characters.")
    return value


def _choices(value: Any, choices: tuple[str, ...], field: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise PackError(field, "Must be a list.")
    for item in value:
        if item not in choices:
            raise PackError(
                field, f"Unknown value {item!r}; use one of {', '.join(choices)}."
            )
    return tuple(dict.fromkeys(value))


def _param(schema: Mapping[str, Any], value: Any, field: str) -> Any:
    expected = schema["type"]
    if expected == "string":
        if not isinstance(value, str) or not value.strip():
            raise PackError(field, "Must be non-blank text.")
        value = value.strip()
        if "enum" in schema and value not in schema["enum"]:
            raise PackError(
                field,
                f"Unknown value {value!r}; use one of {', '.join(schema['enum'])}.",
            )
        return value
    if expected == "integer":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PackError(field, "Must be a whole number.")
        if isinstance(value, float) and not (
            math.isfinite(value) and value.is_integer()
        ):
            raise PackError(field, "Must be a whole number.")
        value = int(value)
        if value < schema.get("minimum", value):
            raise PackError(field, f"Must be at least {schema['minimum']}.")
        return value
    if expected == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PackError(field, "Must be a number.")
        if not math.isfinite(value):
            raise PackError(field, "Must be a finite number.")
        value = float(value)
        if value < schema.get("minimum", value):
            raise PackError(field, f"Must be at least {schema['minimum']}.")
        if value > schema.get("maximum", value):
            raise PackError(field, f"Must be at most {schema['maximum']}.")
        return value
    if expected == "array":
        if not isinstance(value, list):
            raise PackError(field, "Must be a list.")
        if len(value) < schema.get("minItems", 0):
            raise PackError(field, "Must not be empty.")
        return tuple(
            dict.fromkeys(_param(schema["items"], item, field) for item in value)
        )
    raise AssertionError(f"schema type {expected!r} is not supported")


def validate_evidence(data: Any, field: str) -> EvidenceSpec:
    """One evidence requirement, checked against its kind's parameter schema."""
    data = _require_mapping(data, field)
    _refuse_unknown(data, ("kind", "params"), field)
    kind = data.get("kind")
    if kind not in EVIDENCE_REGISTRY:
        raise PackError(
            f"{field}.kind",
            f"Unknown evidence kind {kind!r}; use one of {', '.join(EVIDENCE_KINDS)}.",
        )
    schema = EVIDENCE_REGISTRY[kind].schema
    params = data.get("params") or {}
    params = _require_mapping(params, f"{field}.params")
    properties = schema["properties"]
    for key in params:
        if key not in properties:
            takes = ", ".join(properties) or "no parameters"
            raise PackError(
                f"{field}.params.{key}", f"Unknown parameter; {kind} takes {takes}."
            )
    normalised = {}
    for key in properties:
        if key not in params:
            if key in schema["required"]:
                raise PackError(f"{field}.params.{key}", "This parameter is required.")
            continue
        normalised[key] = _param(properties[key], params[key], f"{field}.params.{key}")
    return EvidenceSpec(kind, normalised)


OBLIGATION_KEYS = ("id", "reference", "title", "summary", "applies_to", "evidence")


def validate_obligation(
    data: Any, *, field: str = "", custom: bool = False
) -> ObligationSpec:
    """One obligation (a pack's or a governance admin's), checked strictly.
    Errors name the obligation by its id once it is known."""
    data = _require_mapping(data, field or "obligation")
    raw_id = data.get("id")
    if not isinstance(raw_id, str) or not OBLIGATION_ID.match(raw_id):
        raise PackError(
            f"{field}.id" if field else "id",
            "Required: lower-case letters, digits, '.', '_' or '-', at most 50.",
        )
    where = f"{field}[{raw_id}]" if field else ""
    _refuse_unknown(data, OBLIGATION_KEYS, where)
    texts = {
        key: _text(data, key, where, limit=TEXT_LIMITS[key]) for key in TEXT_LIMITS
    }
    applies = data.get("applies_to") or {}
    applies_field = f"{where}.applies_to" if where else "applies_to"
    applies = _require_mapping(applies, applies_field)
    _refuse_unknown(applies, ("categories", "tiers"), applies_field)
    applies_to = AppliesTo(
        categories=_choices(
            applies.get("categories", []),
            AI_ACT_CATEGORIES,
            f"{applies_field}.categories",
        ),
        tiers=_choices(applies.get("tiers", []), RISK_TIERS, f"{applies_field}.tiers"),
    )
    evidence_field = f"{where}.evidence" if where else "evidence"
    evidence = data.get("evidence")
    if not isinstance(evidence, list) or not evidence:
        raise PackError(evidence_field, "Name at least one evidence requirement.")
    return ObligationSpec(
        id=raw_id,
        applies_to=applies_to,
        evidence=tuple(
            validate_evidence(item, f"{evidence_field}[{index}]")
            for index, item in enumerate(evidence)
        ),
        custom=custom,
        **texts,
    )


PACK_KEYS = ("id", "title", "version", "source", "obligations")


def validate_pack(data: Any) -> FrameworkSpec:
    """A whole framework pack: identity, version, and unique obligations."""
    data = _require_mapping(data, "pack")
    _refuse_unknown(data, PACK_KEYS, "")
    pack_id = data.get("id")
    if not isinstance(pack_id, str) or not FRAMEWORK_ID.match(pack_id):
        raise PackError("id", "Required: a lower-case identifier such as eu_ai_act.")
    obligations = data.get("obligations")
    if not isinstance(obligations, list) or not obligations:
        raise PackError("obligations", "A pack lists at least one obligation.")
    specs = tuple(
        validate_obligation(item, field="obligations") for item in obligations
    )
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            raise PackError(f"obligations[{spec.id}].id", "Appears twice in the pack.")
        seen.add(spec.id)
    return FrameworkSpec(
        id=pack_id,
        title=_text(data, "title", ""),
        version=_text(data, "version", "", limit=20),
        source=_text(data, "source", "", limit=300),
        obligations=specs,
    )
