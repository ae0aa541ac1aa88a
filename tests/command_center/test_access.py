"""Sign-in and roles: who sees what, and the sign-in page's rate limit."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
PAGES = ["/", "/models/", "/drift/", "/deployments/", "/exports/inventory.csv"]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", [*PAGES, "/simulation/", "/audit/", "/models/x/"])
def test_anonymous_users_are_sent_to_sign_in(path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/sign-in/?next={path}"


def test_the_home_page_is_the_command_center(viewer):
    response = signed_in(viewer).get("/")

    assert response.status_code == 200
    assert b"Portfolio overview" in response.content


def test_signing_in_on_the_product_page_leads_to_the_page_asked_for(viewer):
    client = Client()
    page = client.get("/sign-in/?next=/models/")
    assert b"Sign in to mlgov" in page.content

    response = client.post(
        "/sign-in/", {"username": "viewer", "password": PASSWORD, "next": "/models/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/models/"


def test_a_wrong_password_is_refused_on_the_page(viewer):
    response = Client().post("/sign-in/", {"username": "viewer", "password": "nope"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_sign_in_attempts_are_rate_limited_like_the_admin_login(settings, viewer):
    settings.RATELIMIT_LOGIN = "2/m"
    client = Client()
    attempt = {"username": "viewer", "password": "wrong"}
    tries = [client.post("/sign-in/", attempt).status_code for _ in range(2)]

    refused = client.post("/sign-in/", {"username": "viewer", "password": PASSWORD})

    assert tries == [200, 200]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post_and_ends_the_session(viewer):
    client = signed_in(viewer)

    assert client.get("/sign-out/").status_code == 405
    response = client.post("/sign-out/")

    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("role", ["viewer", "auditor", "data_scientist", "reviewer"])
def test_readers_see_the_overview_and_lists_but_no_simulation(request, role):
    client = signed_in(request.getfixturevalue(role))

    for path in PAGES:
        assert client.get(path).status_code == 200, path
    page = client.get("/").content.decode()
    assert client.get("/simulation/").status_code == 403
    assert 'href="/simulation/"' not in page


@pytest.mark.parametrize("role", ["executive", "governance_admin"])
def test_executives_and_governance_admins_see_the_simulation(request, role):
    client = signed_in(request.getfixturevalue(role))

    assert client.get("/simulation/").status_code == 200
    assert 'href="/simulation/"' in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("role", "sees_audit"),
    [
        ("auditor", True),
        ("governance_admin", True),
        ("viewer", False),
        ("executive", False),
        ("data_scientist", False),
    ],
)
def test_the_audit_page_is_for_auditors_and_governance_admins(
    request, role, sees_audit
):
    client = signed_in(request.getfixturevalue(role))

    assert (client.get("/audit/").status_code == 200) is sees_audit
    assert ('href="/audit/"' in client.get("/").content.decode()) is sees_audit


def test_a_user_without_a_role_is_refused(no_role_user):
    client = signed_in(no_role_user)

    response = client.get("/")

    assert response.status_code == 403
    assert b"not for your role" in response.content


def test_the_admin_link_is_for_staff_only(viewer):
    staff = UserFactory(username="staff", is_staff=True, roles=["viewer"])

    assert 'href="/admin/"' not in signed_in(viewer).get("/").content.decode()
    assert 'href="/admin/"' in signed_in(staff).get("/").content.decode()
