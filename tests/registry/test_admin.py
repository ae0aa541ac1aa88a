import pytest
from django.urls import reverse

from tests.factories import MLModelFactory, ModelVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def portfolio(team):
    for index in range(5):
        model = MLModelFactory(name=f"m-{index}", team=team, tags=["pii"])
        ModelVersionFactory(model=model, version=1, status="in_review")


ADMIN_PAGES = [
    "admin:registry_team_changelist",
    "admin:registry_environment_changelist",
    "admin:registry_tag_changelist",
    "admin:registry_mlmodel_changelist",
    "admin:registry_modelversion_changelist",
    "admin:mlgov_apitoken_changelist",
    "admin:auditlog_logentry_changelist",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_lists_load(client, superuser, portfolio, page):
    client.force_login(superuser)

    assert client.get(reverse(page)).status_code == 200


def test_version_changelist_queries_do_not_grow_with_rows(
    client, superuser, team, django_assert_max_num_queries
):
    client.force_login(superuser)
    for index in range(30):
        ModelVersionFactory(
            model=MLModelFactory(name=f"m-{index}", team=team), version=1
        )

    with django_assert_max_num_queries(12):
        client.get(reverse("admin:registry_modelversion_changelist"))


def test_submitted_version_evidence_is_read_only_in_the_admin(client, superuser, team):
    version = ModelVersionFactory(
        model=MLModelFactory(team=team), version=1, status="in_review"
    )
    client.force_login(superuser)

    page = client.get(reverse("admin:registry_modelversion_change", args=[version.pk]))

    assert page.status_code == 200
    assert b'name="metrics"' not in page.content


def test_governance_admin_group_can_use_the_admin(client, governance_admin):
    governance_admin.is_staff = True
    governance_admin.save()
    client.force_login(governance_admin)

    assert client.get(reverse("admin:registry_mlmodel_changelist")).status_code == 200
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 200


def test_reviewer_group_cannot_open_the_audit_trail(client, reviewer):
    reviewer.is_staff = True
    reviewer.save()
    client.force_login(reviewer)

    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403


def test_a_submitted_version_page_has_no_save_button(client, superuser, team):
    version = ModelVersionFactory(
        model=MLModelFactory(team=team), version=1, status="in_review"
    )
    client.force_login(superuser)

    page = client.get(reverse("admin:registry_modelversion_change", args=[version.pk]))

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert b'name="_continue"' not in page.content


def test_a_draft_version_page_keeps_its_save_button(client, superuser, team):
    version = ModelVersionFactory(model=MLModelFactory(team=team), version=1)
    client.force_login(superuser)

    page = client.get(reverse("admin:registry_modelversion_change", args=[version.pk]))

    assert b'name="_save"' in page.content


def test_saving_a_submitted_version_anyway_shows_a_message_and_changes_nothing(
    client, superuser, team
):
    version = ModelVersionFactory(
        model=MLModelFactory(team=team), version=1, status="approved"
    )
    url = reverse("admin:registry_modelversion_change", args=[version.pk])
    client.force_login(superuser)
    page = client.get(url)
    data = {"_save": "Save"}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update(
            {
                management.add_prefix(name): value
                for name, value in management.initial.items()
            }
        )

    response = client.post(url, data, follow=True)

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert any("draft" in message.lower() for message in shown), shown
    version.refresh_from_db()
    assert version.status == "approved"
