from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import Approval, Policy, Rule, Waiver
from registry.models import ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory, UserFactory
from tests.governance.conftest import auc_floor

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_reviewer(reviewer):
    reviewer.is_staff = True
    reviewer.save()
    return reviewer


@pytest.fixture
def staff_admin(governance_admin):
    governance_admin.is_staff = True
    governance_admin.save()
    return governance_admin


def policy_form(**overrides):
    data = {
        "name": "floor",
        "description": "",
        "enforcement": "enforce",
        "risk_tiers": ["high"],
        "environments": ["production"],
        "tags": "pii, batch",
        "reason": "A floor for risky models",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "rules-0-position": "1",
        "rules-0-kind": "metric_threshold",
        "rules-0-params": '{"metric": "auc", "op": ">=", "value": 0.8}',
    }
    data.update(overrides)
    return data


def test_admin_creates_a_policy_through_the_service(client, staff_admin):
    client.force_login(staff_admin)

    response = client.post(reverse("admin:governance_policy_add"), policy_form())

    assert response.status_code == 302, response.content
    policy = Policy.objects.get()
    assert (policy.revision, policy.tags, policy.risk_tiers) == (
        1,
        ["batch", "pii"],
        ["high"],
    )
    assert Rule.objects.get().params == {"metric": "auc", "op": ">=", "value": 0.8}
    revision = policy.revisions.get()
    assert (revision.reason, revision.changed_by) == (
        "A floor for risky models",
        staff_admin,
    )


def test_admin_scopes_a_policy_to_model_kinds(client, staff_admin):
    client.force_login(staff_admin)

    response = client.post(
        reverse("admin:governance_policy_add"),
        policy_form(model_kinds=["vendor_model", "llm_application"]),
    )

    assert response.status_code == 302, response.content
    policy = Policy.objects.get()
    assert policy.model_kinds == ["llm_application", "vendor_model"]
    scope = policy.revisions.get().document["scope"]
    assert scope["model_kinds"] == ["llm_application", "vendor_model"]
    listing = client.get(reverse("admin:governance_policy_changelist"))
    assert "kinds llm_application, vendor_model" in listing.content.decode()


def test_admin_refuses_an_unknown_model_kind(client, staff_admin):
    client.force_login(staff_admin)

    response = client.post(
        reverse("admin:governance_policy_add"), policy_form(model_kinds=["bot"])
    )

    assert response.status_code == 200
    assert "model_kinds" in response.context["adminform"].form.errors
    assert not Policy.objects.exists()


def test_admin_refuses_a_policy_without_a_reason(client, staff_admin):
    client.force_login(staff_admin)

    response = client.post(
        reverse("admin:governance_policy_add"), policy_form(reason="")
    )

    assert response.status_code == 200
    assert not Policy.objects.exists()


def test_admin_refuses_a_bad_rule_naming_the_parameter(client, staff_admin):
    client.force_login(staff_admin)

    response = client.post(
        reverse("admin:governance_policy_add"),
        policy_form(**{"rules-0-params": '{"metric": "auc", "op": "~", "value": 0.8}'}),
    )

    assert response.status_code == 200
    assert b"params.op" in response.content
    assert not Policy.objects.exists()


def test_admin_edit_raises_the_revision(client, staff_admin, make_policy):
    policy = make_policy("floor", [auc_floor(0.8)])
    rule = policy.rules.get()
    client.force_login(staff_admin)

    client.post(
        reverse("admin:governance_policy_change", args=[policy.pk]),
        policy_form(
            **{
                "rules-INITIAL_FORMS": "1",
                "rules-0-id": str(rule.pk),
                "rules-0-policy": str(policy.pk),
                "rules-0-params": '{"metric": "auc", "op": ">=", "value": 0.9}',
            }
        ),
    )

    policy.refresh_from_db()
    assert policy.revision == 2
    assert policy.rules.get().params["value"] == 0.9


def test_admin_approve_action_refuses_a_self_approval(client, staff_reviewer, team):
    version = ModelVersionFactory(
        model=MLModelFactory(team=team),
        version=1,
        status="in_review",
        submitted_by=staff_reviewer,
    )
    client.force_login(staff_reviewer)

    response = client.post(
        reverse("admin:registry_modelversion_changelist"),
        {"action": "approve", "_selected_action": [version.pk], "note": "fine"},
        follow=True,
    )

    assert b"independent reviewer" in response.content
    assert not Approval.objects.exists()


def test_admin_approve_action_records_the_comment(client, staff_reviewer, team):
    version = ModelVersionFactory(
        model=MLModelFactory(team=team), version=1, status="in_review"
    )
    client.force_login(staff_reviewer)

    client.post(
        reverse("admin:registry_modelversion_changelist"),
        {"action": "approve", "_selected_action": [version.pk], "note": "Validated"},
    )

    approval = Approval.objects.get()
    assert (approval.reviewer, approval.comment) == (staff_reviewer, "Validated")
    version.refresh_from_db()
    assert version.status == "approved"


def test_admin_submit_action_records_an_evaluation(client, team):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    version = ModelVersionFactory(model=MLModelFactory(team=team), version=1)
    client.force_login(superuser)

    client.post(
        reverse("admin:registry_modelversion_changelist"),
        {"action": "submit", "_selected_action": [version.pk]},
    )

    version.refresh_from_db()
    assert version.status == ModelVersion.Status.IN_REVIEW
    assert version.evaluations.get().trigger == "submission"


def test_admin_waiver_form_refuses_the_versions_author(
    client, staff_admin, team, make_policy
):
    policy = make_policy("floor", [auc_floor()])
    version = ModelVersionFactory(
        model=MLModelFactory(team=team), version=1, created_by=staff_admin
    )
    client.force_login(staff_admin)

    response = client.post(
        reverse("admin:governance_waiver_add"),
        {
            "version": version.pk,
            "policy": policy.pk,
            "rule_position": 1,
            "justification": "Mine",
            "expires_at_0": (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d"),
            "expires_at_1": "12:00:00",
        },
    )

    assert response.status_code == 200
    assert b"another governance admin" in response.content
    assert not Waiver.objects.exists()


def test_admin_waiver_state_filter_and_revoke_action(
    client, staff_admin, team, make_policy
):
    policy = make_policy("floor", [auc_floor()])
    version = ModelVersionFactory(model=MLModelFactory(team=team), version=1)
    now = timezone.now()
    active = Waiver.objects.create(
        version=version,
        policy=policy,
        rule_position=1,
        justification="a",
        granted_by=staff_admin,
        expires_at=now + timedelta(days=3),
    )
    Waiver.objects.create(
        version=version,
        policy=policy,
        rule_position=1,
        justification="b",
        granted_by=staff_admin,
        granted_at=now - timedelta(days=9),
        expires_at=now - timedelta(days=1),
    )
    client.force_login(staff_admin)
    url = reverse("admin:governance_waiver_changelist")

    assert client.get(url + "?state=active").context["cl"].result_count == 1
    assert client.get(url + "?state=expired").context["cl"].result_count == 1
    client.post(
        url, {"action": "revoke", "_selected_action": [active.pk], "note": "Done"}
    )

    active.refresh_from_db()
    assert active.revoked_by == staff_admin
    assert client.get(url + "?state=revoked").context["cl"].result_count == 1


@pytest.mark.parametrize(
    "page",
    [
        "admin:governance_policy_changelist",
        "admin:governance_approval_changelist",
        "admin:governance_waiver_changelist",
        "admin:governance_evaluation_changelist",
    ],
)
def test_governance_admin_pages_load(client, staff_admin, page):
    client.force_login(staff_admin)

    assert client.get(reverse(page)).status_code == 200


def test_admin_deletes_a_policy_through_the_service(
    client, staff_admin, make_policy, django_capture_on_commit_callbacks
):
    policy = make_policy("floor", [auc_floor()])
    client.force_login(staff_admin)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("admin:governance_policy_delete", args=[policy.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert not Policy.objects.exists()
    assert len(callbacks) == 1  # the policy.deleted announcement


def test_admin_refuses_to_delete_a_policy_with_waivers(
    client, staff_admin, team, make_policy
):
    policy = make_policy("floor", [auc_floor()])
    Waiver.objects.create(
        version=ModelVersionFactory(model=MLModelFactory(team=team), version=1),
        policy=policy,
        rule_position=1,
        justification="x",
        granted_by=staff_admin,
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(staff_admin)

    page = client.get(reverse("admin:governance_policy_delete", args=[policy.pk]))

    assert page.status_code == 200
    assert b"Cannot delete policy" in page.content
    assert Policy.objects.exists()


def test_the_version_page_is_registered_once_with_reviews_extension():
    from django.contrib import admin

    from registry.admin import ModelVersionAdmin

    page = admin.site._registry[ModelVersion]
    assert type(page) is ModelVersionAdmin
    actions = [getattr(action, "__name__", action) for action in page.actions]
    assert actions == ["submit", "approve", "reject", "retire"]
    assert {inline.model.__name__ for inline in page.inlines} == {
        "DriftAlert",
        "Evaluation",
        "Approval",
        "Waiver",
    }


def test_admin_reject_action_needs_a_comment(client, team):
    reviewer = UserFactory(
        username="staff-rev", is_staff=True, is_superuser=True, roles=["reviewer"]
    )
    version = ModelVersionFactory(
        model=MLModelFactory(team=team), version=1, status="in_review"
    )
    client.force_login(reviewer)

    response = client.post(
        reverse("admin:registry_modelversion_changelist"),
        {"action": "reject", "_selected_action": [version.pk], "note": ""},
        follow=True,
    )

    assert b"Say why the version is rejected" in response.content
    version.refresh_from_db()
    assert version.status == "in_review"
    assert not version.approvals.exists()
