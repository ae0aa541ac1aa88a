"""set_sso_teams: the identity provider's word on team membership."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry

from registry.services import set_sso_teams
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_user_ends_in_exactly_the_named_teams_that_exist():
    user = UserFactory()
    kept, dropped, joined = (TeamFactory(name=n) for n in ("kept", "dropped", "new"))
    kept.members.add(user)
    dropped.members.add(user)

    teams = set_sso_teams(user=user, team_names=["kept", "new", "no-such-team"])

    assert [team.name for team in teams] == ["kept", "new"]
    assert sorted(user.teams.values_list("name", flat=True)) == ["kept", "new"]
    assert joined.members.filter(pk=user.pk).exists()
    assert not dropped.members.filter(pk=user.pk).exists()


def test_each_membership_change_is_audited_as_the_actor_s():
    user = UserFactory()
    team = TeamFactory(name="fraud")

    with set_actor(user):
        set_sso_teams(user=user, team_names=["fraud"])
        set_sso_teams(user=user, team_names=[])

    changes = [
        (entry.changes_dict["members"]["operation"], entry.actor)
        for entry in LogEntry.objects.get_for_object(team).order_by("pk")
        if "members" in entry.changes_dict
    ]
    assert changes == [("add", user), ("delete", user)]


def test_the_same_teams_again_change_nothing():
    user = UserFactory()
    team = TeamFactory(name="fraud", members=[user])
    entries_before = LogEntry.objects.get_for_object(team).count()

    set_sso_teams(user=user, team_names=["fraud"])

    assert LogEntry.objects.get_for_object(team).count() == entries_before
