"""DRF permission classes: thin wrappers around mlgov.permissions."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from mlgov.permissions import can_read_inventory, has_role
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
