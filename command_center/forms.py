"""The simulation page's forms: today's policies laid out as editable fields
(one form per policy, a formset of its rules) and a new scoped policy, read
back into the simulation's request, `upsert` for the policies that change or
are added and `remove` for those dropped. Only what differs from today goes
into the proposal.

Rule parameters are checked by the engine's `validate_rule`, the function
the API and the admin call, so the page refuses exactly what they refuse.
Nothing here runs a simulation or touches a policy."""

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME, BaseFormSet, formset_factory

from command_center.portfolio import RISK_TIERS
from command_center.templatetags.command_center import label
from governance.documents import MAX_RULES, PolicyDocument, RuleDocument
from governance.engine import (
    ENFORCEMENTS,
    RULE_EXAMPLES,
    RULE_KINDS,
    RuleParamsError,
    validate_rule,
)
from mlgov.exceptions import FieldError
from registry.models import MLModel


def params_json(params: object) -> str:
    """A rule's parameters as the text field shows them."""
    return json.dumps(params, sort_keys=True)


class RuleForm(forms.Form):
    """One rule of a policy: today's (its kind fixed) or one to add."""

    kind = forms.ChoiceField(
        choices=[("", "—"), *((kind, label(kind)) for kind in RULE_KINDS)],
        error_messages={
            "required": "Choose the kind of rule to add.",
            "invalid_choice": "Unknown rule kind %(value)s; choose one from the list.",
        },
    )
    params = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"placeholder": '{"count": 2}'}),
    )

    def __init__(self, *args: Any, today: RuleDocument | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.today = today
        if today is not None:
            # Today's rule keeps its kind: a posted kind is ignored, not trusted,
            # and a stored kind the engine no longer knows is the engine's to
            # refuse, only if the rule is proposed.
            self.fields["kind"] = forms.CharField(disabled=True)
        else:
            params = self.fields["params"].widget.attrs
            params["aria-label"] = "Parameters of the rule to add (JSON)"
            # The chosen kind's example as the placeholder: set here for the
            # page as drawn, and by rules.js when another kind is chosen.
            self.fields["kind"].widget.attrs.update(
                {
                    "data-examples": json.dumps(
                        {kind: params_json(RULE_EXAMPLES[kind]) for kind in RULE_KINDS}
                    ),
                    "data-params-input": self["params"].auto_id,
                }
            )
            chosen = self["kind"].value()
            if chosen in RULE_EXAMPLES:
                params["placeholder"] = params_json(RULE_EXAMPLES[chosen])

    def clean_params(self) -> dict[str, Any]:
        text = self.cleaned_data["params"] or "{}"
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValidationError(f"Not valid JSON: {error.msg}.") from error
        if not isinstance(value, dict):
            raise ValidationError('Parameters are a JSON object, e.g. {"count": 2}.')
        return value

    @property
    def is_new(self) -> bool:
        """A rule the proposal adds (an extra row someone filled in)."""
        return self.today is None and self.has_changed()

    @property
    def is_edited(self) -> bool:
        """Today's rule with other parameters (compared as JSON, not as text)."""
        return (
            self.today is not None and self.cleaned_data["params"] != self.today.params
        )

    def check_with_engine(self) -> None:
        """Attach the engine's objection to this rule's parameters, if any."""
        try:
            validate_rule(self.cleaned_data["kind"], self.cleaned_data["params"])
        except RuleParamsError as error:
            field = "kind" if error.field == "kind" else "params"
            self.add_error(field, f"{error.field}: {error.message}")

    @property
    def is_removed(self) -> bool:
        """Today's rule with its remove box ticked."""
        return bool(self.cleaned_data.get(DELETION_FIELD_NAME))

    def as_rule(self) -> dict[str, Any]:
        """The rule as the proposal sends it."""
        return {
            "kind": self.cleaned_data["kind"],
            "params": self.cleaned_data["params"],
        }


if TYPE_CHECKING:
    _FormSet = BaseFormSet[RuleForm]
else:
    # BaseFormSet is generic in django-stubs only, not at run time.
    _FormSet = BaseFormSet


class BaseRuleFormSet(_FormSet):
    """A policy's rules: today's first, in order, then one row to add a rule."""

    def __init__(
        self, data: Any = None, *, rules: Sequence[RuleDocument], prefix: str
    ) -> None:
        self.today = tuple(rules)
        super().__init__(
            data,
            prefix=prefix,
            initial=[
                {"kind": rule.kind, "params": params_json(rule.params)}
                for rule in self.today
            ],
        )

    def initial_form_count(self) -> int:
        # Today's rules are counted by the server; a posted INITIAL_FORMS could
        # otherwise turn one of them into an optional extra row.
        return len(self.today)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        today = (
            self.today[index] if index is not None and index < len(self.today) else None
        )
        return {**super().get_form_kwargs(index), "today": today}

    def kept_forms(self) -> list[RuleForm]:
        """The rules the proposal keeps: today's not removed, then new ones."""
        return [
            form
            for form in self.forms
            if not form.is_removed and (form.today is not None or form.is_new)
        ]

    def has_rule_changes(self) -> bool:
        """Whether the rules list differs from today's (valid formset only)."""
        return any(
            form.is_removed or form.is_edited or form.is_new for form in self.forms
        )

    def proposed_rules(self) -> list[dict[str, Any]]:
        """The policy's rules under the proposal."""
        return [form.as_rule() for form in self.kept_forms()]

    def clean(self) -> None:
        if not self.management_form.is_valid() or any(self.errors):
            return
        if self.total_form_count() < len(self.today):
            raise ValidationError(
                "Some of this policy's rules did not arrive; reload the page."
            )
        # A changed list goes to the engine whole, so every rule in it is
        # checked, an untouched one too; an unchanged list is not proposed.
        if self.has_rule_changes():
            for form in self.kept_forms():
                form.check_with_engine()


RuleFormSet = cast(
    type[BaseRuleFormSet],
    formset_factory(
        RuleForm,
        formset=BaseRuleFormSet,
        extra=1,
        can_delete=True,
        can_delete_extra=False,
        max_num=MAX_RULES,
        absolute_max=MAX_RULES,
        validate_max=True,
    ),
)


class PolicyChangeForm(forms.Form):
    """One of today's policies, as the proposal would change it."""

    name = forms.CharField(widget=forms.HiddenInput)
    enforcement = forms.ChoiceField(choices=[(value, value) for value in ENFORCEMENTS])
    risk_tiers = forms.MultipleChoiceField(
        choices=[(tier, tier) for tier in RISK_TIERS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    environments = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )
    model_kinds = forms.MultipleChoiceField(
        choices=MLModel.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    remove = forms.BooleanField(required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        document: PolicyDocument,
        environments: Sequence[str],
        prefix: str,
    ) -> None:
        super().__init__(
            data,
            prefix=prefix,
            initial={
                "name": document.name,
                "enforcement": document.enforcement,
                "risk_tiers": list(document.risk_tiers),
                "environments": list(document.environments),
                "model_kinds": list(document.model_kinds),
            },
        )
        self.document = document
        self.environment_names = tuple(environments)
        field = cast(forms.MultipleChoiceField, self.fields["environments"])
        field.choices = [(name, name) for name in environments]
        self.rules = RuleFormSet(data, rules=document.rules, prefix=f"{prefix}-rules")

    def clean_name(self) -> str:
        # Forms are matched to policies by position; a policy added or removed
        # since the page was drawn would shift every edit onto its neighbour.
        name = self.cleaned_data["name"]
        if name != self.document.name:
            raise ValidationError(
                "The policies changed since this page was drawn; reload it."
            )
        return name

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid and self.cleaned_data["remove"]:
            return True
        return self.rules.is_valid() and valid

    def change(self) -> dict[str, Any] | None:
        """The policy's entry in `upsert`, or None when nothing changes."""
        document, cleaned = self.document, self.cleaned_data
        change: dict[str, Any] = {}
        if cleaned["enforcement"] != document.enforcement:
            change["enforcement"] = cleaned["enforcement"]
        tiers = [tier for tier in RISK_TIERS if tier in cleaned["risk_tiers"]]
        places = [
            name for name in self.environment_names if name in cleaned["environments"]
        ]
        kinds = [kind for kind in MLModel.Kind.values if kind in cleaned["model_kinds"]]
        if (
            set(tiers) != set(document.risk_tiers)
            or set(places) != set(document.environments)
            or set(kinds) != set(document.model_kinds)
        ):
            change["scope"] = {
                "risk_tiers": tiers,
                "environments": places,
                "tags": list(document.tags),
                "model_kinds": kinds,
            }
        if self.rules.has_rule_changes():
            change["rules"] = self.rules.proposed_rules()
        return {"name": document.name, **change} if change else None


class NewPolicyForm(forms.Form):
    """A scoped policy the proposal adds; left without a name, none is."""

    name = forms.SlugField(
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "e.g. high-risk-floor"}),
    )
    enforcement = forms.ChoiceField(choices=[(value, value) for value in ENFORCEMENTS])
    risk_tiers = forms.MultipleChoiceField(
        choices=[(tier, tier) for tier in RISK_TIERS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    environments = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )
    model_kinds = forms.MultipleChoiceField(
        choices=MLModel.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        data: Any = None,
        *,
        taken: Sequence[str],
        environments: Sequence[str],
        tags: Sequence[str],
    ) -> None:
        super().__init__(data, prefix="new", initial={"enforcement": ENFORCEMENTS[0]})
        self.taken = frozenset(taken)
        cast(forms.MultipleChoiceField, self.fields["environments"]).choices = [
            (name, name) for name in environments
        ]
        cast(forms.MultipleChoiceField, self.fields["tags"]).choices = [
            (name, name) for name in tags
        ]
        self.rules = RuleFormSet(data, rules=(), prefix="new-rules")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name in self.taken:
            raise ValidationError(
                f"A policy named {name!r} exists; propose changes to it above."
            )
        return name

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid and not self.cleaned_data["name"]:
            return True
        return self.rules.is_valid() and valid

    def document(self) -> dict[str, Any] | None:
        """The new policy's document for `upsert`, or None when unnamed."""
        cleaned = self.cleaned_data
        if not cleaned["name"]:
            return None
        return {
            "name": cleaned["name"],
            "enforcement": cleaned["enforcement"],
            "scope": {
                "risk_tiers": [t for t in RISK_TIERS if t in cleaned["risk_tiers"]],
                "environments": cleaned["environments"],
                "tags": cleaned["tags"],
                "model_kinds": cleaned["model_kinds"],
            },
            "rules": self.rules.proposed_rules(),
        }


class RunForm(forms.Form):
    """What to do with the proposal: run it, or run and save it by a name."""

    action = forms.ChoiceField(
        choices=[("run", "Run simulation"), ("save", "Run and save")], required=False
    )
    # The name's rules (not blank, at most 200) are the saving service's.
    name = forms.CharField(
        required=False,
        strip=False,
        widget=forms.TextInput(
            attrs={
                "id": "simulation-name",
                "maxlength": 200,
                "placeholder": "e.g. AUC floor 0.80",
            }
        ),
    )

    @property
    def is_save(self) -> bool:
        """Whether the run is to be saved."""
        return self.cleaned_data.get("action") == "save"


class SimulationForm:
    """Every policy's form and the run's; valid only when all of them are."""

    def __init__(
        self,
        data: Any = None,
        *,
        documents: Sequence[PolicyDocument],
        environments: Sequence[str],
        tags: Sequence[str] = (),
    ) -> None:
        self.new_policy = NewPolicyForm(
            data,
            taken=[document.name for document in documents],
            environments=environments,
            tags=tags,
        )
        self.policies = [
            PolicyChangeForm(
                data, document=document, environments=environments, prefix=f"p{index}"
            )
            for index, document in enumerate(documents, start=1)
        ]
        self.run = RunForm(data)

    def is_valid(self) -> bool:
        """Validate every form, so each shows its own errors."""
        forms = [*self.policies, self.new_policy, self.run]
        results = [form.is_valid() for form in forms]
        return all(results)

    def proposal(self) -> dict[str, list[Any]]:
        """The simulation request: `{"upsert": [...], "remove": [...]}`."""
        upsert: list[dict[str, Any]] = []
        remove: list[str] = []
        for form in self.policies:
            if form.cleaned_data["remove"]:
                remove.append(form.document.name)
            elif change := form.change():
                upsert.append(change)
        if new_policy := self.new_policy.document():
            upsert.append(new_policy)
        return {"upsert": upsert, "remove": remove}

    def show_error(self, error: FieldError) -> bool:
        """Show a service's refusal next to the run's field it names, if any."""
        if error.field not in self.run.fields:
            return False
        self.run.add_error(error.field, error.details[error.field][0])
        return True
