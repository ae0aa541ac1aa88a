"""The six roles of DESIGN.md §4, as Django groups, and the model permissions
each group holds so that governance staff can use the admin."""

from django.apps import AppConfig, apps
from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    DATA_SCIENTIST = "data_scientist", "Data scientist"
    REVIEWER = "reviewer", "Reviewer"
    GOVERNANCE_ADMIN = "governance_admin", "Governance admin"
    EXECUTIVE = "executive", "Executive"
    AUDITOR = "auditor", "Auditor"


# Each role may do everything the roles it includes may do ("+" in DESIGN §4).
ROLE_INCLUDES: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({Role.VIEWER}),
    Role.DATA_SCIENTIST: frozenset({Role.VIEWER, Role.DATA_SCIENTIST}),
    Role.REVIEWER: frozenset({Role.VIEWER, Role.DATA_SCIENTIST, Role.REVIEWER}),
    Role.GOVERNANCE_ADMIN: frozenset(
        {Role.VIEWER, Role.DATA_SCIENTIST, Role.REVIEWER, Role.GOVERNANCE_ADMIN}
    ),
    Role.EXECUTIVE: frozenset({Role.VIEWER, Role.EXECUTIVE}),
    Role.AUDITOR: frozenset({Role.VIEWER, Role.AUDITOR}),
}


def groups_granting(role: str) -> frozenset[str]:
    """The groups whose members hold `role`, directly or by inclusion."""
    return frozenset(name for name, held in ROLE_INCLUDES.items() if role in held)


DOMAIN_APPS = (
    "registry",
    "governance",
    "drift",
    "deployments",
    "compliance",
    "command_center",
)

# Apps whose rows only governance admins see and change in the admin (webhook
# subscriptions hold signing secrets).
ADMIN_ONLY_APPS = ("integrations",)

# Models whose rows may be deleted from the admin; the rest are regulatory
# records that are archived, revoked or superseded instead.
DELETABLE_MODELS = frozenset({"registry.tag", "governance.policy", "governance.rule"})

# Which admin actions each role's group holds, per model ("app.model").
ADMIN_CHANGE_MODELS: dict[str, frozenset[str]] = {
    Role.REVIEWER: frozenset(
        {"registry.modelversion", "drift.driftalert", "drift.monitoringalert"}
    ),
}


def _permission_codenames(role: str, app_config: AppConfig) -> set[str]:
    """Codenames of `app_config`'s models that `role`'s group should hold."""
    codenames: set[str] = set()
    label = app_config.label
    for model in app_config.get_models():
        name = model._meta.model_name
        key = f"{label}.{name}"
        if label in DOMAIN_APPS:
            codenames.add(f"view_{name}")
            if role == Role.GOVERNANCE_ADMIN:
                codenames |= {f"add_{name}", f"change_{name}"}
                if key in DELETABLE_MODELS:
                    codenames.add(f"delete_{name}")
            elif key in ADMIN_CHANGE_MODELS.get(role, frozenset()):
                codenames.add(f"change_{name}")
        elif label in ADMIN_ONLY_APPS and role == Role.GOVERNANCE_ADMIN:
            codenames |= {f"view_{name}", f"add_{name}", f"change_{name}"}
        elif key == "auditlog.logentry" and role in (
            Role.AUDITOR,
            Role.GOVERNANCE_ADMIN,
        ):
            codenames.add(f"view_{name}")
        elif key == "mlgov.apitoken" and role == Role.GOVERNANCE_ADMIN:
            codenames |= {f"view_{name}", f"change_{name}"}
    return codenames


def sync_role_permissions(sender: AppConfig, **kwargs: object) -> None:
    """Grant each role group the model permissions of `sender`'s models."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    using = str(kwargs.get("using", "default"))
    for role in Role.values:
        group = group_model.objects.using(using).filter(name=role).first()
        if group is None:
            continue
        wanted = _permission_codenames(role, sender)
        if not wanted:
            continue
        permissions = permission_model.objects.using(using).filter(
            content_type__app_label=sender.label, codename__in=wanted
        )
        group.permissions.add(*permissions)
