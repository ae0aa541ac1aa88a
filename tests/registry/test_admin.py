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
