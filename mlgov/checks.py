"""System checks of the project's own settings."""

from django.conf import settings
from django.core import checks

from mlgov.sso import (
    REQUIRED_OIDC_SETTINGS,
    invalid_group_roles,
    missing_oidc_settings,
    sso_is_configured,
)

# Asymmetric signatures only: with HS256 the client secret would be the key.
SUPPORTED_SIGN_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")


# A deploy check: one runserver process counts correctly, so the notice is
# noise on every manage.py command; it matters with several workers, which
# `check --deploy` and gunicorn's start (gunicorn.conf.py) point out.
@checks.register(checks.Tags.caches, deploy=True)
def rate_limit_counters_are_shared(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Say so when rate-limit counters live in one process's memory."""
    backend = settings.CACHES["default"]["BACKEND"]
    if "redis" in backend.lower():
        return []
    return [
        checks.Info(
            "Rate-limit counters and the cache are per process (local-memory "
            "cache): each worker counts on its own. Set REDIS_URL to share them.",
            id="mlgov.I001",
        )
    ]


@checks.register(checks.Tags.security)
def single_sign_on_is_complete(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Name what the OpenID Connect set-up lacks, and a sign-in nobody can use."""
    errors: list[checks.CheckMessage] = []
    configured = sso_is_configured()
    started = configured or any(
        getattr(settings, name) for name in REQUIRED_OIDC_SETTINGS
    )
    if started:
        missing = missing_oidc_settings()
        if missing:
            errors.append(
                checks.Error(
                    f"Single sign-on is half configured: {', '.join(missing)} empty.",
                    hint="Set them (docs/operations.md, Single sign-on) or unset "
                    "OIDC_RP_CLIENT_ID.",
                    id="mlgov.E010",
                )
            )
        if not settings.OIDC_GROUP_ROLES:
            errors.append(
                checks.Error(
                    "OIDC_GROUP_ROLES is empty: every sign-in through the "
                    "identity provider would be refused.",
                    hint='For example {"mlgov-viewers": "viewer"}.',
                    id="mlgov.E011",
                )
            )
        if settings.OIDC_RP_SIGN_ALGO not in SUPPORTED_SIGN_ALGORITHMS:
            errors.append(
                checks.Error(
                    f"OIDC_RP_SIGN_ALGO {settings.OIDC_RP_SIGN_ALGO!r} is not "
                    f"one of {', '.join(SUPPORTED_SIGN_ALGORITHMS)}.",
                    id="mlgov.E012",
                )
            )
        if settings.IS_PRODUCTION:
            plain = [
                name
                for name in REQUIRED_OIDC_SETTINGS
                if name.startswith("OIDC_OP_")
                and str(getattr(settings, name)).startswith("http://")
            ]
            if plain:
                errors.append(
                    checks.Error(
                        f"{', '.join(plain)} use plain HTTP; production talks "
                        "to the identity provider over HTTPS only.",
                        id="mlgov.E013",
                    )
                )
    for group, problem in invalid_group_roles(settings.OIDC_GROUP_ROLES).items():
        errors.append(
            checks.Error(f"OIDC_GROUP_ROLES[{group!r}]: {problem}.", id="mlgov.E014")
        )
    if not settings.LOCAL_PASSWORD_LOGIN and not configured:
        errors.append(
            checks.Error(
                "LOCAL_PASSWORD_LOGIN is off and single sign-on is not "
                "configured: only the break-glass users could sign in.",
                hint="Configure OIDC_* or set LOCAL_PASSWORD_LOGIN=true.",
                id="mlgov.E015",
            )
        )
    return errors
