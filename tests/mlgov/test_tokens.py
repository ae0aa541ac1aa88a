import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from mlgov.exceptions import DomainError
from mlgov.models import APIToken, hash_token
from mlgov.permissions import user_roles
from mlgov.services import issue_token, revoke_token

pytestmark = pytest.mark.django_db


def test_tokens_are_stored_hashed(viewer):
    issued = issue_token(user=viewer, name="ci")

    stored = APIToken.objects.get()
    assert issued.raw not in (stored.key_hash, stored.key_hint)
    assert stored.key_hash == hash_token(issued.raw)
    assert stored.expires_at > timezone.now()


@pytest.mark.parametrize("days", [0, -1, 10_000])
def test_token_lifetime_is_bounded(viewer, days):
    with pytest.raises(DomainError):
        issue_token(user=viewer, name="ci", days=days)


def test_revoked_token_stops_authenticating(viewer, anonymous_client):
    issued = issue_token(user=viewer, name="ci")
    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    assert anonymous_client.get("/api/v1/models/").status_code == 200

    revoke_token(token=issued.token)

    assert anonymous_client.get("/api/v1/models/").status_code == 401


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer not-a-token", "Token abc"]
)
def test_malformed_or_unknown_credentials_get_401(anonymous_client, header):
    response = anonymous_client.get("/api/v1/models/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["error"]["code"] in (
        "authentication_failed",
        "not_authenticated",
    )


def test_token_of_a_deactivated_user_is_refused(viewer, anonymous_client):
    issued = issue_token(user=viewer, name="ci")
    viewer.is_active = False
    viewer.save()
    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")

    assert anonymous_client.get("/api/v1/models/").status_code == 401


def test_issue_token_command_creates_a_service_account(capsys):
    call_command("issue_token", "ci-bot", "--role", "data_scientist", "--days", "30")

    raw = capsys.readouterr().out.strip()
    token = APIToken.objects.select_related("user").get(key_hash=hash_token(raw))
    assert token.user.username == "ci-bot"
    assert not token.user.has_usable_password()
    assert user_roles(token.user) == {"viewer", "data_scientist"}


def test_issue_token_command_refuses_an_unknown_user_without_role():
    with pytest.raises(CommandError):
        call_command("issue_token", "ghost")


def test_issue_token_with_team_lets_the_account_register_models(capsys, team):
    call_command(
        "issue_token", "ci-bot", "--role", "data_scientist", "--team", team.name
    )
    output = capsys.readouterr()
    raw = output.out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = client.post(
        "/api/v1/models/",
        {
            "name": "bot-model",
            "display_name": "B",
            "team": team.name,
            "risk_tier": "low",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert "(fraud)" in output.err


def test_issue_token_team_is_repeatable(team, other_team):
    call_command(
        "issue_token", "ci-bot", "--role", "data_scientist",
        "--team", team.name, "--team", other_team.name,
    )  # fmt: skip

    user = get_user_model().objects.get(username="ci-bot")
    assert set(user.teams.values_list("name", flat=True)) == {"fraud", "pricing"}


def test_issue_token_refuses_an_unknown_team_and_writes_nothing(team):
    with pytest.raises(CommandError, match=r"nope.*known teams: fraud"):
        call_command("issue_token", "ci-bot", "--role", "viewer", "--team", "nope")

    assert not get_user_model().objects.filter(username="ci-bot").exists()
    assert not APIToken.objects.exists()
