"""The intake page, the risk class change queue and the model page's
EU AI Act card: what each role sees and what each form does."""

import pytest
from django.test import Client

from mlgov.roles import Role
from registry.intake import request_risk_class_change, submit_intake
from registry.models import MLModel, RiskClassChange, UseCaseIntake
from tests.factories import MLModelFactory, UserFactory
from tests.registry.intake_answers import CREDIT_SCORING, MINIMAL

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def model(team):
    return MLModelFactory(
        name="credit", display_name="Credit", team=team, risk_tier="low"
    )


@pytest.fixture
def second_admin(db):
    return UserFactory(username="gov-admin-2", roles=[Role.GOVERNANCE_ADMIN])


def form_data(answers: dict) -> dict:
    data = {}
    for name, value in answers.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    return data


def test_the_owning_data_scientist_answers_and_sees_the_reasoning(
    model, data_scientist
):
    client = signed_in(data_scientist)

    response = client.post(
        "/models/credit/intake/", form_data(CREDIT_SCORING), follow=True
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "Intake revision 1 stored: high-risk (Annex III 5(b), creditworthiness)."
        in html
    )
    assert 'id="reasoning"' in html
    assert "Art. 6(2), Annex III 5(b)" in html
    assert "Nobody has said who can intervene" in html
    model.refresh_from_db()
    assert (model.ai_act_category, model.risk_tier) == ("high_risk", "high")


def test_a_bad_answer_is_shown_on_its_field(model, data_scientist):
    response = signed_in(data_scientist).post(
        "/models/credit/intake/",
        form_data({**CREDIT_SCORING, "provenance": "vendor", "vendor_name": ""}),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["vendor_name"]
    assert not UseCaseIntake.objects.exists()


def test_a_viewer_reads_but_gets_no_form_and_cannot_post(model, data_scientist, viewer):
    submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)
    client = signed_in(viewer)

    page = client.get("/models/credit/intake/")
    posted = client.post("/models/credit/intake/", form_data(CREDIT_SCORING))

    assert page.status_code == 200
    assert page.context["form"] is None
    assert b"high-risk (Annex III 5(b), creditworthiness)" in page.content
    assert posted.status_code == 403
    assert UseCaseIntake.objects.count() == 1


def test_an_older_revision_is_shown_on_request(model, data_scientist, viewer):
    submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)
    submit_intake(actor=data_scientist, model=model, answers=MINIMAL)
    client = signed_in(viewer)

    old = client.get("/models/credit/intake/?revision=1")
    missing = client.get("/models/credit/intake/?revision=9")

    assert old.context["shown"].revision == 1
    assert old.context["is_current"] is False
    assert missing.status_code == 404


def test_the_form_starts_from_the_current_answers(model, data_scientist):
    submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)

    form = signed_in(data_scientist).get("/models/credit/intake/").context["form"]

    assert form.initial["domain"] == "creditworthiness"
    assert form.initial["purpose"] == CREDIT_SCORING["purpose"]


def test_asking_for_a_lower_tier_and_a_second_admin_approving(
    model, data_scientist, governance_admin, second_admin
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")
    signed_in(data_scientist).post(
        "/models/credit/risk-class-changes/",
        {"to_tier": "medium", "reason": "Advisory only."},
    )
    change = RiskClassChange.objects.get()

    queue = signed_in(governance_admin).get("/risk-class-changes/")
    approved = signed_in(governance_admin).post(
        f"/risk-class-changes/{change.pk}/approve/",
        {"comment": "Agreed.", "back": "model"},
        follow=True,
    )

    assert queue.context["pending"] == [(change, True)]
    assert b'data-action="approve-risk-class"' in queue.content
    assert approved.redirect_chain[-1][0] == "/models/credit/"
    assert b"Approved the request: credit is medium risk" in approved.content
    model.refresh_from_db()
    assert model.risk_tier == "medium"


def test_the_requesting_admin_sees_no_buttons_and_is_refused(
    model, governance_admin, second_admin
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")
    change = request_risk_class_change(
        actor=governance_admin, model=model, to_tier="low", reason="Reassessed."
    )
    client = signed_in(governance_admin)

    page = client.get("/models/credit/")
    refused = client.post(f"/risk-class-changes/{change.pk}/approve/", follow=True)

    assert page.context["can_decide_change"] is False
    assert b"another governance admin decides" in page.content
    assert b"another governance admin decides it" in refused.content
    model.refresh_from_db()
    assert model.risk_tier == "high"
    assert signed_in(second_admin).get("/models/credit/").context["can_decide_change"]


def test_a_rejection_without_a_reason_is_refused(
    model, data_scientist, governance_admin
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="high")
    change = request_risk_class_change(
        actor=data_scientist, model=model, to_tier="low", reason="Reassessed."
    )

    response = signed_in(governance_admin).post(
        f"/risk-class-changes/{change.pk}/reject/", {"comment": ""}, follow=True
    )

    assert b"Say why the change is rejected." in response.content
    change.refresh_from_db()
    assert change.status == "pending"


def test_the_queue_is_for_governance_admins_in_the_navigation(governance_admin, viewer):
    admin_links = signed_in(governance_admin).get("/risk-class-changes/")
    viewer_links = signed_in(viewer).get("/models/")

    assert (
        "risk-classes",
        "Risk classes",
        "/risk-class-changes/",
    ) in admin_links.context["nav_links"]
    assert all(key != "risk-classes" for key, *_ in viewer_links.context["nav_links"])


def test_the_model_page_and_list_show_the_category(model, data_scientist, viewer):
    submit_intake(actor=data_scientist, model=model, answers=CREDIT_SCORING)
    client = signed_in(viewer)

    page = client.get("/models/credit/").content.decode()
    listing = client.get("/models/").content.decode()

    assert 'data-ai-act="high_risk"' in page
    assert "high-risk (Annex III 5(b), creditworthiness)" in page
    assert "human oversight not described" in page
    assert "credit intake r1" in page  # its audit history names the revision
    assert 'data-ai-act="credit"' in listing and "High risk" in listing


@pytest.mark.parametrize(
    ("field", "length"),
    [
        ("purpose", 5001),
        ("affected_persons", 5001),
        ("human_oversight_measures", 5001),
        ("human_oversight_contact", 201),
    ],
)
def test_an_answer_longer_than_the_api_takes_is_refused_on_the_page_too(
    model, data_scientist, field, length
):
    response = signed_in(data_scientist).post(
        "/models/credit/intake/", form_data({**CREDIT_SCORING, field: "x" * length})
    )

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not UseCaseIntake.objects.exists()


def test_asking_for_a_higher_tier_on_the_page_is_refused_in_the_pages_words(
    model, data_scientist
):
    MLModel.objects.filter(pk=model.pk).update(risk_tier="medium")

    response = signed_in(data_scientist).post(
        "/models/credit/risk-class-changes/",
        {"to_tier": "critical", "reason": "Stricter."},
    )

    assert response.status_code == 400
    (message,) = response.context["ask_form"].errors["to_tier"]
    assert "a request lowers the tier" in message
    assert "PATCH" not in message  # an API verb means nothing on a page
    assert not RiskClassChange.objects.exists()


def test_the_answers_read_in_words_not_codes(model, data_scientist):
    submit_intake(
        actor=data_scientist,
        model=model,
        answers={
            **CREDIT_SCORING,
            "affected_groups": ["consumers", "vulnerable_groups"],
            "personal_data": ["personal", "special_category"],
        },
    )

    html = signed_in(data_scientist).get("/models/credit/intake/").content.decode()

    assert "(Consumers, Vulnerable groups (age, disability" in html
    assert "<dd>Personal data, Special categories (GDPR Art. 9" in html
    assert "vulnerable_groups" not in html.split('id="result"')[1].split("</dl>")[0]
