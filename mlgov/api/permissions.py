"""DRF permission classes: thin wrappers around mlgov.permissions."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from mlgov.permissions import can_read_inventory, can_write_for_some_team, has_role
from mlgov.roles import Role


class HasAnyRole(BasePermission):
    """Authenticated users holding at least one role may read."""

    message = "Your account holds no mlgov role."

    def has_permission(self, request, view):
        return can_read_inventory(request.user)


def role_required(role: str, *, for_writes_only: bool = True) -> type[BasePermission]:
    """A permission class: any role reads, `role` is needed to write."""

    class RoleRequired(BasePermission):
        message = f"This needs the {Role(role).label.lower()} role."

        def has_permission(self, request, view):
            if for_writes_only and request.method in SAFE_METHODS:
                return can_read_inventory(request.user)
            return has_role(request.user, role)

    RoleRequired.__name__ = f"Requires{Role(role).name.title().replace('_', '')}"
    return RoleRequired


IsDataScientistForWrites = role_required(Role.DATA_SCIENTIST)
IsGovernanceAdminForWrites = role_required(Role.GOVERNANCE_ADMIN)
IsReviewer = role_required(Role.REVIEWER, for_writes_only=False)


class InATeamForWrites(BasePermission):
    """Writes for a team's models need membership of a team (governance
    admins write for any); pair it with the role's class, which comes first."""

    message = (
        "Your account is in no team, so it may change nothing; ask an "
        "administrator to add it to the team that owns the model."
    )

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or can_write_for_some_team(request.user)
