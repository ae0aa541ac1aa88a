"""Policy documents: the portable form of a policy, addressed by its unique
name, used by the API, import/export (policy as code) and the simulation.

    {"name": "production-floor", "description": "…", "enforcement": "enforce",
     "scope": {"risk_tiers": ["high"], "environments": ["production"], "tags": [],
               "model_kinds": ["llm_application"]},
     "rules": [{"kind": "metric_threshold",
                "params": {"metric": "auc", "op": ">=", "value": 0.8}}]}

Parsing is pure: it checks shapes, names and rule parameters and raises
FieldError naming the field ("rules[1].params.op").

A partial document for an existing policy may change single rules instead of
restating the list: `"rules": {"2": {"params": {"value": 0.85}}}` merges the
given parameters into rule 2 (a new `kind` replaces its parameters instead);
positions not named keep their rule."""

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.constants import ENFORCE
from governance.engine import (
    ENFORCEMENTS,
    PolicySpec,
    RuleParamsError,
    RuleSpec,
    validate_rule,
)
from mlgov.exceptions import FieldError
from registry.constants import MODEL_KINDS, RISK_TIERS

DOCUMENT_FIELDS = ("name", "description", "enforcement", "scope", "rules")
SCOPE_FIELDS = ("risk_tiers", "environments", "tags", "model_kinds")
RULE_FIELDS = ("kind", "params")
MAX_RULES = 50
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,100}$")


@dataclass(frozen=True)
class RuleDocument:
    """One rule of a policy document, its parameters already validated."""

    kind: str
    params: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The rule as it appears in a document."""
        return {"kind": self.kind, "params": self.params}


@dataclass(frozen=True)
class PolicyDocument:
    """A validated policy document."""

    name: str
    description: str
    enforcement: str
    risk_tiers: tuple[str, ...]
    environments: tuple[str, ...]
    tags: tuple[str, ...]
    model_kinds: tuple[str, ...]
    rules: tuple[RuleDocument, ...]

    def as_dict(self) -> dict[str, Any]:
        """The document in its JSON form."""
        return {
            "name": self.name,
            "description": self.description,
            "enforcement": self.enforcement,
            "scope": {field: list(getattr(self, field)) for field in SCOPE_FIELDS},
            "rules": [rule.as_dict() for rule in self.rules],
        }

    def to_spec(self, *, revision: int) -> PolicySpec:
        """The engine's view of this document at a given revision."""
        return PolicySpec(
            name=self.name,
            revision=revision,
            enforcement=self.enforcement,
            risk_tiers=frozenset(self.risk_tiers),
            environments=frozenset(self.environments),
            tags=frozenset(self.tags),
            model_kinds=frozenset(self.model_kinds),
            rules=tuple(
                RuleSpec(position=index, kind=rule.kind, params=rule.params)
                for index, rule in enumerate(self.rules, start=1)
            ),
        )


def stored_document(data: Mapping[str, Any]) -> PolicyDocument:
    """A document as a policy revision stored it (validated when it was
    stored), read back as is: scope names are kept even if an environment
    named then is gone now. One stored before scopes named model kinds
    covers every kind."""
    scope = data.get("scope", {})
    return PolicyDocument(
        name=data["name"],
        description=data.get("description", ""),
        enforcement=data.get("enforcement", ENFORCE),
        risk_tiers=tuple(scope.get("risk_tiers", ())),
        environments=tuple(scope.get("environments", ())),
        tags=tuple(scope.get("tags", ())),
        model_kinds=tuple(scope.get("model_kinds", ())),
        rules=tuple(
            RuleDocument(kind=rule["kind"], params=dict(rule.get("params", {})))
            for rule in data.get("rules", ())
        ),
    )


def _require_mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FieldError(field, "Must be an object.")
    return value


def _refuse_unknown(data: Mapping[str, Any], known: Sequence[str], prefix: str) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise FieldError(
            f"{prefix}{unknown[0]}", f"Unknown field; expected {', '.join(known)}."
        )


def _name_list(
    value: object, field: str, allowed: Collection[str] | None
) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise FieldError(field, "Must be a list of names.")
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or not _SLUG.match(item):
            raise FieldError(field, f"{item!r} is not a valid name.")
        if allowed is not None and item not in allowed:
            raise FieldError(
                field, f"Unknown {item!r}; expected one of {', '.join(allowed)}."
            )
        if item not in names:
            names.append(item)
    return tuple(sorted(names))


def merge_rule_changes(
    changes: Mapping[str, object], rules: Sequence[RuleDocument]
) -> list[dict[str, Any]]:
    """The rules list after rule-level changes keyed by 1-based position."""
    merged = [rule.as_dict() for rule in rules]
    for key, change in changes.items():
        position = int(key) if str(key).isdigit() else 0
        if not 1 <= position <= len(merged):
            raise FieldError(
                f"rules.{key}",
                f"No rule {key}; this policy has rules 1 to {len(merged)}. Send "
                "the whole list to add or remove rules.",
            )
        change = _require_mapping(change, f"rules.{key}")
        _refuse_unknown(change, RULE_FIELDS, f"rules.{key}.")
        params = _require_mapping(change.get("params", {}), f"rules.{key}.params")
        current = merged[position - 1]
        if change.get("kind", current["kind"]) != current["kind"]:
            merged[position - 1] = {"kind": change["kind"], "params": dict(params)}
        else:
            current["params"] = {**current["params"], **params}
    return merged


def parse_rules(value: object) -> tuple[RuleDocument, ...]:
    """Validate a list of rules against their kinds' schemas."""
    if not isinstance(value, list):
        raise FieldError("rules", "Must be a list of rules.")
    if len(value) > MAX_RULES:
        raise FieldError("rules", f"At most {MAX_RULES} rules per policy.")
    rules = []
    for index, item in enumerate(value, start=1):
        prefix = f"rules[{index}]"
        rule = _require_mapping(item, prefix)
        _refuse_unknown(rule, RULE_FIELDS, f"{prefix}.")
        if "kind" not in rule:
            raise FieldError(f"{prefix}.kind", "This field is required.")
        try:
            params = validate_rule(rule["kind"], rule.get("params", {}))
        except RuleParamsError as error:
            raise FieldError(f"{prefix}.{error.field}", error.message) from error
        rules.append(RuleDocument(kind=rule["kind"], params=params))
    return tuple(rules)


def parse_policy_document(
    data: object,
    *,
    environments: Collection[str],
    base: PolicyDocument | None = None,
) -> PolicyDocument:
    """Validate a document; with `base`, a partial one updates that policy.

    `environments` are the known environment names a scope may use."""
    data = _require_mapping(data, "non_field_errors")
    _refuse_unknown(data, DOCUMENT_FIELDS, "")
    if base is None:
        for required in ("name", "rules"):
            if required not in data:
                raise FieldError(required, "This field is required.")
    elif "name" in data and data["name"] != base.name:
        raise FieldError("name", "A policy keeps its name; create a new one instead.")

    name = data.get("name", base.name if base else None)
    if not isinstance(name, str) or not _SLUG.match(name):
        raise FieldError("name", "Use letters, digits, '-' or '_' (at most 100).")
    description = data.get("description", base.description if base else "")
    if not isinstance(description, str):
        raise FieldError("description", "Must be a string.")
    enforcement = data.get("enforcement", base.enforcement if base else ENFORCE)
    if enforcement not in ENFORCEMENTS:
        raise FieldError("enforcement", f"Use one of {', '.join(ENFORCEMENTS)}.")

    if "scope" in data:
        scope = _require_mapping(data["scope"], "scope")
        _refuse_unknown(scope, SCOPE_FIELDS, "scope.")
        risk_tiers = _name_list(
            scope.get("risk_tiers", []), "scope.risk_tiers", RISK_TIERS
        )
        scoped_environments = _name_list(
            scope.get("environments", []), "scope.environments", sorted(environments)
        )
        tags = _name_list(scope.get("tags", []), "scope.tags", None)
        model_kinds = _name_list(
            scope.get("model_kinds", []), "scope.model_kinds", MODEL_KINDS
        )
    elif base is not None:
        risk_tiers, scoped_environments, tags, model_kinds = (
            base.risk_tiers,
            base.environments,
            base.tags,
            base.model_kinds,
        )
    else:
        risk_tiers = scoped_environments = tags = model_kinds = ()

    if "rules" not in data:
        # Without a base, "rules" was required above.
        assert base is not None
        rules = base.rules
    elif isinstance(data["rules"], Mapping) and base is not None:
        rules = parse_rules(merge_rule_changes(data["rules"], base.rules))
    else:
        rules = parse_rules(data["rules"])
    return PolicyDocument(
        name=name,
        description=description,
        enforcement=enforcement,
        risk_tiers=risk_tiers,
        environments=scoped_environments,
        tags=tags,
        model_kinds=model_kinds,
        rules=rules,
    )


def parse_policy_documents(
    items: object, *, environments: Collection[str], field: str = "policies"
) -> list[PolicyDocument]:
    """Validate a list of full documents with unique names."""
    if not isinstance(items, list):
        raise FieldError(field, "Must be a list of policy documents.")
    documents: list[PolicyDocument] = []
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        try:
            document = parse_policy_document(item, environments=environments)
        except FieldError as error:
            raise FieldError(
                f"{field}[{index}].{error.field}", error.details[error.field][0]
            ) from error
        if document.name in seen:
            raise FieldError(f"{field}[{index}].name", f"{document.name!r} repeats.")
        seen.add(document.name)
        documents.append(document)
    return documents


@dataclass(frozen=True)
class PolicyChange:
    """How one policy differs between the stored set and a document set."""

    name: str
    action: str  # "add", "change", "remove" or "unchanged"
    fields: tuple[str, ...] = ()
    rules_added: tuple[int, ...] = ()
    rules_changed: tuple[int, ...] = ()
    rules_removed: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The change as the import command and API report it."""
        return {
            "policy": self.name,
            "action": self.action,
            "fields": list(self.fields),
            "rules_added": list(self.rules_added),
            "rules_changed": list(self.rules_changed),
            "rules_removed": list(self.rules_removed),
        }


def diff_policy(old: PolicyDocument | None, new: PolicyDocument | None) -> PolicyChange:
    """What changes when `old` becomes `new` (None: absent)."""
    if old is None and new is not None:
        return PolicyChange(
            new.name, "add", rules_added=tuple(range(1, len(new.rules) + 1))
        )
    if new is None and old is not None:
        return PolicyChange(
            old.name, "remove", rules_removed=tuple(range(1, len(old.rules) + 1))
        )
    assert old is not None and new is not None
    fields = tuple(
        field
        for field in ("description", "enforcement", *SCOPE_FIELDS)
        if getattr(old, field) != getattr(new, field)
    )
    common = min(len(old.rules), len(new.rules))
    changed = tuple(
        index + 1 for index in range(common) if old.rules[index] != new.rules[index]
    )
    added = tuple(range(common + 1, len(new.rules) + 1))
    removed = tuple(range(common + 1, len(old.rules) + 1))
    action = "change" if fields or changed or added or removed else "unchanged"
    return PolicyChange(old.name, action, fields, added, changed, removed)


def diff_policy_sets(
    current: Iterable[PolicyDocument],
    proposed: Iterable[PolicyDocument],
    *,
    prune: bool,
) -> list[PolicyChange]:
    """Changes from the stored set to the proposed one; with `prune`, stored
    policies missing from the proposal are removed."""
    old = {document.name: document for document in current}
    new = {document.name: document for document in proposed}
    names = sorted(set(new) | (set(old) if prune else set()))
    return [diff_policy(old.get(name), new.get(name)) for name in names]
