"""The demo's use-case intakes: the first model of each purpose answers the
questionnaire a day after it was registered, through registry.intake, so
the derived category, any raise of its tier and any request to lower it are
what a live answer would give.

The worked example of issue 24 is the first credit-risk model (`pd-00001`):
its intake derives "high-risk (Annex III 5(b), creditworthiness)" and its
human-oversight answers are still blank; its team fills them later, in a
second revision (`answer_worked_example_oversight`, run by the compliance
demo step once the EU AI Act pack shows the gap)."""

from datetime import datetime, timedelta
from typing import Any

from auditlog.context import set_actor
from django.db import transaction

from mlgov.audit import audit_entries_dated
from mlgov.demo import demo_objects
from registry.intake import submit_intake
from registry.models import MLModel, UseCaseIntake

WORKED_EXAMPLE = "pd-00001"
# The first model of each purpose: six teams, at most five purposes each.
FIRST_OF_EACH_PURPOSE = 30

_BASE: dict[str, Any] = {
    "affected_groups": [],
    "autonomy": "advisory",
    "domain": "other",
    "prohibited_practices": [],
    "personal_data": ["none"],
    "provenance": "in_house",
    "human_oversight_measures": "An analyst reviews the outputs weekly and can "
    "switch the model off from the serving console.",
    "human_oversight_contact": "Model owner (team lead)",
}

_CREDIT = {
    "purpose": "Estimates a consumer's creditworthiness for lending decisions.",
    "affected_persons": "Consumers applying for credit.",
    "affected_groups": ["consumers"],
    "autonomy": "human_in_the_loop",
    "domain": "creditworthiness",
    "personal_data": ["personal"],
    "human_oversight_measures": "A credit officer confirms every decline and can "
    "override the score; the model owner can stop scoring.",
    "human_oversight_contact": "Head of Credit Decisioning",
}

# Answers per purpose (the demo's model names start with the purpose).
ANSWERS: dict[str, dict[str, Any]] = {
    "pd": _CREDIT,
    "lgd": {**_CREDIT, "purpose": "Estimates the loss given default of loans."},
    "ead": {**_CREDIT, "purpose": "Estimates the exposure at default of loans."},
    "affordability": {**_CREDIT, "purpose": "Assesses whether a loan is affordable."},
    "limit": {**_CREDIT, "purpose": "Sets credit card limits."},
    "card-fraud": {
        "purpose": "Flags card payments likely to be fraudulent.",
        "affected_persons": "Card holders.",
        "affected_groups": ["consumers"],
        "autonomy": "human_on_the_loop",
        "personal_data": ["personal"],
    },
    "aml": {
        "purpose": "Prioritises transactions for anti-money-laundering review.",
        "affected_persons": "Account holders.",
        "affected_groups": ["consumers"],
        "personal_data": ["personal"],
    },
    "churn": {
        "purpose": "Predicts which customers may leave, for retention offers.",
        "affected_persons": "Existing customers.",
        "affected_groups": ["consumers"],
        "personal_data": ["personal"],
    },
    "next-best-offer": {
        "purpose": "Drafts personalised offer texts for customers.",
        "affected_persons": "Existing customers.",
        "affected_groups": ["consumers"],
        "personal_data": ["personal"],
        "generative": True,
        "provenance": "vendor",
        "vendor_name": "Contoso AI",
    },
    "forecast": {
        "purpose": "Forecasts call volumes per hour.",
        "affected_persons": "Nobody directly.",
    },
    "staffing": {
        "purpose": "Allocates shifts and tasks to contact-centre staff.",
        "affected_persons": "Contact-centre employees.",
        "affected_groups": ["employees_or_applicants"],
        "autonomy": "human_in_the_loop",
        "domain": "employment",
        "personal_data": ["personal"],
    },
    "intent": {
        "purpose": "Answers customers in the support chat and routes their requests.",
        "affected_persons": "Customers writing to support.",
        "affected_groups": ["consumers", "public"],
        "autonomy": "human_on_the_loop",
        "personal_data": ["personal"],
        "generative": True,
        "interacts_with_people": True,
        "provenance": "vendor",
        "vendor_name": "Contoso AI",
    },
    "complaint-triage": {
        "purpose": "Sorts complaints by topic and urgency for the care team.",
        "affected_persons": "Customers who complain.",
        "affected_groups": ["consumers"],
        "personal_data": ["personal"],
    },
}


def _purpose_of(name: str) -> str:
    return name.rsplit("-", 1)[0]


def answers_for(name: str) -> dict[str, Any] | None:
    """The demo answers of a demo model, or None when its purpose has none."""
    answers = ANSWERS.get(_purpose_of(name))
    if answers is None:
        return None
    merged = {**_BASE, **answers}
    if name == WORKED_EXAMPLE:
        merged["human_oversight_measures"] = ""
        merged["human_oversight_contact"] = ""
    return merged


def seed_intakes(*, names: list[str], now: datetime) -> int:
    """Answer, as its owner, the intake of each named demo model that has
    none yet; returns how many were answered."""
    models = (
        demo_objects(MLModel)
        .filter(name__in=names, owner__isnull=False)
        .exclude(pk__in=UseCaseIntake.objects.values("model_id"))
        .select_related("team", "owner")
        .order_by("pk")
    )
    answered = 0
    for model in models:
        answers = answers_for(model.name)
        author = model.owner
        if answers is None or author is None:
            continue
        when = min(model.created_at + timedelta(days=1), now - timedelta(hours=1))
        with transaction.atomic(), audit_entries_dated(when), set_actor(author):
            submit_intake(actor=author, model=model, answers=answers, answered_at=when)
        answered += 1
    return answered


def answer_worked_example_oversight(*, now: datetime) -> bool:
    """The worked example's team answers the human oversight questions in a
    new intake revision, an hour before `now`; False when the model is
    absent or its current revision already answers them."""
    model = (
        demo_objects(MLModel)
        .filter(name=WORKED_EXAMPLE, owner__isnull=False)
        .select_related("team", "owner")
        .first()
    )
    if model is None or model.owner is None:
        return False
    current = UseCaseIntake.objects.filter(model=model).order_by("-revision").first()
    if current is None or current.has_oversight_measures:
        return False
    answers = {**_BASE, **ANSWERS[_purpose_of(model.name)]}
    author = model.owner
    when = max(current.answered_at + timedelta(minutes=1), now - timedelta(hours=1))
    with transaction.atomic(), audit_entries_dated(when), set_actor(author):
        submit_intake(actor=author, model=model, answers=answers, answered_at=when)
    return True
