"""Single sign-on settings: incomplete or unusable ones are named by
`manage.py check`; complete ones pass `check --deploy` in production."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.mlgov.test_settings import PRODUCTION, run_manage

COMPLETE = {
    "OIDC_RP_CLIENT_ID": "mlgov",
    "OIDC_RP_CLIENT_SECRET": "a-client-secret",
    "OIDC_OP_ISSUER": "https://login.example.com/realms/acme",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://login.example.com/auth",
    "OIDC_OP_TOKEN_ENDPOINT": "https://login.example.com/token",
    "OIDC_OP_USER_ENDPOINT": "https://login.example.com/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://login.example.com/certs",
}


@pytest.fixture
def complete_sso(settings):
    for name, value in COMPLETE.items():
        setattr(settings, name, value)
    settings.OIDC_GROUP_ROLES = {"mlgov-viewers": "viewer"}
    return settings


def check_errors() -> str:
    try:
        call_command("check", stdout=StringIO(), stderr=StringIO())
    except SystemCheckError as error:
        return str(error)
    return ""


def test_complete_single_sign_on_settings_pass(complete_sso):
    assert check_errors() == ""


def test_missing_endpoints_are_named(complete_sso):
    complete_sso.OIDC_OP_JWKS_ENDPOINT = ""
    complete_sso.OIDC_RP_CLIENT_SECRET = ""

    errors = check_errors()

    assert "mlgov.E010" in errors
    assert "OIDC_RP_CLIENT_SECRET, OIDC_OP_JWKS_ENDPOINT empty" in errors


def test_endpoints_without_a_client_id_are_half_a_configuration(settings):
    settings.OIDC_OP_ISSUER = COMPLETE["OIDC_OP_ISSUER"]

    assert "OIDC_RP_CLIENT_ID" in check_errors()


def test_a_mapping_to_no_role_would_refuse_everyone(complete_sso):
    complete_sso.OIDC_GROUP_ROLES = {}

    assert "mlgov.E011" in check_errors()


def test_a_mapping_to_an_unknown_role_is_named(complete_sso):
    complete_sso.OIDC_GROUP_ROLES = {"admins": "superuser", "ok": ["viewer"]}

    errors = check_errors()

    assert "OIDC_GROUP_ROLES['admins']: unknown role superuser" in errors
    assert "'ok'" not in errors


def test_a_symmetric_signature_algorithm_is_refused(complete_sso):
    complete_sso.OIDC_RP_SIGN_ALGO = "HS256"

    assert "mlgov.E012" in check_errors()


def test_switching_local_passwords_off_needs_single_sign_on(settings):
    settings.LOCAL_PASSWORD_LOGIN = False

    assert "mlgov.E015" in check_errors()


def test_production_with_single_sign_on_passes_the_deploy_checks_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        **COMPLETE,
        OIDC_GROUP_ROLES='{"mlgov-viewers": "viewer"}',
        LOCAL_PASSWORD_LOGIN="false",
        BREAK_GLASS_USERS="root-admin",
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_plain_http_provider():
    result = run_manage(
        "check",
        **PRODUCTION,
        **{**COMPLETE, "OIDC_OP_TOKEN_ENDPOINT": "http://login.example.com/token"},
        OIDC_GROUP_ROLES='{"mlgov-viewers": "viewer"}',
    )

    assert result.returncode != 0
    assert "mlgov.E013" in result.stderr
    assert "OIDC_OP_TOKEN_ENDPOINT" in result.stderr


def test_a_group_mapping_that_is_not_json_stops_the_start():
    result = run_manage("check", OIDC_GROUP_ROLES="viewers=viewer")

    assert result.returncode != 0
    assert "OIDC_GROUP_ROLES must be a JSON object" in result.stderr
