"""Object rules in one place: who may read or change what. DRF permission
classes, the admin and the services all ask these predicates."""

from typing import Protocol

from django.contrib.auth.models import AnonymousUser

from mlgov.actors import Actor
from mlgov.roles import ROLE_INCLUDES, Role

AnyUser = Actor | AnonymousUser


class TeamOwned(Protocol):
    team_id: int


class Authored(Protocol):
    created_by_id: int | None
    submitted_by_id: int | None


def user_roles(user: AnyUser) -> frozenset[str]:
    """Every role the user holds, including those its groups' roles include."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_mlgov_roles", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        roles = frozenset(Role.values)
    else:
        names = user.groups.values_list("name", flat=True)
        roles = frozenset().union(*(ROLE_INCLUDES.get(name, ()) for name in names))
    user._mlgov_roles = roles
    return roles


def has_role(user: AnyUser, role: str) -> bool:
    """Whether the user holds `role` (directly or through a broader role)."""
    return role in user_roles(user)


def user_team_ids(user: AnyUser) -> frozenset[int]:
    """Primary keys of the teams the user is a member of."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_mlgov_team_ids", None)
    if cached is None:
        cached = frozenset(user.teams.values_list("pk", flat=True))
        user._mlgov_team_ids = cached
    return cached


def needs_team_ids(user: AnyUser) -> bool:
    """Whether `can_write_for_team` reads the user's teams: data scientists
    who are not governance admins (those write for any team)."""
    return has_role(user, Role.DATA_SCIENTIST) and not has_role(
        user, Role.GOVERNANCE_ADMIN
    )


def can_read_inventory(user: AnyUser) -> bool:
    """Any role may read the inventory, deployments, drift and evaluations."""
    return bool(user_roles(user))


def can_write_for_team(user: AnyUser, team_id: int) -> bool:
    """Data scientists write for their own teams; governance admins for any."""
    if has_role(user, Role.GOVERNANCE_ADMIN):
        return True
    return has_role(user, Role.DATA_SCIENTIST) and team_id in user_team_ids(user)


def can_write_for_some_team(user: AnyUser) -> bool:
    """Whether any team's models are the user's to change: governance admins,
    and data scientists in at least one team."""
    if has_role(user, Role.GOVERNANCE_ADMIN):
        return True
    return has_role(user, Role.DATA_SCIENTIST) and bool(user_team_ids(user))


def can_write_model(user: AnyUser, model: TeamOwned) -> bool:
    """Whether the user may edit `model` and its versions."""
    return can_write_for_team(user, model.team_id)


def is_author(user: AnyUser, version: Authored) -> bool:
    """Whether the user created or submitted the version."""
    return user.pk is not None and user.pk in (
        version.created_by_id,
        version.submitted_by_id,
    )


def can_administer_governance(user: AnyUser) -> bool:
    """Policies, environments, waivers and the audit trail."""
    return has_role(user, Role.GOVERNANCE_ADMIN)


def can_read_audit_trail(user: AnyUser) -> bool:
    """Auditors and governance admins read the audit trail."""
    return has_role(user, Role.AUDITOR) or has_role(user, Role.GOVERNANCE_ADMIN)


def can_run_simulations(user: AnyUser) -> bool:
    """Governance admins and executives run what-if simulations."""
    return has_role(user, Role.GOVERNANCE_ADMIN) or has_role(user, Role.EXECUTIVE)


def can_review(user: AnyUser) -> bool:
    """Reviewers (and governance admins) approve or reject versions."""
    return has_role(user, Role.REVIEWER)


def can_handle_alerts(user: AnyUser) -> bool:
    """Acknowledge or resolve drift, performance and fairness alerts."""
    return has_role(user, Role.REVIEWER)


def can_assign_reviewers(user: AnyUser) -> bool:
    """Governance admins ask reviewers to decide on versions."""
    return can_administer_governance(user)


def can_comment_on_version(user: AnyUser, model: TeamOwned) -> bool:
    """Reviewers and governance admins comment on any version; data
    scientists on the versions of their own teams' models."""
    return can_review(user) or can_write_model(user, model)


def can_download_evidence_pack(user: AnyUser) -> bool:
    """Evidence packs carry the audit trail: auditors and governance admins."""
    return can_read_audit_trail(user)


def can_generate_technical_documentation(user: AnyUser, model: TeamOwned) -> bool:
    """Governance admins, and the data scientists of the model's team, generate
    a version's technical documentation (auditors change nothing)."""
    return can_write_model(user, model)


def can_read_technical_documentation(user: AnyUser, model: TeamOwned) -> bool:
    """Those who may download evidence packs (auditors, governance admins), and
    the model's team who generates it, read a version's technical documents."""
    return can_download_evidence_pack(user) or can_write_model(user, model)
