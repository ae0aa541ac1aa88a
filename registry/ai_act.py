"""The EU AI Act's classification of a use case, from its intake answers.

Pure: plain values in, a frozen result out, no Django. The vocabulary of the
questionnaire is defined here once; registry.models.UseCaseIntake's choices,
the API's serializers and the intake form derive from it.

The order of the rules is the Act's: a prohibited practice (Art. 5) decides
alone; then high risk (Art. 6(2) and Annex III); then the transparency duties
of Art. 50 make a system limited-risk; the rest is minimal. Art. 50's duties
are listed whatever the category (a high-risk chatbot still discloses that it
is one). The Art. 6(3) exception (an Annex III system that performs only a
narrow procedural task) is not modelled: an Annex III answer is high-risk,
and a provider who documents the exception asks for a lower tier through a
risk class change, which a governance admin decides (docs/decisions.md)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from registry.constants import (
    AI_ACT_HIGH_RISK,
    AI_ACT_LIMITED_RISK,
    AI_ACT_MINIMAL,
    AI_ACT_PROHIBITED,
    AI_ACT_UNASSESSED,
    RISK_CRITICAL,
    RISK_HIGH,
    RISK_LOW,
    RISK_MEDIUM,
    RISK_TIERS,
)

# -- the questionnaire's vocabulary ---------------------------------------------

AFFECTED_GROUPS: dict[str, str] = {
    "consumers": "Consumers",
    "employees_or_applicants": "Employees or job applicants",
    "students": "Students or learners",
    "patients": "Patients",
    "public": "The general public",
    "children": "Children",
    "vulnerable_groups": "Vulnerable groups (age, disability, social or "
    "economic situation)",
}

AUTONOMY_LEVELS: dict[str, str] = {
    "advisory": "Advisory: a person decides, the output is one input",
    "human_in_the_loop": "Human in the loop: a person confirms each decision",
    "human_on_the_loop": "Human on the loop: decisions apply, a person monitors "
    "and can intervene",
    "fully_automated": "Fully automated: decisions apply without a person",
}


@dataclass(frozen=True)
class Domain:
    """An area of use, with its Annex III point when it is one."""

    label: str
    annex_iii: str  # "" outside Annex III


DOMAINS: dict[str, Domain] = {
    "biometrics": Domain("Biometrics", "III.1"),
    "critical_infrastructure": Domain("Critical infrastructure", "III.2"),
    "education": Domain("Education and vocational training", "III.3"),
    "employment": Domain("Employment and workers' management", "III.4"),
    "essential_public_services": Domain(
        "Access to essential public services and benefits", "III.5(a)"
    ),
    "creditworthiness": Domain(
        "Creditworthiness and credit scoring of natural persons", "III.5(b)"
    ),
    "life_health_insurance": Domain(
        "Risk assessment and pricing in life and health insurance", "III.5(c)"
    ),
    "emergency_dispatch": Domain("Emergency calls, dispatch and triage", "III.5(d)"),
    "law_enforcement": Domain("Law enforcement", "III.6"),
    "migration_border": Domain("Migration, asylum and border control", "III.7"),
    "justice_democracy": Domain(
        "Administration of justice and democratic processes", "III.8"
    ),
    "other": Domain("Other (none of the Annex III areas)", ""),
}


@dataclass(frozen=True)
class Practice:
    """A practice Art. 5 prohibits."""

    label: str
    article: str


PROHIBITED_PRACTICES: dict[str, Practice] = {
    "manipulation": Practice(
        "Subliminal, manipulative or deceptive techniques that distort behaviour "
        "and cause significant harm",
        "Art. 5(1)(a)",
    ),
    "exploiting_vulnerabilities": Practice(
        "Exploiting vulnerabilities of age, disability or social or economic situation",
        "Art. 5(1)(b)",
    ),
    "social_scoring": Practice(
        "Social scoring leading to detrimental or unfavourable treatment",
        "Art. 5(1)(c)",
    ),
    "predictive_policing_profiling": Practice(
        "Predicting a person's risk of committing a crime from profiling alone",
        "Art. 5(1)(d)",
    ),
    "untargeted_face_scraping": Practice(
        "Building facial recognition databases by untargeted scraping",
        "Art. 5(1)(e)",
    ),
    "emotion_recognition_work_education": Practice(
        "Inferring emotions in the workplace or in education",
        "Art. 5(1)(f)",
    ),
    "sensitive_biometric_categorisation": Practice(
        "Biometric categorisation inferring race, political opinions, union "
        "membership, beliefs or sexual orientation",
        "Art. 5(1)(g)",
    ),
    "realtime_remote_biometric_identification": Practice(
        "Real-time remote biometric identification in public spaces for law "
        "enforcement",
        "Art. 5(1)(h)",
    ),
}

PERSONAL_DATA: dict[str, str] = {
    "none": "No personal data",
    "personal": "Personal data",
    "special_category": "Special categories (GDPR Art. 9: health, ethnicity, "
    "beliefs, …)",
    "biometric": "Biometric data",
    "children": "Children's data",
}

PROVENANCES: dict[str, str] = {
    "in_house": "Built in house",
    "vendor": "Bought from a vendor",
}

# Art. 50's duties, in the article's order.
TRANSPARENCY_DUTIES: dict[str, tuple[str, str]] = {
    "disclose_ai_interaction": (
        "Art. 50(1)",
        "Tell people they are interacting with an AI system, unless it is obvious.",
    ),
    "mark_synthetic_content": (
        "Art. 50(2)",
        "Mark generated audio, image, video or text as artificially generated, "
        "in a machine-readable format.",
    ),
    "inform_emotion_or_biometric_categorisation": (
        "Art. 50(3)",
        "Inform the people exposed to emotion recognition or biometric "
        "categorisation, and process their data lawfully.",
    ),
    "disclose_deepfake": (
        "Art. 50(4)",
        "Disclose that image, audio or video content resembling real people, "
        "places or events (a deep fake) was generated or manipulated.",
    ),
}

# -- answers and result ----------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """The questions the classification depends on (purpose, oversight and
    provenance are evidence, not inputs)."""

    domain: str = "other"
    affected_groups: tuple[str, ...] = ()
    autonomy: str = "advisory"
    prohibited_practices: tuple[str, ...] = ()
    personal_data: tuple[str, ...] = ()
    general_purpose: bool = False
    generative: bool = False
    interacts_with_people: bool = False
    synthetic_content: bool = False
    emotion_or_biometric_categorisation: bool = False


@dataclass(frozen=True)
class ReasonLine:
    """One step of the reasoning, with the provision it rests on."""

    citation: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"citation": self.citation, "text": self.text}


@dataclass(frozen=True)
class Duty:
    """One Art. 50 transparency duty."""

    code: str
    citation: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "citation": self.citation, "text": self.text}


@dataclass(frozen=True)
class Classification:
    """What the intake derives: the category, a proposed internal tier, the
    reasoning line by line and the transparency duties."""

    category: str
    proposed_tier: str
    reasoning: tuple[ReasonLine, ...]
    transparency_duties: tuple[Duty, ...]

    @property
    def summary(self) -> str:
        """ "high-risk (Annex III 5(b), creditworthiness)" and the like."""
        return self.reasoning[0].text if self.reasoning else self.category


# Autonomy levels at which a high-risk system's decisions take effect without
# a person confirming each one.
UNCONFIRMED_AUTONOMY = frozenset({"human_on_the_loop", "fully_automated"})
# Affected groups that make a high-risk system critical.
PROTECTED_GROUPS = frozenset({"children", "vulnerable_groups"})
# The lowest tier a kind of personal data allows.
PERSONAL_DATA_FLOORS: dict[str, str] = {
    "special_category": RISK_HIGH,
    "biometric": RISK_HIGH,
    "children": RISK_HIGH,
    "personal": RISK_MEDIUM,
}


def _unknown(field: str, values: Iterable[str], known: Iterable[str]) -> None:
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"{field}: unknown value(s) {', '.join(unknown)}")


def validate(answers: Answers) -> None:
    """Raise ValueError naming the field of the first answer outside the
    vocabulary."""
    _unknown("domain", [answers.domain], DOMAINS)
    _unknown("autonomy", [answers.autonomy], AUTONOMY_LEVELS)
    _unknown("affected_groups", answers.affected_groups, AFFECTED_GROUPS)
    _unknown("prohibited_practices", answers.prohibited_practices, PROHIBITED_PRACTICES)
    _unknown("personal_data", answers.personal_data, PERSONAL_DATA)
    if "none" in answers.personal_data and len(set(answers.personal_data)) > 1:
        raise ValueError("personal_data: 'none' cannot be combined with other kinds")


# From the least to the most strict; an unassessed model is the least.
CATEGORY_STRICTNESS: tuple[str, ...] = (
    AI_ACT_UNASSESSED,
    AI_ACT_MINIMAL,
    AI_ACT_LIMITED_RISK,
    AI_ACT_HIGH_RISK,
    AI_ACT_PROHIBITED,
)


def category_rank(category: str) -> int:
    """Unassessed 0 … prohibited 4."""
    return CATEGORY_STRICTNESS.index(category)


def tier_rank(tier: str) -> int:
    """Low 0 … critical 3."""
    return RISK_TIERS.index(tier)


def _stricter(first: str, second: str) -> str:
    return first if tier_rank(first) >= tier_rank(second) else second


def _annex_point(point: str) -> str:
    """ "III.5(b)" as the Act writes it in prose: "Annex III 5(b)"."""
    return "Annex III " + point.removeprefix("III.")


def transparency_duties(answers: Answers) -> tuple[Duty, ...]:
    """The Art. 50 duties the answers trigger, in the article's order."""
    triggered = {
        "disclose_ai_interaction": answers.interacts_with_people,
        "mark_synthetic_content": answers.generative or answers.synthetic_content,
        "inform_emotion_or_biometric_categorisation": (
            answers.emotion_or_biometric_categorisation
        ),
        "disclose_deepfake": answers.synthetic_content,
    }
    return tuple(
        Duty(code, *TRANSPARENCY_DUTIES[code])
        for code, applies in triggered.items()
        if applies
    )


def classify(answers: Answers) -> Classification:
    """The category, the proposed tier, the reasoning and the duties."""
    validate(answers)
    lines: list[ReasonLine] = []
    duties = transparency_duties(answers)
    domain = DOMAINS[answers.domain]
    practices = [p for p in PROHIBITED_PRACTICES if p in answers.prohibited_practices]
    if practices:
        category = AI_ACT_PROHIBITED
        first = PROHIBITED_PRACTICES[practices[0]]
        lines.append(
            ReasonLine(first.article, f"prohibited practice ({first.label.lower()})")
        )
        lines.extend(
            ReasonLine(
                PROHIBITED_PRACTICES[code].article,
                f"also a prohibited practice: {PROHIBITED_PRACTICES[code].label}.",
            )
            for code in practices[1:]
        )
        lines.append(
            ReasonLine(
                "Art. 5",
                "A prohibited practice may not be placed on the market, put into "
                "service or used in the Union: the proposed tier is critical.",
            )
        )
        tier = RISK_CRITICAL
    elif domain.annex_iii or answers.emotion_or_biometric_categorisation:
        category = AI_ACT_HIGH_RISK
        if domain.annex_iii:
            point = _annex_point(domain.annex_iii)
            lines.append(
                ReasonLine(
                    f"Art. 6(2), {point}",
                    f"high-risk ({point}, {answers.domain.replace('_', ' ')})",
                )
            )
        else:
            lines.append(
                ReasonLine(
                    "Art. 6(2), Annex III 1(b)-(c)",
                    "high-risk (Annex III 1, emotion recognition or biometric "
                    "categorisation)",
                )
            )
        lines.append(
            ReasonLine(
                "Art. 8-15",
                "High-risk requirements apply: risk management, data governance, "
                "technical documentation, logging, transparency to deployers, "
                "human oversight, accuracy and robustness.",
            )
        )
        tier, why = _high_risk_tier(answers)
        lines.append(why)
    elif duties:
        category = AI_ACT_LIMITED_RISK
        lines.append(
            ReasonLine(
                "Art. 50",
                "limited risk (transparency duties: "
                + ", ".join(duty.citation for duty in duties)
                + ")",
            )
        )
        lines.append(
            ReasonLine(
                "Art. 6, Annex III",
                f"Not high-risk: the domain ({domain.label.lower()}) is not an "
                "Annex III area and no prohibited practice is performed.",
            )
        )
        tier = RISK_MEDIUM
        lines.append(
            ReasonLine("Art. 50", "Limited risk: the proposed tier is medium.")
        )
    else:
        category = AI_ACT_MINIMAL
        lines.append(
            ReasonLine(
                "Art. 5, 6, 50",
                "minimal risk (no prohibited practice, not an Annex III area, "
                "no transparency duty)",
            )
        )
        tier = RISK_LOW
        lines.append(
            ReasonLine(
                "Art. 95",
                "Minimal risk: voluntary codes of conduct only; the proposed tier "
                "is low.",
            )
        )
    for duty in duties:
        lines.append(ReasonLine(duty.citation, f"Transparency duty: {duty.text}"))
    if answers.general_purpose:
        lines.append(
            ReasonLine(
                "Art. 53",
                "A general-purpose AI model: its provider keeps technical "
                "documentation, informs downstream providers, has a copyright "
                "policy and publishes a training-content summary.",
            )
        )
    tier = _apply_data_floor(answers, tier, lines)
    return Classification(category, tier, tuple(lines), duties)


def _high_risk_tier(answers: Answers) -> tuple[str, ReasonLine]:
    reasons = []
    # The reasoning is read on pages and in the Annex IV document: words, not codes.
    if answers.autonomy in UNCONFIRMED_AUTONOMY:
        autonomy = answers.autonomy.replace("_", " ")
        reasons.append(f"its decisions take effect unconfirmed ({autonomy})")
    protected = [
        label[:1].lower() + label[1:]
        for code, label in AFFECTED_GROUPS.items()
        if code in PROTECTED_GROUPS and code in answers.affected_groups
    ]
    if protected:
        reasons.append(f"it affects {' and '.join(protected)}")
    if reasons:
        return RISK_CRITICAL, ReasonLine(
            "Art. 14",
            "Proposed tier critical: high-risk and " + "; ".join(reasons) + ".",
        )
    return RISK_HIGH, ReasonLine(
        "Art. 14",
        "Proposed tier high: high-risk, with a person confirming each decision "
        "and no children or vulnerable groups affected.",
    )


def _apply_data_floor(answers: Answers, tier: str, lines: list[ReasonLine]) -> str:
    if "children" in answers.affected_groups and tier_rank(RISK_HIGH) > tier_rank(tier):
        lines.append(ReasonLine("Art. 9(9)", "Raised to high: it affects children."))
        tier = RISK_HIGH
    for kind in PERSONAL_DATA:
        floor = PERSONAL_DATA_FLOORS.get(kind)
        if (
            kind in answers.personal_data
            and floor
            and tier_rank(floor) > tier_rank(tier)
        ):
            lines.append(
                ReasonLine(
                    "GDPR Art. 9" if kind != "personal" else "GDPR Art. 6",
                    f"Raised to {floor}: it processes "
                    f"{PERSONAL_DATA[kind].split(' (')[0].lower()}.",
                )
            )
            tier = _stricter(floor, tier)
    return tier


def answers_from(data: dict[str, Any]) -> Answers:
    """The engine's inputs from an intake's stored answers."""
    return Answers(
        domain=data["domain"],
        affected_groups=tuple(data.get("affected_groups") or ()),
        autonomy=data["autonomy"],
        prohibited_practices=tuple(data.get("prohibited_practices") or ()),
        personal_data=tuple(data.get("personal_data") or ()),
        general_purpose=bool(data.get("general_purpose")),
        generative=bool(data.get("generative")),
        interacts_with_people=bool(data.get("interacts_with_people")),
        synthetic_content=bool(data.get("synthetic_content")),
        emotion_or_biometric_categorisation=bool(
            data.get("emotion_or_biometric_categorisation")
        ),
    )
