"""The admin's door: staff get the admin, signed-in users without admin rights
are sent to the command center with a message, anonymous users sign in."""

import pytest
from django.test import Client

from mlgov.admin_site import NOT_FOR_YOUR_ROLE

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", ["/admin/", "/admin/registry/mlmodel/"])
def test_a_user_without_admin_rights_lands_on_the_command_center_with_a_message(
    data_scientist, path
):
    response = signed_in(data_scientist).get(path, follow=True)

    assert response.redirect_chain[-1] == ("/", 302)
    page = response.content.decode()
    assert "Portfolio overview" in page
    assert NOT_FOR_YOUR_ROLE in page
    assert 'name="password"' not in page


def test_the_message_is_shown_once(executive):
    client = signed_in(executive)
    client.get("/admin/", follow=True)

    assert NOT_FOR_YOUR_ROLE not in client.get("/").content.decode()


def test_anonymous_users_still_get_the_admin_login_form():
    response = Client().get("/admin/", follow=True)

    assert response.redirect_chain[-1] == ("/admin/login/?next=/admin/", 302)
    assert 'name="password"' in response.content.decode()


def test_staff_get_the_admin(governance_admin):
    governance_admin.is_staff = True
    governance_admin.save()

    response = signed_in(governance_admin).get("/admin/")

    assert response.status_code == 200
    assert "Site administration" in response.content.decode()
