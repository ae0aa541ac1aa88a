"""submit_intake and the four-eyes risk class changes."""

import threading

import pytest
from auditlog.models import LogEntry
from django.db import IntegrityError, connection, transaction

from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.roles import Role
from registry.exceptions import (
    FourEyesError,
    RiskClassChangeDecidedError,
    RiskClassChangePendingError,
    RiskClassChangeRequiredError,
)
from registry.intake import (
    approve_risk_class_change,
    reject_risk_class_change,
    request_risk_class_change,
    submit_intake,
)
from registry.models import MLModel, RiskClassChange, UseCaseIntake
from registry.selectors import current_intakes
from registry.services import update_model
from tests.factories import MLModelFactory, UserFactory
from tests.registry.intake_answers import CREDIT_SCORING, MINIMAL, answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def model(team):
    return MLModelFactory(name="credit", team=team, risk_tier="low")


@pytest.fixture
def second_admin(db):
    return UserFactory(username="gov-admin-2", roles=[Role.GOVERNANCE_ADMIN])


def test_a_first_intake_applies_the_derived_category_and_a_higher_tier(
    model, data_scientist
):
    outcome = submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)

    model.refresh_from_db()
    assert (model.ai_act_category, model.risk_tier) == ("high_risk", "high")
    assert outcome.applied and outcome.change_request is None
    intake = outcome.intake
    assert intake.revision == 1
    assert intake.answered_by == data_scientist
    assert intake.summary == "high-risk (Annex III 5(b), creditworthiness)"
    assert intake.reasoning[0]["citation"] == "Art. 6(2), Annex III 5(b)"
    assert LogEntry.objects.get_for_object(intake).filter(action=0).exists()


def test_a_new_answer_set_is_a_new_revision(model, data_scientist):
    submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)
    second = submit_intake(
        actor=data_scientist,
        model=model,
        answers=answers(human_oversight_measures="A credit officer confirms."),
    )

    assert second.intake.revision == 2
    assert list(
        UseCaseIntake.objects.filter(model=model).values_list("revision", flat=True)
    ) == [2, 1]
    assert current_intakes([model.pk])[model.pk].revision == 2


def test_a_stored_intake_cannot_be_changed_or_deleted(model, data_scientist):
    intake = submit_intake(
        actor=data_scientist, model=model, answers=CREDIT_SCORING
    ).intake

    with pytest.raises(IntegrityError), transaction.atomic():
        UseCaseIntake.objects.filter(pk=intake.pk).update(purpose="Something else")
    with pytest.raises(IntegrityError), transaction.atomic():
        UseCaseIntake.objects.filter(pk=intake.pk).delete()
    intake.refresh_from_db()
    assert intake.purpose == CREDIT_SCORING["purpose"]


def test_an_intake_changed_behind_the_guards_is_named_by_verify_records(
    model, data_scientist
):
    import importlib

    from mlgov.sealed_records import verify_records

    guards = importlib.import_module("registry.migrations.0009_intake_append_only")
    intake = submit_intake(
        actor=data_scientist, model=model, answers=CREDIT_SCORING
    ).intake
    assert verify_records().is_intact

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {guards.TABLE} DISABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER {guards.TABLE}_no_update")
        cursor.execute(
            f"UPDATE {guards.TABLE} SET domain = 'other' WHERE id = %s", [intake.pk]
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {guards.TABLE} ENABLE TRIGGER USER")
        else:
            cursor.execute(guards.SQLITE_FORWARD[0])

    problems = verify_records().problems
    assert any(
        f"use-case intake {intake.pk} differs from what its audit entry sealed" in p
        for p in problems
    ), problems


def test_an_intake_that_would_lower_the_tier_becomes_a_request(model, data_scientist):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="critical")

    outcome = submit_intake(actor=data_scientist, model=model, answers=MINIMAL)

    model.refresh_from_db()
    # The category is a first assessment (from unassessed): applied. The
    # tier would fall from critical to low: asked for.
    assert (model.risk_tier, model.ai_act_category) == ("critical", "minimal")
    change = outcome.change_request
    assert change is not None and change.is_pending
    assert (change.from_tier, change.to_tier) == ("critical", "low")
    assert (change.from_category, change.to_category) == ("minimal", "minimal")
    assert change.intake == outcome.intake
    assert change.requested_by == data_scientist


def test_a_category_moving_away_from_a_stricter_one_is_a_request(
    model, data_scientist, governance_admin
):
    submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)

    outcome = submit_intake(
        actor=data_scientist,
        model=model,
        answers=answers(domain="other", interacts_with_people=True),
    )

    model.refresh_from_db()
    assert (model.risk_tier, model.ai_act_category) == ("high", "high_risk")
    change = outcome.change_request
    assert (change.to_tier, change.to_category) == ("medium", "limited_risk")

    approve_risk_class_change(actor=governance_admin, change=change, comment="ok")

    model.refresh_from_db()
    assert (model.risk_tier, model.ai_act_category) == ("medium", "limited_risk")


def test_a_newer_intake_withdraws_the_pending_request(model, data_scientist):
    submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)
    first = submit_intake(actor=data_scientist, model=model, answers=MINIMAL)

    submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)

    first.change_request.refresh_from_db()
    assert first.change_request.status == "withdrawn"
    assert not RiskClassChange.objects.filter(status="pending").exists()


@pytest.mark.parametrize(
    ("field", "answers_given"),
    [
        ("purpose", answers(purpose="  ")),
        ("domain", answers(domain="astrology")),
        ("autonomy", answers(autonomy=None)),
        ("affected_groups", answers(affected_groups=["martians"])),
        ("personal_data", answers(personal_data=["none", "biometric"])),
        ("prohibited_practices", answers(prohibited_practices="social_scoring")),
        ("generative", answers(generative="yes")),
        ("vendor_name", answers(provenance="vendor", vendor_name="")),
        ("colour", answers(colour="blue")),
    ],
)
def test_bad_answers_name_their_field_and_store_nothing(
    model, data_scientist, field, answers_given
):
    with pytest.raises(FieldError) as error:
        submit_intake(actor=data_scientist, model=model, answers=answers_given)

    assert error.value.field == field
    assert not UseCaseIntake.objects.exists()


def test_another_teams_data_scientist_cannot_answer(model, other_data_scientist):
    with pytest.raises(PermissionDeniedError):
        submit_intake(actor=other_data_scientist, model=model, answers=CREDIT_SCORING)


# -- direct changes of risk_tier --------------------------------------------


def test_nobody_lowers_a_tier_directly_governance_admins_included(
    model, data_scientist, governance_admin
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")

    for actor in (data_scientist, governance_admin):
        with pytest.raises(RiskClassChangeRequiredError) as error:
            update_model(actor=actor, model=model, risk_tier="low")
        assert error.value.message.startswith("risk_tier: lowering")
        # The field is the key: its message does not name it again.
        assert error.value.details["risk_tier"][0].startswith("lowering")
        assert "/risk-class-changes/" in error.value.message
    model.refresh_from_db()
    assert model.risk_tier == "high"


def test_a_data_scientist_raises_the_tier_directly(model, data_scientist):
    update_model(actor=data_scientist, model=model, risk_tier="critical")

    model.refresh_from_db()
    assert model.risk_tier == "critical"


def test_raising_the_tier_withdraws_a_request_made_against_the_old_one(
    model, data_scientist
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")
    change = request_risk_class_change(
        actor=data_scientist, model=model, to_tier="medium", reason="Advisory only."
    )

    update_model(actor=data_scientist, model=model, risk_tier="critical")

    change.refresh_from_db()
    assert change.status == "withdrawn"


# -- four eyes -----------------------------------------------------------------


@pytest.fixture
def pending(model, data_scientist):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")
    return request_risk_class_change(
        actor=data_scientist, model=model, to_tier="low", reason="Batch reports only."
    )


def test_a_governance_admin_approves_and_the_tier_is_lowered(
    pending, model, governance_admin
):
    approved = approve_risk_class_change(
        actor=governance_admin, change=pending, comment="Agreed."
    )

    model.refresh_from_db()
    assert model.risk_tier == "low"
    assert approved.status == "approved"
    assert approved.decided_by == governance_admin
    assert LogEntry.objects.get_for_object(approved).exists()


def test_a_rejection_keeps_the_tier_and_needs_a_reason(
    pending, model, governance_admin
):
    with pytest.raises(FieldError):
        reject_risk_class_change(actor=governance_admin, change=pending, comment="")

    rejected = reject_risk_class_change(
        actor=governance_admin, change=pending, comment="Still affects applicants."
    )

    model.refresh_from_db()
    assert model.risk_tier == "high"
    assert rejected.status == "rejected"


def test_the_requester_cannot_decide_even_as_governance_admin(
    model, governance_admin, second_admin
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")
    change = request_risk_class_change(
        actor=governance_admin, model=model, to_tier="medium", reason="Reassessed."
    )

    with pytest.raises(FourEyesError):
        approve_risk_class_change(actor=governance_admin, change=change)
    with pytest.raises(FourEyesError):
        reject_risk_class_change(actor=governance_admin, change=change, comment="x")

    approve_risk_class_change(actor=second_admin, change=change)
    model.refresh_from_db()
    assert model.risk_tier == "medium"


def test_only_a_governance_admin_decides(pending, reviewer, data_scientist):
    for actor in (reviewer, data_scientist):
        with pytest.raises(PermissionDeniedError):
            approve_risk_class_change(actor=actor, change=pending)


def test_a_decided_request_is_not_decided_again(
    pending, governance_admin, second_admin
):
    approve_risk_class_change(actor=governance_admin, change=pending)

    with pytest.raises(RiskClassChangeDecidedError):
        reject_risk_class_change(actor=second_admin, change=pending, comment="late")


def test_one_pending_request_per_model(pending, model, data_scientist):
    with pytest.raises(RiskClassChangePendingError):
        request_risk_class_change(
            actor=data_scientist, model=model, to_tier="medium", reason="Other."
        )


def test_a_request_must_lower_the_tier(model, data_scientist):
    with pytest.raises(FieldError) as error:
        request_risk_class_change(
            actor=data_scientist, model=model, to_tier="high", reason="Up."
        )

    assert error.value.field == "to_tier"


def test_the_database_refuses_a_self_decided_request(pending, data_scientist):
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskClassChange.objects.filter(pk=pending.pk).update(
            status="approved",
            decided_by=data_scientist,
            decided_at="2026-12-04T00:00:00Z",
        )


def test_current_intakes_is_one_query(team, data_scientist, django_assert_num_queries):
    models = [MLModelFactory(team=team, risk_tier="low") for _ in range(3)]
    for model in models:
        submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)
        submit_intake(actor=data_scientist, model=model, answers=MINIMAL)

    with django_assert_num_queries(1):
        current = current_intakes([model.pk for model in models])
        assert {intake.revision for intake in current.values()} == {2}
        assert [current[m.pk].answered_by.username for m in models] == ["scientist"] * 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_submissions_take_consecutive_revisions(team, data_scientist):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL")
    model = MLModelFactory(team=team, risk_tier="low")
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def submit():
        try:
            barrier.wait()
            submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(
        UseCaseIntake.objects.filter(model=model).values_list("revision", flat=True)
    ) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("field", "limit"),
    [("purpose", 5000), ("human_oversight_measures", 5000), ("vendor_name", 200)],
)
def test_an_overlong_answer_is_refused_naming_its_field(
    model, data_scientist, field, limit
):
    too_long = {"provenance": "vendor", "vendor_name": "Acme", field: "x" * (limit + 1)}
    with pytest.raises(FieldError) as raised:
        submit_intake(actor=data_scientist, model=model, answers=answers(**too_long))

    assert raised.value.field == field
    assert not UseCaseIntake.objects.exists()
