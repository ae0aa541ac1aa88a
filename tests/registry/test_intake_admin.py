"""The admin shows intakes and requests read-only; its actions decide
requests through the services (four eyes included)."""

import pytest
from django.urls import reverse

from mlgov.roles import Role
from registry.intake import request_risk_class_change, submit_intake
from registry.models import MLModel
from tests.factories import MLModelFactory, UserFactory
from tests.registry.intake_answers import CREDIT_SCORING

pytestmark = pytest.mark.django_db


@pytest.fixture
def model(team):
    return MLModelFactory(name="credit", team=team, risk_tier="low")


@pytest.fixture
def staff_admin(db):
    return UserFactory(
        username="staff-admin", roles=[Role.GOVERNANCE_ADMIN], is_staff=True
    )


@pytest.fixture
def pending(model, governance_admin):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")
    return request_risk_class_change(
        actor=governance_admin, model=model, to_tier="low", reason="Reassessed."
    )


def test_intakes_are_shown_with_their_reasoning_and_never_editable(
    client, staff_admin, model, data_scientist
):
    intake = submit_intake(
        actor=data_scientist, model=model, answers=CREDIT_SCORING
    ).intake
    client.force_login(staff_admin)

    listing = client.get(reverse("admin:registry_usecaseintake_changelist"))
    page = client.get(reverse("admin:registry_usecaseintake_change", args=[intake.pk]))
    post = client.post(
        reverse("admin:registry_usecaseintake_change", args=[intake.pk]),
        {"purpose": "changed"},
    )

    assert listing.status_code == 200
    assert b"Annex III 5(b)" in page.content
    assert post.status_code == 403


def test_the_approve_action_goes_through_four_eyes(
    client, staff_admin, governance_admin, pending, model
):
    url = reverse("admin:registry_riskclasschange_changelist")
    governance_admin.is_staff = True
    governance_admin.save()

    client.force_login(governance_admin)
    client.post(url, {"action": "approve", "_selected_action": [pending.pk]})
    model.refresh_from_db()
    assert model.risk_tier == "high"

    client.force_login(staff_admin)
    client.post(url, {"action": "approve", "_selected_action": [pending.pk]})
    model.refresh_from_db()
    assert model.risk_tier == "low"


def test_lowering_the_tier_in_the_model_form_is_refused_with_a_message(
    client, staff_admin, model
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")
    client.force_login(staff_admin)
    url = reverse("admin:registry_mlmodel_change", args=[model.pk])

    response = client.post(
        url,
        {
            "display_name": model.display_name,
            "description": "",
            "owner": "",
            "risk_tier": "low",
            "kind": model.kind,
            "business_use": "",
        },
        follow=True,
    )

    assert b"risk-class-changes" in response.content
    model.refresh_from_db()
    assert model.risk_tier == "high"
