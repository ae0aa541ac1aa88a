"""Single sign-on against a real OpenID Connect provider on loopback: the
provider's groups give roles and teams at every sign-in, and every refused
sign-in says why on a page, creating and changing nothing."""

import pytest
import requests
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client

from mlgov.permissions import user_roles
from tests.command_center.oidc_provider import (
    PROVIDER_NAME,
    TAMPER_MODES,
    sign_in_through_provider,
)
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
ALICE = "alice@example.com"


def fresh(user):
    return User.objects.get(pk=user.pk)


def team_names(user) -> list[str]:
    return sorted(user.teams.values_list("name", flat=True))


def role_group_changes(user) -> list[tuple[str, list[str], str]]:
    entries = LogEntry.objects.filter(
        content_type__app_label="auth", content_type__model="user", object_pk=user.pk
    ).order_by("pk")
    return [
        (
            entry.changes_dict["groups"]["operation"],
            entry.changes_dict["groups"]["objects"],
            entry.actor.username,
        )
        for entry in entries
    ]


def test_a_first_sign_in_creates_the_user_with_the_roles_and_teams_of_its_groups(
    sso_settings, oidc_provider
):
    fraud = TeamFactory(name="fraud")
    TeamFactory(name="pricing")
    oidc_provider.set_user(
        ALICE, groups=["mlgov-reviewers", "mlgov-team-fraud", "everyone"]
    )
    client = Client()

    response = sign_in_through_provider(client, ALICE)

    assert response.status_code == 302
    assert response["Location"] == "/"
    alice = User.objects.get(username=ALICE)
    assert user_roles(alice) == {"viewer", "data_scientist", "reviewer"}
    assert team_names(alice) == ["fraud"]
    assert not alice.has_usable_password()
    assert client.get("/").status_code == 200
    assert role_group_changes(alice) == [("add", ["reviewer"], ALICE)]
    membership = LogEntry.objects.get_for_object(fraud).order_by("pk").last()
    assert membership.changes_dict["members"]["operation"] == "add"
    assert membership.actor == alice


def test_the_sign_in_returns_to_the_page_first_asked_for(sso_settings, oidc_provider):
    oidc_provider.set_user(ALICE, groups=["mlgov-viewers"])

    response = sign_in_through_provider(Client(), ALICE, next_path="/models/")

    assert response["Location"] == "/models/"


def test_a_group_removed_at_the_provider_is_a_role_and_team_lost_at_next_sign_in(
    sso_settings, oidc_provider
):
    TeamFactory(name="fraud")
    oidc_provider.set_user(ALICE, groups=["mlgov-admins", "mlgov-team-fraud"])
    sign_in_through_provider(Client(), ALICE)
    alice = User.objects.get(username=ALICE)
    assert "governance_admin" in user_roles(alice)

    oidc_provider.set_user(ALICE, groups=["mlgov-viewers"])
    response = sign_in_through_provider(Client(), ALICE)

    assert response.status_code == 302
    alice = fresh(alice)
    assert user_roles(alice) == {"viewer"}
    assert team_names(alice) == []
    assert role_group_changes(alice)[-2:] == [
        ("delete", ["auditor", "governance_admin"], ALICE),
        ("add", ["viewer"], ALICE),
    ]


def test_an_existing_local_user_is_taken_over_by_the_provider_s_groups(
    sso_settings, oidc_provider
):
    existing = UserFactory(username=ALICE, roles=["governance_admin"])
    oidc_provider.set_user(ALICE, groups=["mlgov-viewers"])

    sign_in_through_provider(Client(), ALICE)

    assert user_roles(fresh(existing)) == {"viewer"}
    assert User.objects.filter(username=ALICE).count() == 1


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("wrong_audience", "issued for another application"),
        ("expired", "sign-in token has expired"),
        ("bad_signature", "signature does not match"),
    ],
)
def test_a_doctored_id_token_is_refused_on_a_page_and_changes_nothing(
    sso_settings, oidc_provider, mode, reason
):
    assert mode in TAMPER_MODES
    existing = UserFactory(username=ALICE, roles=["viewer"])
    oidc_provider.set_user(ALICE, groups=["mlgov-admins"])
    oidc_provider.tamper(mode)
    client = Client()

    response = sign_in_through_provider(client, ALICE)

    assert response.status_code == 403
    page = response.content.decode()
    assert "Sign-in refused" in page
    assert reason in page
    assert user_roles(fresh(existing)) == {"viewer"}
    assert role_group_changes(existing) == []
    assert client.get("/")["Location"].startswith("/sign-in/")


@pytest.mark.parametrize("mode", TAMPER_MODES)
def test_a_doctored_id_token_creates_no_user(sso_settings, oidc_provider, mode):
    oidc_provider.set_user(ALICE, groups=["mlgov-admins"])
    oidc_provider.tamper(mode)

    response = sign_in_through_provider(Client(), ALICE)

    assert response.status_code == 403
    assert not User.objects.filter(username=ALICE).exists()


def test_a_person_in_no_mapped_group_is_refused_and_no_user_is_created(
    sso_settings, oidc_provider
):
    TeamFactory(name="fraud")
    oidc_provider.set_user(ALICE, groups=["marketing", "mlgov-team-fraud"])
    client = Client()

    response = sign_in_through_provider(client, ALICE)

    assert response.status_code == 403
    page = response.content.decode()
    assert "None of your groups at the identity provider gives a role" in page
    assert "marketing" in page
    assert not User.objects.filter(username=ALICE).exists()
    assert client.get("/")["Location"].startswith("/sign-in/")


def test_a_user_dropped_from_every_mapped_group_keeps_its_old_roles_but_is_refused(
    sso_settings, oidc_provider
):
    existing = UserFactory(username=ALICE, roles=["reviewer"])
    oidc_provider.set_user(ALICE, groups=[])

    response = sign_in_through_provider(Client(), ALICE)

    assert response.status_code == 403
    assert "your groups: none" in response.content.decode()
    assert user_roles(fresh(existing)) == {"viewer", "data_scientist", "reviewer"}


def test_a_break_glass_account_cannot_be_signed_in_through_the_provider(
    sso_settings, oidc_provider
):
    sso_settings.BREAK_GLASS_USERS = [ALICE]
    existing = UserFactory(username=ALICE, roles=["governance_admin"])
    oidc_provider.set_user(ALICE, groups=["mlgov-viewers"])

    response = sign_in_through_provider(Client(), ALICE)

    assert response.status_code == 403
    assert "signs in with its local password only" in response.content.decode()
    assert "governance_admin" in user_roles(fresh(existing))


def test_an_unverified_e_mail_address_cannot_name_an_account(
    sso_settings, oidc_provider
):
    existing = UserFactory(username=ALICE, roles=["governance_admin"])
    oidc_provider.set_user(ALICE, groups=["mlgov-viewers"], email_verified=False)

    response = sign_in_through_provider(Client(), ALICE)

    assert response.status_code == 403
    assert "not verified your e-mail address" in response.content.decode()
    assert "governance_admin" in user_roles(fresh(existing))


def test_a_deactivated_account_is_refused(sso_settings, oidc_provider):
    UserFactory(username=ALICE, roles=["viewer"], is_active=False)
    oidc_provider.set_user(ALICE, groups=["mlgov-viewers"])

    response = sign_in_through_provider(Client(), ALICE)

    assert response.status_code == 403
    assert "deactivated" in response.content.decode()


def test_a_sign_in_denied_at_the_provider_says_so(sso_settings):
    client = Client()
    start = client.get("/oidc/authenticate/")
    state = start["Location"].split("state=")[1].split("&")[0]

    response = client.get(f"/oidc/callback/?error=access_denied&state={state}")

    assert response.status_code == 403
    assert "did not sign you in (access_denied)" in response.content.decode()


def test_a_callback_not_started_here_is_refused(sso_settings):
    response = Client().get("/oidc/callback/?code=stolen&state=unknown")

    assert response.status_code == 403
    assert "Sign-in refused" in response.content.decode()


@pytest.mark.parametrize("signed_out_between", [False, True])
def test_a_replayed_callback_is_refused(
    sso_settings, oidc_provider, signed_out_between
):
    oidc_provider.set_user(ALICE, groups=["mlgov-viewers"])
    client = Client()
    start = client.get("/oidc/authenticate/")
    authorized = requests.post(
        start["Location"], data={"sub": ALICE}, allow_redirects=False, timeout=10
    )
    callback = authorized.headers["Location"].split("testserver", 1)[1]
    assert client.get(callback).status_code == 302
    if signed_out_between:
        client.post("/sign-out/")

    replay = client.get(callback)

    assert replay.status_code == 403
    assert "Start again from the sign-in page" in replay.content.decode()


def test_callbacks_are_rate_limited_like_password_attempts(sso_settings):
    sso_settings.RATELIMIT_LOGIN = "2/m"
    client = Client()
    statuses = [
        client.get("/oidc/callback/?code=x&state=y").status_code for _ in range(3)
    ]

    assert statuses == [403, 403, 429]


def test_the_sign_in_page_offers_the_provider_when_configured(sso_settings):
    page = Client().get("/sign-in/?next=/drift/").content.decode()

    assert f"Sign in with {PROVIDER_NAME}" in page
    assert 'href="/oidc/authenticate/?next=/drift/"' in page
    assert 'id="id_password"' in page


def test_without_single_sign_on_the_sign_in_page_has_no_provider_button(db):
    page = Client().get("/sign-in/").content.decode()

    assert "Sign in with" not in page
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert Client().get("/oidc/callback/?code=x&state=y").status_code == 404
