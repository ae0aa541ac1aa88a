"""Single sign-on rules that need no database: whether OpenID Connect is
configured, and which roles and teams a provider's groups grant."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings

from mlgov.roles import Role

# Settings without which the sign-in through the provider cannot work.
REQUIRED_OIDC_SETTINGS = (
    "OIDC_RP_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_ISSUER",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)


@dataclass(frozen=True)
class SsoGrant:
    """What a user's provider groups give in mlgov."""

    roles: frozenset[str]
    teams: frozenset[str]
    unmapped_groups: tuple[str, ...]


def sso_is_configured() -> bool:
    """Whether the sign-in through the identity provider is switched on."""
    return bool(settings.OIDC_RP_CLIENT_ID)


def missing_oidc_settings() -> list[str]:
    """The required OIDC settings left empty, in a stable order."""
    return [name for name in REQUIRED_OIDC_SETTINGS if not getattr(settings, name)]


def roles_of_mapping_entry(entry: object) -> list[str]:
    """The roles one OIDC_GROUP_ROLES entry names (a role or a list of roles)."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, list) and all(isinstance(role, str) for role in entry):
        return list(entry)
    raise ValueError(f"expected a role or a list of roles, got {entry!r}")


def invalid_group_roles(group_roles: Mapping[str, object]) -> dict[str, str]:
    """Each mapping entry that names no known role, with the reason."""
    problems: dict[str, str] = {}
    for group, entry in group_roles.items():
        try:
            roles = roles_of_mapping_entry(entry)
        except ValueError as error:
            problems[group] = str(error)
            continue
        unknown = sorted(set(roles) - set(Role.values))
        if unknown:
            problems[group] = (
                f"unknown role {', '.join(unknown)}; roles are {', '.join(Role.values)}"
            )
    return problems


def grant_for_groups(
    *, groups: Iterable[str], group_roles: Mapping[str, object], team_prefix: str
) -> SsoGrant:
    """The roles and teams that `groups` grant under the configured mapping."""
    roles: set[str] = set()
    teams: set[str] = set()
    unmapped: list[str] = []
    for group in dict.fromkeys(groups):
        if group in group_roles:
            roles.update(roles_of_mapping_entry(group_roles[group]))
        elif (
            team_prefix and group.startswith(team_prefix) and group[len(team_prefix) :]
        ):
            teams.add(group[len(team_prefix) :])
        else:
            unmapped.append(group)
    return SsoGrant(
        roles=frozenset(roles), teams=frozenset(teams), unmapped_groups=tuple(unmapped)
    )
