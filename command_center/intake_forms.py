"""The use-case intake questionnaire and the risk class change forms: input
validation only; registry.intake stores, derives and decides."""

from django import forms

from registry import ai_act
from registry.constants import (
    INTAKE_NAME_MAX_LENGTH,
    INTAKE_TEXT_MAX_LENGTH,
    RISK_TIERS,
)


def _choices(vocabulary: dict) -> list[tuple[str, str]]:
    return [
        (code, getattr(label, "label", label)) for code, label in vocabulary.items()
    ]


def _domain_choices() -> list[tuple[str, str]]:
    return [
        (
            code,
            f"{domain.label} ({domain.annex_iii})"
            if domain.annex_iii
            else domain.label,
        )
        for code, domain in ai_act.DOMAINS.items()
    ]


def _practice_choices() -> list[tuple[str, str]]:
    return [
        (code, f"{practice.label} ({practice.article})")
        for code, practice in ai_act.PROHIBITED_PRACTICES.items()
    ]


class IntakeForm(forms.Form):
    """The questionnaire, grouped as the Act reads (GROUPS)."""

    purpose = forms.CharField(
        max_length=INTAKE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the system is for and what it decides or recommends "
        "(the intended purpose, Art. 3(12)).",
    )
    affected_persons = forms.CharField(
        max_length=INTAKE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who is affected by its outputs, in your words.",
    )
    affected_groups = forms.MultipleChoiceField(
        choices=_choices(ai_act.AFFECTED_GROUPS),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Children and vulnerable groups make a high-risk system "
        "critical (Art. 9(9)).",
    )
    autonomy = forms.ChoiceField(
        choices=_choices(ai_act.AUTONOMY_LEVELS),
        help_text="How much a person stands between the output and its effect "
        "(Art. 14).",
    )
    domain = forms.ChoiceField(
        choices=_domain_choices(),
        help_text="The Annex III areas make a system high-risk (Art. 6(2)).",
    )
    prohibited_practices = forms.MultipleChoiceField(
        choices=_practice_choices(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Art. 5 practices the system performs: normally none.",
    )
    personal_data = forms.MultipleChoiceField(
        choices=_choices(ai_act.PERSONAL_DATA),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Special categories, biometric or children's data set the "
        "tier at least to high; personal data at least to medium.",
    )
    general_purpose = forms.BooleanField(
        required=False,
        label="It is a general-purpose AI model",
        help_text="Provider duties of Art. 53.",
    )
    generative = forms.BooleanField(
        required=False,
        label="It generates text, images, audio or video",
        help_text="Art. 50(2): its outputs are marked as generated.",
    )
    interacts_with_people = forms.BooleanField(
        required=False,
        label="People interact with it directly (a chatbot, an assistant)",
        help_text="Art. 50(1): people are told they deal with an AI system.",
    )
    synthetic_content = forms.BooleanField(
        required=False,
        label="Its content could pass for real people, places or events",
        help_text="Art. 50(2) and 50(4): marked and disclosed as a deep fake.",
    )
    emotion_or_biometric_categorisation = forms.BooleanField(
        required=False,
        label="It recognises emotions or categorises people biometrically",
        help_text="Annex III 1(b)-(c) and Art. 50(3).",
    )
    provenance = forms.ChoiceField(
        choices=_choices(ai_act.PROVENANCES), initial="in_house"
    )
    vendor_name = forms.CharField(
        max_length=INTAKE_NAME_MAX_LENGTH,
        required=False,
        help_text="For a bought model: who provides it (Art. 25 on the value chain).",
    )
    human_oversight_measures = forms.CharField(
        max_length=INTAKE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Who can intervene, override or stop the system, and how "
        "(Art. 14(4)).",
    )
    human_oversight_contact = forms.CharField(
        max_length=INTAKE_NAME_MAX_LENGTH,
        required=False,
        label="Human oversight contact",
        help_text="The person or role answerable for oversight.",
    )

    GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        ("Purpose and people", "Art. 3(12), Art. 9(9)", (
            "purpose", "affected_persons", "affected_groups",
        )),
        ("Domain and autonomy", "Art. 6(2), Annex III, Art. 14", (
            "domain", "autonomy",
        )),
        ("Prohibited practices", "Art. 5", ("prohibited_practices",)),
        ("Personal data", "GDPR Art. 6 and 9", ("personal_data",)),
        ("Kind of system", "Art. 50, Art. 53", (
            "general_purpose",
            "generative",
            "interacts_with_people",
            "synthetic_content",
            "emotion_or_biometric_categorisation",
        )),
        ("Provenance", "Art. 25", ("provenance", "vendor_name")),
        ("Human oversight", "Art. 14", (
            "human_oversight_measures", "human_oversight_contact",
        )),
    )  # fmt: skip

    def groups(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """The fields by group, for the template."""
        return [
            (title, citation, [self[name] for name in names])
            for title, citation, names in self.GROUPS
        ]

    @classmethod
    def initial_from(cls, intake) -> dict:
        """The answers of a stored revision, to start the next one from."""
        return {name: getattr(intake, name) for name in cls.base_fields}


class RiskClassChangeAskForm(forms.Form):
    """Ask for a lower tier."""

    to_tier = forms.ChoiceField(
        choices=[(tier, tier.capitalize()) for tier in RISK_TIERS],
        label="Lower the tier to",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the lower tier is right; a governance admin reads it.",
    )


class RiskClassChangeDecisionForm(forms.Form):
    """A governance admin's approval or rejection (a rejection says why)."""

    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    back = forms.ChoiceField(
        choices=[("queue", "queue"), ("model", "model"), ("intake", "intake")],
        required=False,
        widget=forms.HiddenInput,
    )
