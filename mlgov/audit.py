"""Attribution of changes in the audit trail."""

from collections.abc import Callable, Sequence

from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model


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


def record_bulk_changes(
    instances: Sequence[Model],
    *,
    action: int,
    changes: Callable[[Model], dict[str, list[str | None]]],
) -> None:
    """Audit entries for rows written with bulk_create or bulk_update, which
    send no signals: one entry per row, attributed like signal-made ones."""
    if not instances:
        return
    try:
        context = auditlog_value.get()
    except LookupError:
        context = {}
    actor = context.get("actor")
    content_type = ContentType.objects.get_for_model(type(instances[0]))
    cid = get_cid()
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                content_type=content_type,
                object_pk=str(instance.pk),
                object_id=instance.pk,
                object_repr=str(instance),
                action=action,
                changes=changes(instance),
                actor=actor,
                actor_email=getattr(actor, "email", None),
                remote_addr=context.get("remote_addr"),
                cid=cid,
            )
            for instance in instances
        ]
    )
