"""The policy editor's forms: the policy's fields, a required reason, and one
row per rule holding a form for every rule kind, its fields drawn from the
kind's parameter schema. The rows are read back into a policy document and
checked by `governance.documents.parse_policy_document`, the parser the API
uses; its objection is shown on the field it names. Nothing here writes."""

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core import signing
from django.forms.formsets import BaseFormSet, formset_factory

from command_center.portfolio import RISK_TIERS
from command_center.templatetags.command_center import label
from governance.documents import MAX_RULES, PolicyDocument, parse_policy_document
from governance.engine import ENFORCEMENTS, RULE_EXAMPLES, RULE_KINDS, rule_param_schema
from mlgov.exceptions import FieldError
from registry.models import MLModel

REMOVE = "remove"
_SIMULATED_SALT = "command_center.policy-simulated"


def param_field_name(kind: str, param: str) -> str:
    """The form field of one parameter of one rule kind (`min_approvals-count`)."""
    return f"{kind}-{param}"


def _param_field(schema: Mapping[str, Any], param: str) -> forms.Field:
    """A form field for one parameter: its type from the schema; whether it is
    required and its limits are the parser's to say."""
    title = param.replace("_", " ")
    kind = schema["type"]
    if kind == "string" and "enum" in schema:
        return forms.ChoiceField(
            label=title,
            required=False,
            choices=[("", "—"), *((value, value) for value in schema["enum"])],
        )
    if kind == "string":
        return forms.CharField(label=title, required=False)
    if kind == "integer":
        return forms.IntegerField(label=title, required=False)
    if kind == "number":
        return forms.FloatField(
            label=title, required=False, widget=forms.NumberInput(attrs={"step": "any"})
        )
    if kind == "array" and "enum" in schema["items"]:
        return forms.MultipleChoiceField(
            label=title,
            required=False,
            choices=[(value, label(value)) for value in schema["items"]["enum"]],
            widget=forms.CheckboxSelectMultiple,
        )
    if kind == "array":
        return forms.CharField(
            label=title, required=False, help_text="Separate values with commas."
        )
    raise AssertionError(f"schema type {kind!r} has no form field")


def _is_blank(value: object) -> bool:
    return value is None or value == "" or value == []


class RuleRowForm(forms.Form):
    """One rule: its kind, and a form per kind (only the chosen kind's fields
    are read). The last row of the editor is blank, to add a rule."""

    kind = forms.ChoiceField(
        required=False,
        choices=[("", "— choose a kind —"), *((k, label(k)) for k in RULE_KINDS)],
    )
    remove = forms.BooleanField(required=False, label="Remove this rule")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["data-rule-kind"] = ""
        for kind in RULE_KINDS:
            schema = rule_param_schema(kind)
            for param, param_schema in schema["properties"].items():
                self.fields[param_field_name(kind, param)] = _param_field(
                    param_schema, param
                )

    @classmethod
    def initial_for(cls, kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """A stored rule as the row's initial values."""
        initial: dict[str, Any] = {"kind": kind}
        if kind not in RULE_KINDS:
            return initial
        properties = rule_param_schema(kind)["properties"]
        for param, value in params.items():
            if param not in properties:
                continue
            is_free_list = (
                properties[param]["type"] == "array"
                and "enum" not in properties[param]["items"]
            )
            shown = ", ".join(map(str, value)) if is_free_list else value
            initial[param_field_name(kind, param)] = shown
        return initial

    def kind_forms(self) -> list[dict[str, Any]]:
        """Per rule kind: its name, whether it is chosen, its example and its
        bound fields, for the template."""
        chosen = self["kind"].value() or ""
        return [
            {
                "kind": kind,
                "chosen": kind == chosen,
                "example": json.dumps(RULE_EXAMPLES[kind]),
                "fields": [
                    self[param_field_name(kind, param)]
                    for param in rule_param_schema(kind)["properties"]
                ],
            }
            for kind in RULE_KINDS
        ]

    @property
    def is_kept(self) -> bool:
        """A rule the policy keeps: a kind chosen and not removed."""
        return bool(self.cleaned_data.get("kind")) and not self.cleaned_data.get(REMOVE)

    def as_rule(self) -> dict[str, Any]:
        """The rule as a document holds it; blank fields are left out so the
        parser names a missing parameter as missing."""
        kind = self.cleaned_data["kind"]
        schema = rule_param_schema(kind)["properties"]
        params: dict[str, Any] = {}
        for param, param_schema in schema.items():
            value = self.cleaned_data.get(param_field_name(kind, param))
            if param_schema["type"] == "array" and isinstance(value, str):
                value = [item.strip() for item in value.split(",") if item.strip()]
            if not _is_blank(value):
                params[param] = value
        return {"kind": kind, "params": params}


if TYPE_CHECKING:
    _FormSet = BaseFormSet[RuleRowForm]
else:
    # BaseFormSet is generic in django-stubs only, not at run time.
    _FormSet = BaseFormSet


class BaseRuleRowFormSet(_FormSet):
    """The policy's rules in order, then a blank row to add one."""

    def total_form_count(self) -> int:
        # Once the blank row is filled in, another blank row follows, so a
        # second rule can be added after the simulation is drawn again.
        count = super().total_form_count()
        last_kind = f"{self.prefix}-{count - 1}-kind"
        last_is_used = self.is_bound and bool(self.data.get(last_kind))
        return count + 1 if last_is_used and count < self.absolute_max else count

    def kept_forms(self) -> list[RuleRowForm]:
        """The rows the policy keeps, in order: rule n of the document is the
        n-th of these."""
        return [form for form in self.forms if form.is_kept]


RuleRowFormSet = cast(
    type[BaseRuleRowFormSet],
    formset_factory(
        RuleRowForm,
        formset=BaseRuleRowFormSet,
        extra=1,
        # The parser refuses more than MAX_RULES rules, naming the field.
        max_num=MAX_RULES + 1,
        absolute_max=MAX_RULES + 1,
    ),
)


class PolicyEditForm(forms.Form):
    """A policy's fields, the reason for the change and the revision the edit
    starts from; for a new policy, its name too."""

    name = forms.SlugField(
        max_length=100,
        help_text="Letters, digits, '-' or '_'; a policy keeps its name.",
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    enforcement = forms.ChoiceField(choices=[(value, value) for value in ENFORCEMENTS])
    risk_tiers = forms.MultipleChoiceField(
        required=False,
        choices=[(tier, tier) for tier in RISK_TIERS],
        widget=forms.CheckboxSelectMultiple,
    )
    environments = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )
    model_kinds = forms.MultipleChoiceField(
        required=False,
        choices=MLModel.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    # Required by the saving service, which names it; a simulation needs none.
    reason = forms.CharField(
        required=False,
        strip=True,
        label="Reason for the change",
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "e.g. Auditors asked for AUC ≥ 0.85"}
        ),
    )
    revision = forms.IntegerField(required=False, widget=forms.HiddenInput)
    simulated = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        document: PolicyDocument | None,
        revision: int | None,
        environments: Sequence[str],
        tags: Sequence[str],
    ) -> None:
        initial: dict[str, Any] = {"enforcement": ENFORCEMENTS[0]}
        if document is not None:
            initial = {
                "name": document.name,
                "description": document.description,
                "enforcement": document.enforcement,
                "risk_tiers": list(document.risk_tiers),
                "environments": list(document.environments),
                "tags": list(document.tags),
                "model_kinds": list(document.model_kinds),
                "revision": revision,
            }
        super().__init__(data, initial=initial)
        self.document = document
        cast(forms.MultipleChoiceField, self.fields["environments"]).choices = [
            (name, name) for name in environments
        ]
        # A tag no model carries any more stays pickable while the policy names it.
        known = sorted({*tags, *(document.tags if document else ())})
        cast(forms.MultipleChoiceField, self.fields["tags"]).choices = [
            (name, name) for name in known
        ]
        if document is not None:
            self.fields["name"].disabled = True
        self.environment_names = tuple(environments)
        rules = document.rules if document is not None else ()
        self.rules = RuleRowFormSet(
            data,
            prefix="rules",
            initial=[RuleRowForm.initial_for(rule.kind, rule.params) for rule in rules],
        )

    @property
    def is_new(self) -> bool:
        """Whether the form creates a policy."""
        return self.document is None

    def is_valid(self) -> bool:
        results = [super().is_valid(), self.rules.is_valid()]
        return all(results)

    def proposed(self) -> PolicyDocument:
        """The policy as the form would have it, checked by the API's parser;
        its objection is added to the field it names and raised again."""
        cleaned = self.cleaned_data
        data = {
            "name": cleaned["name"],
            "description": cleaned["description"],
            "enforcement": cleaned["enforcement"],
            "scope": {
                "risk_tiers": cleaned["risk_tiers"],
                "environments": cleaned["environments"],
                "tags": cleaned["tags"],
                "model_kinds": cleaned["model_kinds"],
            },
            "rules": [form.as_rule() for form in self.rules.kept_forms()],
        }
        try:
            return parse_policy_document(data, environments=self.environment_names)
        except FieldError as error:
            self.show_error(error)
            raise

    def show_error(self, error: FieldError) -> None:
        """Put a refusal next to the field it names (`rules[2].params.value`
        on rule 2's value), else above the form."""
        message = error.details[error.field][0]
        field = error.field
        if field.startswith("rules["):
            position, _, rest = field[len("rules[") :].partition("]")
            kept = self.rules.kept_forms()
            if position.isdigit() and 1 <= int(position) <= len(kept):
                row = kept[int(position) - 1]
                param = rest.removeprefix(".params.")
                target = param_field_name(row.cleaned_data["kind"], param)
                row.add_error(target if target in row.fields else None, message)
                return
        top = field.split(".")[0]
        self.add_error(top if top in self.fields else None, message)

    def simulated_token(self, document: PolicyDocument) -> str:
        """What the Save button carries: proof that this very proposal, from
        this revision, was simulated."""
        return signing.dumps(
            {"proposal": _digest(document), "revision": self.cleaned_data["revision"]},
            salt=_SIMULATED_SALT,
        )

    def was_simulated(self, document: PolicyDocument) -> bool:
        """Whether the posted token vouches for a simulation of exactly this
        proposal from the same revision."""
        try:
            token = signing.loads(self.cleaned_data["simulated"], salt=_SIMULATED_SALT)
        except signing.BadSignature:
            return False
        return token == {
            "proposal": _digest(document),
            "revision": self.cleaned_data["revision"],
        }


def _digest(document: PolicyDocument) -> str:
    text = json.dumps(document.as_dict(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
