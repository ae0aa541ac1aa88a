"""The use-case intake's services: storing a revision of the answers, applying
what it derives, and the four-eyes requests that lower a model's risk class.

The rule (docs/decisions.md, 2026-12-04): whatever raises a model's tier or
moves its EU AI Act category to a stricter one applies at once; whatever
lowers either is a pending RiskClassChange that a governance admin who did
not ask approves or rejects."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from mlgov.actors import Actor
from mlgov.cache import invalidate
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_write_model, has_role
from mlgov.roles import Role
from registry import ai_act
from registry.constants import (
    INTAKE_NAME_MAX_LENGTH,
    INTAKE_TEXT_MAX_LENGTH,
    RISK_TIERS,
)
from registry.exceptions import (
    FourEyesError,
    RiskClassChangeDecidedError,
    RiskClassChangePendingError,
)
from registry.models import MLModel, RiskClassChange, UseCaseIntake
from registry.selectors import model_detail_cache_namespace

TEXT_ANSWERS = ("purpose", "affected_persons")
NAME_ANSWERS = ("human_oversight_contact", "vendor_name")
OPTIONAL_TEXT_ANSWERS = (
    "human_oversight_measures",
    "human_oversight_contact",
    "vendor_name",
)
LIST_ANSWERS: dict[str, Mapping[str, Any]] = {
    "affected_groups": ai_act.AFFECTED_GROUPS,
    "prohibited_practices": ai_act.PROHIBITED_PRACTICES,
    "personal_data": ai_act.PERSONAL_DATA,
}
CHOICE_ANSWERS: dict[str, Mapping[str, Any]] = {
    "autonomy": ai_act.AUTONOMY_LEVELS,
    "domain": ai_act.DOMAINS,
    "provenance": ai_act.PROVENANCES,
}
BOOLEAN_ANSWERS = (
    "general_purpose",
    "generative",
    "interacts_with_people",
    "synthetic_content",
    "emotion_or_biometric_categorisation",
)
ANSWER_FIELDS = (
    *TEXT_ANSWERS,
    *LIST_ANSWERS,
    *CHOICE_ANSWERS,
    *BOOLEAN_ANSWERS,
    *OPTIONAL_TEXT_ANSWERS,
)


def validate_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers, checked and normalised (lists in the vocabulary's order),
    or FieldError naming the first bad field."""
    unknown = sorted(set(answers) - set(ANSWER_FIELDS))
    if unknown:
        raise FieldError(unknown[0], "Not a question of the intake.")
    cleaned: dict[str, Any] = {}
    for name in TEXT_ANSWERS:
        value = answers.get(name, "")
        if not isinstance(value, str) or not value.strip():
            raise FieldError(name, "Answer this question.")
        cleaned[name] = value.strip()
    for name in OPTIONAL_TEXT_ANSWERS:
        value = answers.get(name, "")
        if not isinstance(value, str):
            raise FieldError(name, "Must be text.")
        cleaned[name] = value.strip()
    for name in (*TEXT_ANSWERS, *OPTIONAL_TEXT_ANSWERS):
        limit = (
            INTAKE_NAME_MAX_LENGTH if name in NAME_ANSWERS else INTAKE_TEXT_MAX_LENGTH
        )
        if len(cleaned[name]) > limit:
            raise FieldError(name, f"At most {limit:,} characters.")
    for name, known in CHOICE_ANSWERS.items():
        value = answers.get(name, "in_house" if name == "provenance" else None)
        if value not in known:
            raise FieldError(name, f"Choose one of {', '.join(known)}.")
        cleaned[name] = value
    for name, known in LIST_ANSWERS.items():
        values = answers.get(name) or []
        if not isinstance(values, list | tuple) or not all(
            isinstance(value, str) for value in values
        ):
            raise FieldError(name, "Must be a list of names.")
        bad = sorted(set(values) - set(known))
        if bad:
            raise FieldError(
                name,
                f"Unknown value(s) {', '.join(bad)}; known: {', '.join(known)}.",
            )
        cleaned[name] = [value for value in known if value in values]
    for name in BOOLEAN_ANSWERS:
        value = answers.get(name, False)
        if not isinstance(value, bool):
            raise FieldError(name, "Must be true or false.")
        cleaned[name] = value
    if "none" in cleaned["personal_data"] and len(cleaned["personal_data"]) > 1:
        raise FieldError(
            "personal_data", "'none' cannot be combined with other kinds of data."
        )
    if cleaned["provenance"] == "vendor" and not cleaned["vendor_name"]:
        raise FieldError("vendor_name", "Name the vendor of a bought model.")
    if cleaned["provenance"] == "in_house":
        cleaned["vendor_name"] = ""
    return cleaned


def classify_answers(answers: Mapping[str, Any]) -> ai_act.Classification:
    """The engine's classification of validated answers."""
    return ai_act.classify(ai_act.answers_from(dict(answers)))


@dataclass(frozen=True)
class IntakeOutcome:
    """What submitting an intake did: the revision stored, the model as it
    now stands, and the request waiting for a governance admin, if any."""

    intake: UseCaseIntake
    model: MLModel
    applied: bool
    change_request: RiskClassChange | None


def _withdraw(changes, *, why: str, at: datetime) -> None:
    """Withdraw pending requests one by one, so each gets its audit entry."""
    for change in changes.filter(status=RiskClassChange.Status.PENDING):
        change.status = RiskClassChange.Status.WITHDRAWN
        change.decided_at = at
        change.decision_comment = why
        change.save(update_fields=["status", "decided_at", "decision_comment"])


def _withdraw_pending(*, model: MLModel, why: str, at: datetime) -> None:
    _withdraw(RiskClassChange.objects.filter(model=model), why=why, at=at)


def _set_risk_class(*, model: MLModel, tier: str, category: str) -> None:
    model.risk_tier = tier
    model.ai_act_category = category
    model.save(update_fields=["risk_tier", "ai_act_category", "updated_at"])
    invalidate(model_detail_cache_namespace(model.name))


@transaction.atomic
def submit_intake(
    *,
    actor: Actor,
    model: MLModel,
    answers: Mapping[str, Any],
    answered_at: datetime | None = None,
) -> IntakeOutcome:
    """Store the next revision of the model's intake with what it derives;
    apply what raises the model's risk class, and ask a governance admin for
    what would lower it.

    The model row is locked first, so concurrent submissions queue and each
    takes the next revision number. `answered_at` is for the demo loader,
    which writes a past; a live answer is dated now."""
    answered_at = answered_at or timezone.now()
    model = MLModel.objects.select_for_update().select_related("team").get(pk=model.pk)
    if not can_write_model(actor, model):
        raise PermissionDeniedError(
            f"Only {model.team}'s data scientists and governance admins answer "
            f"{model.name}'s intake."
        )
    cleaned = validate_answers(answers)
    result = classify_answers(cleaned)
    latest = UseCaseIntake.objects.filter(model=model).aggregate(
        latest=Max("revision")
    )["latest"]
    intake = UseCaseIntake.objects.create(
        model=model,
        revision=(latest or 0) + 1,
        answered_by=actor,
        answered_at=answered_at,
        derived_category=result.category,
        proposed_tier=result.proposed_tier,
        reasoning=[line.as_dict() for line in result.reasoning],
        transparency_duties=[duty.as_dict() for duty in result.transparency_duties],
        **cleaned,
    )
    before = (model.risk_tier, model.ai_act_category)
    tier = max(model.risk_tier, result.proposed_tier, key=ai_act.tier_rank)
    category = max(model.ai_act_category, result.category, key=ai_act.category_rank)
    applied = (tier, category) != before
    if applied:
        _set_risk_class(model=model, tier=tier, category=category)
    # A newer intake speaks for the model: what an older one (or a manual
    # request against the old tier) asked for is withdrawn.
    _withdraw_pending(
        model=model,
        why=f"Superseded by intake revision {intake.revision}.",
        at=answered_at,
    )
    change_request = None
    target = (result.proposed_tier, result.category)
    if target != (tier, category):
        change_request = RiskClassChange.objects.create(
            model=model,
            intake=intake,
            from_tier=tier,
            to_tier=result.proposed_tier,
            from_category=category,
            to_category=result.category,
            reason=(
                f"Intake revision {intake.revision} derives {result.summary}, "
                f"proposed tier {result.proposed_tier}."
            ),
            requested_by=actor,
            requested_at=answered_at,
        )
    return IntakeOutcome(intake, model, applied, change_request)


@transaction.atomic
def request_risk_class_change(
    *, actor: Actor, model: MLModel, to_tier: str, reason: str
) -> RiskClassChange:
    """Ask for a lower risk tier for the model (its category stays: only the
    intake derives it); a governance admin who did not ask decides."""
    model = MLModel.objects.select_for_update().select_related("team").get(pk=model.pk)
    if not can_write_model(actor, model):
        raise PermissionDeniedError(
            f"Only {model.team}'s data scientists and governance admins ask for "
            f"{model.name}'s risk class to change."
        )
    if to_tier not in RISK_TIERS:
        raise FieldError("to_tier", f"Choose one of {', '.join(RISK_TIERS)}.")
    if ai_act.tier_rank(to_tier) >= ai_act.tier_rank(model.risk_tier):
        raise FieldError(
            "to_tier",
            f"{model.name} is {model.risk_tier}; a request lowers the tier "
            "(a higher tier needs no approval: set it on the model).",
        )
    if not reason.strip():
        raise FieldError("reason", "Say why the tier should be lower.")
    pending = RiskClassChange.objects.filter(
        model=model, status=RiskClassChange.Status.PENDING
    ).first()
    if pending is not None:
        raise RiskClassChangePendingError(pending)
    return RiskClassChange.objects.create(
        model=model,
        from_tier=model.risk_tier,
        to_tier=to_tier,
        from_category=model.ai_act_category,
        to_category=model.ai_act_category,
        reason=reason.strip(),
        requested_by=actor,
    )


def _locked_pending(*, actor: Actor, change: RiskClassChange) -> RiskClassChange:
    if not has_role(actor, Role.GOVERNANCE_ADMIN):
        raise PermissionDeniedError(
            "Only a governance admin decides on a risk class change."
        )
    locked = (
        RiskClassChange.objects.select_for_update()
        .select_related("model")
        .get(pk=change.pk)
    )
    if locked.status != RiskClassChange.Status.PENDING:
        raise RiskClassChangeDecidedError(locked)
    if locked.requested_by_id == actor.pk:
        raise FourEyesError(locked)
    return locked


@transaction.atomic
def approve_risk_class_change(
    *, actor: Actor, change: RiskClassChange, comment: str = ""
) -> RiskClassChange:
    """A second governance admin approves: the model takes the requested tier
    and category."""
    locked = _locked_pending(actor=actor, change=change)
    model = MLModel.objects.select_for_update().get(pk=locked.model_id)
    locked.status = RiskClassChange.Status.APPROVED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_comment = comment.strip()
    locked.save(
        update_fields=["status", "decided_by", "decided_at", "decision_comment"]
    )
    _set_risk_class(model=model, tier=locked.to_tier, category=locked.to_category)
    locked.model = model
    return locked


@transaction.atomic
def reject_risk_class_change(
    *, actor: Actor, change: RiskClassChange, comment: str
) -> RiskClassChange:
    """A second governance admin refuses, saying why; the model keeps its
    risk class."""
    if not comment.strip():
        raise FieldError("comment", "Say why the change is rejected.")
    locked = _locked_pending(actor=actor, change=change)
    locked.status = RiskClassChange.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_comment = comment.strip()
    locked.save(
        update_fields=["status", "decided_by", "decided_at", "decision_comment"]
    )
    return locked


def withdraw_stale_requests(*, model: MLModel) -> None:
    """Withdraw the model's pending request when its tier or category moved
    since it was asked (its starting point no longer holds)."""
    _withdraw(
        RiskClassChange.objects.filter(model=model).exclude(
            from_tier=model.risk_tier, from_category=model.ai_act_category
        ),
        why="The model's risk class changed since the request.",
        at=timezone.now(),
    )
