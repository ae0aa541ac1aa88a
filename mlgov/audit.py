"""Attribution of changes in the audit trail."""

from collections.abc import Callable, Sequence
from datetime import datetime

from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet


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


def audit_entries(
    *,
    object_type: ContentType | None = None,
    object_id: int | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[LogEntry]:
    """Audit entries with their actor and type, filtered by what was given."""
    entries = LogEntry.objects.select_related("actor", "content_type")
    if object_type is not None:
        entries = entries.filter(content_type=object_type)
    if object_id is not None:
        entries = entries.filter(object_id=object_id)
    if actor:
        entries = entries.filter(actor__username=actor)
    if since is not None:
        entries = entries.filter(timestamp__gte=since)
    if until is not None:
        entries = entries.filter(timestamp__lt=until)
    return entries
