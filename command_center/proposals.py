"""The simulation page's form: today's policies laid out as editable fields,
and the submitted fields turned back into the simulation's request
(`upsert` documents for the policies that changed, `remove` for those
dropped). Only what differs from today goes into the proposal."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.http import QueryDict

from command_center.portfolio import RISK_TIERS
from governance.documents import PolicyDocument
from governance.engine import ENFORCEMENTS, RULE_KINDS
from mlgov.exceptions import FieldError


@dataclass(frozen=True)
class RuleField:
    """One rule of a policy on the form."""

    prefix: str
    position: int
    kind: str
    params_json: str
    delete: bool = False


@dataclass(frozen=True)
class PolicyFields:
    """One policy on the form, with the values to show."""

    prefix: str
    name: str
    description: str
    enforcement: str
    risk_tiers: tuple[str, ...]
    environments: tuple[str, ...]
    tags: tuple[str, ...]
    rules: tuple[RuleField, ...]
    remove: bool = False


def _params_json(params: Mapping[str, Any]) -> str:
    return json.dumps(dict(params), sort_keys=True)


def form_policies(documents: Sequence[PolicyDocument]) -> list[PolicyFields]:
    """Today's policies as form fields (prefix p1, p2, … in name order)."""
    return [
        PolicyFields(
            prefix=f"p{index}",
            name=document.name,
            description=document.description,
            enforcement=document.enforcement,
            risk_tiers=tuple(document.risk_tiers),
            environments=tuple(document.environments),
            tags=tuple(document.tags),
            rules=tuple(
                RuleField(
                    prefix=f"p{index}-r{position}",
                    position=position,
                    kind=rule.kind,
                    params_json=_params_json(rule.params),
                )
                for position, rule in enumerate(document.rules, start=1)
            ),
        )
        for index, document in enumerate(documents, start=1)
    ]


def form_with_submitted(
    policies: Sequence[PolicyFields], data: QueryDict | None
) -> list[PolicyFields]:
    """The form's policies showing what was submitted, so a run keeps the edits."""
    if not data:
        return list(policies)
    shown = []
    for fields in policies:
        prefix = fields.prefix
        scoped = f"{prefix}-scope" in data
        shown.append(
            replace(
                fields,
                enforcement=data.get(f"{prefix}-enforcement", fields.enforcement),
                risk_tiers=tuple(data.getlist(f"{prefix}-risk_tiers"))
                if scoped
                else fields.risk_tiers,
                environments=tuple(data.getlist(f"{prefix}-environments"))
                if scoped
                else fields.environments,
                remove=bool(data.get(f"{prefix}-remove")),
                rules=tuple(
                    replace(
                        rule,
                        params_json=data.get(f"{rule.prefix}-params", rule.params_json),
                        delete=bool(data.get(f"{rule.prefix}-delete")),
                    )
                    for rule in fields.rules
                ),
            )
        )
    return shown


def _json_object(text: str, field: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise FieldError(field, f"Not valid JSON: {error.msg}.") from error
    if not isinstance(value, dict):
        raise FieldError(field, 'Parameters are a JSON object, e.g. {"count": 2}.')
    return value


def proposal_from_form(
    documents: Sequence[PolicyDocument],
    data: QueryDict,
    *,
    environments: Sequence[str],
) -> dict[str, list]:
    """The simulation request for the submitted form: `{"upsert", "remove"}`.

    `data` is a QueryDict-like mapping (getlist for the check boxes). Raises
    FieldError naming the form field that cannot be read."""
    upsert: list[dict[str, Any]] = []
    remove: list[str] = []
    new_policy = (data.get("new_rule-policy") or "").strip()
    new_kind = (data.get("new_rule-kind") or "").strip()
    new_params = (data.get("new_rule-params") or "").strip()
    if new_policy or new_params:
        if new_policy not in {document.name for document in documents}:
            raise FieldError("new_rule-policy", "Choose the policy the rule joins.")
        if new_kind not in RULE_KINDS:
            raise FieldError("new_rule-kind", f"Use one of {', '.join(RULE_KINDS)}.")
    for fields in form_policies(documents):
        prefix = fields.prefix
        if data.get(f"{prefix}-remove"):
            remove.append(fields.name)
            continue
        change: dict[str, Any] = {}
        enforcement = data.get(f"{prefix}-enforcement", fields.enforcement)
        if enforcement not in ENFORCEMENTS:
            raise FieldError(
                f"{prefix}-enforcement", f"Use one of {', '.join(ENFORCEMENTS)}."
            )
        if enforcement != fields.enforcement:
            change["enforcement"] = enforcement
        if f"{prefix}-scope" in data:
            tiers = tuple(
                t for t in RISK_TIERS if t in data.getlist(f"{prefix}-risk_tiers")
            )
            places = tuple(
                e for e in environments if e in data.getlist(f"{prefix}-environments")
            )
            if set(tiers) != set(fields.risk_tiers) or set(places) != set(
                fields.environments
            ):
                change["scope"] = {
                    "risk_tiers": list(tiers),
                    "environments": list(places),
                    "tags": list(fields.tags),
                }
        rules = []
        rules_changed = False
        for rule in fields.rules:
            if data.get(f"{rule.prefix}-delete"):
                rules_changed = True
                continue
            text = data.get(f"{rule.prefix}-params", rule.params_json)
            params = _json_object(text, f"{rule.prefix}-params")
            if _params_json(params) != rule.params_json:
                rules_changed = True
            rules.append({"kind": rule.kind, "params": params})
        if new_policy == fields.name:
            params = _json_object(new_params or "{}", "new_rule-params")
            rules.append({"kind": new_kind, "params": params})
            rules_changed = True
        if rules_changed:
            change["rules"] = rules
        if change:
            upsert.append({"name": fields.name, **change})
    return {"upsert": upsert, "remove": remove}
