"""Attribution of changes in the audit trail."""

from auditlog.context import auditlog_value
from django.contrib.auth.models import AbstractBaseUser


def attribute_changes_to(user: AbstractBaseUser) -> None:
    """Make `user` the actor of audit entries written for the current request.

    AuditlogMiddleware reads request.user before DRF authenticates a bearer
    token inside the view; this fills in the actor it could not see then."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    if context.get("actor") is None:
        context["actor"] = user
