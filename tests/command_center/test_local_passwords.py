"""Local passwords switched off: only break-glass users may use one, on the
product's sign-in page and the admin's; API tokens keep working; and a
signed-in session ends at its maximum age."""

import time

import pytest
from django.test import Client

from mlgov import session_age
from tests.command_center.oidc_provider import PROVIDER_NAME
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def passwords_off(sso_settings):
    sso_settings.LOCAL_PASSWORD_LOGIN = False
    sso_settings.BREAK_GLASS_USERS = ["root-admin"]
    return sso_settings


def test_with_local_passwords_off_an_ordinary_user_s_password_is_refused(
    passwords_off,
):
    UserFactory(username="viewer", roles=["viewer"])
    client = Client()

    response = client.post("/sign-in/", {"username": "viewer", "password": PASSWORD})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert client.get("/")["Location"].startswith("/sign-in/")


def test_with_local_passwords_off_a_break_glass_user_still_signs_in(passwords_off):
    UserFactory(username="root-admin", roles=["governance_admin"])
    client = Client()

    response = client.post(
        "/sign-in/", {"username": "root-admin", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_with_local_passwords_off_the_admin_login_refuses_ordinary_staff(
    passwords_off,
):
    UserFactory(username="staff", roles=["governance_admin"], is_staff=True)
    client = Client()

    client.post("/admin/login/", {"username": "staff", "password": PASSWORD})

    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_with_local_passwords_off_the_page_offers_only_the_provider(passwords_off):
    page = Client().get("/sign-in/").content.decode()

    assert f"Sign in with {PROVIDER_NAME}" in page
    assert 'id="id_password"' not in page


def test_the_break_glass_form_is_at_its_own_address(passwords_off):
    page = Client().get("/sign-in/?local=1").content.decode()

    assert 'id="id_password"' in page


def test_api_tokens_still_work_with_local_passwords_off(passwords_off, api_client_for):
    viewer = UserFactory(username="viewer", roles=["viewer"])

    response = api_client_for(viewer).get("/api/v1/models/")

    assert response.status_code == 200


def test_a_session_is_signed_out_at_its_maximum_age(settings, monkeypatch):
    settings.SESSION_MAX_AGE_HOURS = 2
    viewer = UserFactory(username="viewer", roles=["viewer"])
    client = Client()
    client.force_login(viewer)
    signed_in_at = time.time()

    monkeypatch.setattr(session_age.time, "time", lambda: signed_in_at + 7100)
    assert client.get("/").status_code == 200

    monkeypatch.setattr(session_age.time, "time", lambda: signed_in_at + 7300)
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/"
    page = client.get(response["Location"]).content.decode()
    assert "Your session reached its maximum age" in page
    monkeypatch.setattr(session_age.time, "time", lambda: signed_in_at)
    assert client.get("/")["Location"].startswith("/sign-in/")


def test_a_session_older_than_the_limit_s_introduction_counts_from_now(
    settings, monkeypatch
):
    settings.SESSION_MAX_AGE_HOURS = 1
    viewer = UserFactory(username="viewer", roles=["viewer"])
    client = Client()
    client.force_login(viewer)
    session = client.session
    del session[session_age.SIGNED_IN_AT]
    session.save()
    now = time.time()
    monkeypatch.setattr(session_age.time, "time", lambda: now)

    assert client.get("/").status_code == 200
    monkeypatch.setattr(session_age.time, "time", lambda: now + 3700)
    assert client.get("/").status_code == 302
