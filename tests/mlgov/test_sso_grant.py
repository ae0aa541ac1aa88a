"""Which roles and teams a person's provider groups grant (a pure rule)."""

import pytest

from mlgov.sso import grant_for_groups, invalid_group_roles

MAPPING = {
    "mlgov-viewers": "viewer",
    "mlgov-admins": ["governance_admin", "auditor"],
}


def test_mapped_groups_give_their_roles_and_prefixed_groups_their_teams():
    grant = grant_for_groups(
        groups=["mlgov-admins", "mlgov-team-fraud", "mlgov-team-fraud", "staff"],
        group_roles=MAPPING,
        team_prefix="mlgov-team-",
    )

    assert grant.roles == {"governance_admin", "auditor"}
    assert grant.teams == {"fraud"}
    assert grant.unmapped_groups == ("staff",)


def test_without_a_team_prefix_no_group_names_a_team():
    grant = grant_for_groups(
        groups=["mlgov-team-fraud"], group_roles=MAPPING, team_prefix=""
    )

    assert grant.teams == frozenset()
    assert grant.roles == frozenset()


def test_the_bare_prefix_names_no_team():
    grant = grant_for_groups(
        groups=["mlgov-team-"], group_roles={}, team_prefix="mlgov-team-"
    )

    assert grant.teams == frozenset()


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("root", "unknown role root"),
        (["viewer", "boss"], "unknown role boss"),
        (3, "expected a role or a list of roles"),
    ],
)
def test_a_mapping_entry_naming_no_role_is_reported(entry, problem):
    assert problem in invalid_group_roles({"group": entry})["group"]


def test_a_valid_mapping_has_no_problem():
    assert invalid_group_roles(MAPPING) == {}
