"""set_sso_roles: the identity provider's word on a user's roles."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group

from mlgov.exceptions import DomainError
from mlgov.permissions import user_roles
from mlgov.services import set_sso_roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_role_groups_become_exactly_the_given_roles_and_others_stay():
    user = UserFactory(roles=["governance_admin", "executive"])
    other = Group.objects.create(name="newsletter")
    user.groups.add(other)

    set_sso_roles(user=user, roles=["reviewer", "executive"], actor=user)

    names = set(user.groups.values_list("name", flat=True))
    assert names == {"reviewer", "executive", "newsletter"}
    assert "governance_admin" not in user_roles(user)


def test_each_change_is_audited_on_the_user_as_the_actor_s():
    user = UserFactory(roles=["viewer"])
    actor = UserFactory()

    set_sso_roles(user=user, roles=["auditor"], actor=actor)

    entries = LogEntry.objects.get_for_object(user).order_by("pk")
    assert [
        (e.changes_dict["groups"]["operation"], e.changes_dict["groups"]["objects"])
        for e in entries
    ] == [("delete", ["viewer"]), ("add", ["auditor"])]
    assert {entry.actor for entry in entries} == {actor}


def test_unchanged_roles_write_nothing():
    user = UserFactory(roles=["viewer"])

    set_sso_roles(user=user, roles=["viewer"], actor=user)

    assert not LogEntry.objects.get_for_object(user).exists()


def test_an_unknown_role_is_refused_and_nothing_changes():
    user = UserFactory(roles=["viewer"])

    with pytest.raises(DomainError, match="Unknown role root"):
        set_sso_roles(user=user, roles=["viewer", "root"], actor=user)

    assert set(user.groups.values_list("name", flat=True)) == {"viewer"}
