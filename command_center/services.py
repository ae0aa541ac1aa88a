"""State changes of the command center: daily snapshots, saved simulations
and single sign-on. None changes a policy or anything else the portfolio
holds."""

import contextvars
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from command_center.exceptions import SignInRefusedError
from command_center.models import PortfolioSnapshot, SavedSimulation
from command_center.selectors import compute_portfolio
from governance.models import Policy
from governance.services import SavedRun, run_simulation
from mlgov.actors import Actor
from mlgov.exceptions import FieldError
from mlgov.services import set_sso_roles
from mlgov.sso import SsoGrant, grant_for_groups
from registry.services import set_sso_teams


@transaction.atomic
def take_portfolio_snapshot(
    *, now: datetime | None = None
) -> tuple[PortfolioSnapshot, bool]:
    """Record today's headline numbers; a second run the same day updates the
    row. Returns the snapshot and whether it was created."""
    now = now or timezone.now()
    summary = compute_portfolio(now=now).summary
    return _store_snapshot(day=now.date(), taken_at=now, summary=summary)


def _store_snapshot(
    *, day: date, taken_at: datetime, summary: dict[str, Any]
) -> tuple[PortfolioSnapshot, bool]:
    production = summary["production"]
    drift = summary["drift_alerts_open"]
    return PortfolioSnapshot.objects.update_or_create(
        day=day,
        defaults={
            "taken_at": taken_at,
            "model_count": summary["models"],
            "version_count": summary["versions"],
            "models_compliant": summary["models_compliant"],
            "models_compliance_rate": summary["models_compliance_rate"],
            "production_active": production["active"],
            "production_compliant": production["compliant"],
            "production_compliance_rate": production["compliance_rate"],
            "drift_alerts_warning": drift["warning"],
            "drift_alerts_critical": drift["critical"],
            "overdue_reviews": summary["overdue_reviews"]["total"],
            "summary": summary,
        },
    )


def save_simulation(
    *,
    actor: Actor,
    name: str,
    upsert: list[Any],
    remove: list[str],
) -> SavedSimulation:
    """Run a simulation and keep its proposal, result, author and time.

    The result is computed here, never taken from the caller, so a saved run
    shows what the engine found. Policies are not touched."""
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "Give the run a name.")
    if len(name) > 200:
        raise FieldError("name", "At most 200 characters.")
    result = run_simulation(actor=actor, upsert=upsert, remove=remove)
    revisions = dict(Policy.objects.values_list("name", "revision"))
    return SavedSimulation.objects.create(
        name=name,
        proposal={"upsert": upsert, "remove": remove},
        policy_revisions=revisions,
        result=result,
        created_by=actor,
    )


def store_simulation_run(
    *, actor: Actor, name: str, upsert: list[Any], remove: list[str]
) -> SavedRun:
    """`save_simulation` as governance's simulation store (the API's
    `"save": true`), so saved API runs join the page's list."""
    run = save_simulation(actor=actor, name=name, upsert=upsert, remove=remove)
    return SavedRun(id=run.pk, name=run.name, result=run.result)


def _claimed_groups(claims: Mapping[str, Any]) -> list[str]:
    """The provider's group names, from the configured claim."""
    name = settings.OIDC_GROUPS_CLAIM
    groups = claims.get(name, [])
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise SignInRefusedError(
            f"The identity provider sent a {name!r} claim that is not a list of "
            "group names."
        )
    return groups


@transaction.atomic
def sign_in_with_sso(*, claims: Mapping[str, Any]) -> Actor:
    """The user the provider's verified claims name, created on first sign-in,
    with the roles and teams its groups grant now (and only those). Refused,
    with nothing written, when no group maps to a role, the claims name no
    user, or the account signs in locally only."""
    username_claim = settings.OIDC_USERNAME_CLAIM
    username = claims.get(username_claim)
    if not isinstance(username, str) or not username.strip():
        raise SignInRefusedError(
            f"The identity provider did not send the {username_claim!r} claim "
            "that names you in mlgov."
        )
    username = username.strip()
    if username_claim == "email" and claims.get("email_verified") is False:
        # An address the person typed but never proved could name someone
        # else's mlgov account.
        raise SignInRefusedError(
            "The identity provider has not verified your e-mail address, which "
            "names you in mlgov. Verify it there and sign in again."
        )
    user_model = get_user_model()
    try:
        user_model.username_validator(username)
    except ValidationError:
        raise SignInRefusedError(
            f"The {username_claim!r} claim ({username!r}) cannot be an mlgov "
            "username: letters, digits and @.+-_ only."
        ) from None
    if len(username) > (user_model._meta.get_field("username").max_length or 0):
        raise SignInRefusedError(
            f"The {username_claim!r} claim is longer than an mlgov username may be."
        )
    groups = _claimed_groups(claims)
    grant = grant_for_groups(
        groups=groups,
        group_roles=settings.OIDC_GROUP_ROLES,
        team_prefix=settings.OIDC_TEAM_PREFIX,
    )
    if not grant.roles:
        listed = ", ".join(groups) if groups else "none"
        raise SignInRefusedError(
            "None of your groups at the identity provider gives a role in mlgov "
            f"(your groups: {listed}). Ask your administrator to add you to one "
            "of mlgov's groups."
        )
    user = user_model.objects.select_for_update().filter(username=username).first()
    if user is not None and (
        user.is_superuser or username in settings.BREAK_GLASS_USERS
    ):
        raise SignInRefusedError(
            f"The account {username!r} signs in with its local password only."
        )
    if user is not None and not user.is_active:
        raise SignInRefusedError(f"The account {username!r} is deactivated.")
    if user is None:
        # get_or_create: two first sign-ins of one person at once make one user.
        user, _ = user_model.objects.get_or_create(
            username=username,
            defaults={
                "email": claims.get("email") or "",
                "password": make_password(None),
            },
        )
    # auditlog's set_actor leaves its context variable set; a copied context
    # keeps this user from being the actor of whatever the thread does next.
    contextvars.copy_context().run(_apply_sso_grant, user=user, grant=grant)
    return user


def _apply_sso_grant(*, user: Actor, grant: SsoGrant) -> None:
    """Give `user` the grant's roles and teams, as its own audited changes."""
    with set_actor(user):
        set_sso_roles(user=user, roles=grant.roles, actor=user)
        if settings.OIDC_TEAM_PREFIX:
            set_sso_teams(user=user, team_names=grant.teams)
