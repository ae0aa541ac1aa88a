"""Attribution of changes in the audit trail."""

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

from auditlog.cid import get_cid
from auditlog.context import auditlog_value, disable_auditlog
from auditlog.diff import (
    get_field_value,
    get_mask_function,
    is_primitive,
    track_field,
)
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.encoding import smart_str

from mlgov.actors import Actor
from mlgov.db import CompiledInsert, write_together

AUDIT_BULK_BATCH = 500

M = TypeVar("M", bound=Model)

_entries_dated_at: ContextVar[datetime | None] = ContextVar(
    "mlgov_audit_entries_dated_at", default=None
)


@contextmanager
def audit_entries_dated(when: datetime) -> Iterator[None]:
    """Date the audit entries written inside the block at `when`, not now.

    Only for the demo loader, which writes a past on one timeline: a live
    change is always stamped when it happens."""
    token = _entries_dated_at.set(when)
    pre_save.connect(_date_entry, sender=LogEntry, dispatch_uid=_DATING_RECEIVER)
    try:
        yield
    finally:
        _entries_dated_at.reset(token)
        if _entries_dated_at.get() is None:
            pre_save.disconnect(sender=LogEntry, dispatch_uid=_DATING_RECEIVER)


_DATING_RECEIVER = "mlgov-audit-entries-dated"


def _date_entry(sender, instance: LogEntry, **kwargs) -> None:
    when = _entries_dated_at.get()
    if when is not None and instance._state.adding:
        instance.timestamp = when


def attribute_changes_to(user: Actor) -> None:
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
    instances: Sequence[M],
    *,
    action: int,
    changes: Callable[[M], dict[str, list[str | None]]],
    happened_at: Callable[[M], datetime] | None = None,
) -> None:
    """Audit entries for rows written with bulk_create or bulk_update, which
    send no signals: one entry per row, attributed like signal-made ones.
    `happened_at` dates each entry when the rows carry their own past (the
    demo loader's); otherwise entries are stamped now."""
    if not instances:
        return
    context = _request_context()
    content_type = ContentType.objects.get_for_model(type(instances[0]))
    cid = get_cid()
    _insert(
        [
            _entry(
                instance,
                content_type=content_type,
                action=action,
                changes=changes(instance),
                context=context,
                cid=cid,
                timestamp=happened_at(instance) if happened_at else None,
            )
            for instance in instances
        ]
    )


def record_creations(
    instances: Sequence[M], *, happened_at: Callable[[M], datetime] | None = None
) -> None:
    """The entries auditlog's post_save receiver would have written for rows
    just inserted with it off (`auditlog.context.disable_auditlog`): its diff
    from nothing (`creation_changes`), its repr, the model's additional
    data, the correlation id, the request's actor and address. One INSERT for
    all of them, where the receiver makes one per row, through the ORM: on a
    hot write path (a version's creation, a deployment request) that is less
    CPU, and a round trip less per row after the first.
    tests/mlgov/test_audit.py compares these entries, field by field, with
    the receiver's for the same rows. `happened_at` dates them, as in
    `record_bulk_changes`."""
    _insert(_creation_entries(instances, happened_at=happened_at))


def create_audited(instances: Sequence[M]) -> None:
    """Insert `instances`, a few new rows of one model, and write their
    creation entries (`record_creations`'): what save() writes with
    auditlog's receiver on, less the save signals, which nothing else
    listens to on the models that come here (tests/mlgov/test_audit.py
    pins that, and the rows and entries against save()'s).

    Rows whose primary key was drawn beforehand (registry.hot draws a new
    version's with its model's lock) go out with their entries in one round
    trip on PostgreSQL, the rows' INSERT compiled once (mlgov.db); the
    others, where there is no sequence to draw from (SQLite), are saved and
    then recorded."""
    if not instances:
        return
    if len(instances) > _FEW_ENTRIES:
        raise ValueError(f"create_audited takes at most {_FEW_ENTRIES} rows")
    if any(instance.pk is None for instance in instances):
        with disable_auditlog():
            for instance in instances:
                instance.save(force_insert=True)
        record_creations(instances)
        return
    rows = _row_insert(type(instances[0])).statement(list(instances))
    # After the rows' statement: pre_save has set what save() would set.
    write_together(rows, _entry_insert.statement(_creation_entries(instances)))
    for instance in instances:
        instance._state.adding = False
        instance._state.db = connection.alias


@functools.cache
def _row_insert(model: type[M]) -> CompiledInsert[M]:
    return CompiledInsert(model, with_pk=True)


def _creation_entries(
    instances: Sequence[M], *, happened_at: Callable[[M], datetime] | None = None
) -> list[LogEntry]:
    context = _request_context()
    cid = get_cid()
    return [
        _entry(
            instance,
            content_type=ContentType.objects.get_for_model(instance),
            action=LogEntry.Action.CREATE,
            changes=creation_changes(instance),
            context=context,
            cid=cid,
            timestamp=happened_at(instance) if happened_at else None,
        )
        for instance in instances
    ]


def creation_changes(instance: Model) -> dict[str, Any] | None:
    """`auditlog.diff.model_instance_diff(None, instance)`, the changes of an
    entry for a row just created, with what does not depend on the row
    worked out once per model: the fields auditlog tracks for it, and their
    "before" side, which for a creation is always the value of nothing."""
    use_json = bool(getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False))
    fields, masked, mask = _creation_plan(type(instance), use_json)
    diff: dict[str, Any] = {}
    for field, old in fields:
        new = _field_value(instance, field, use_json)
        if old == new:
            continue
        if field.name in masked:
            diff[field.name] = (mask(smart_str(old)), mask(smart_str(new)))
        elif not use_json:
            diff[field.name] = (smart_str(old), smart_str(new))
        else:
            diff[field.name] = (
                old if is_primitive(old) else smart_str(old),
                new if is_primitive(new) else smart_str(new),
            )
    return diff or None


_MISSING = object()
_reverse_relation_values: dict[Any, Any] = {}


def _field_value(instance: Model, field: Any, use_json: bool) -> Any:
    """`get_field_value`, but for a reverse foreign key, whose value is its
    related manager's name ("drift.DriftReport.None" for every row), which
    is worked out once: building the manager was most of the diff's work
    (a version has eleven of them)."""
    if use_json or field.concrete or not field.one_to_many:
        return get_field_value(instance, field, use_json)
    value = _reverse_relation_values.get(field, _MISSING)
    if value is _MISSING:
        value = _reverse_relation_values[field] = get_field_value(
            instance, field, use_json
        )
    return value


@functools.cache
def _creation_plan(
    model: type[Model], use_json: bool
) -> tuple[list[tuple[Any, Any]], frozenset[str], Callable[[str], str]]:
    # As model_instance_diff chooses them: every field but many-to-many ones,
    # narrowed by the registration's include and exclude lists.
    fields = [field for field in model._meta.get_fields() if track_field(field)]
    registered = auditlog.get_model_fields(model)
    if registered["include_fields"]:
        fields = [f for f in fields if f.name in registered["include_fields"]]
    if registered["exclude_fields"]:
        fields = [f for f in fields if f.name not in registered["exclude_fields"]]
    return (
        [(field, get_field_value(None, field, use_json)) for field in fields],
        frozenset(registered["mask_fields"]),
        get_mask_function(registered.get("mask_callable")),
    )


# Django's PostgreSQL bulk insert sends each column as one array (UNNEST),
# which spares the planner thousands of placeholders but costs the client
# more to encode: an entry's JSON is escaped into an array literal character
# by character. The few entries of one request go as plain VALUES, whose SQL
# is compiled once per number of rows (docs/performance.md has the numbers).
_FEW_ENTRIES = 10
_entry_insert: CompiledInsert[LogEntry] = CompiledInsert(LogEntry, with_pk=False)


def _insert(entries: list[LogEntry]) -> None:
    # Statements of at most AUDIT_BULK_BATCH rows, in one transaction
    # (bulk_create's). Sealing them all at COMMIT (PostgreSQL) costs the same
    # per entry however many the transaction wrote (mlgov.audit_chain), so the
    # batches are no longer sealed one by one: the chain head's lock is taken
    # only as the transaction commits, whatever the size of the change.
    if len(entries) > _FEW_ENTRIES:
        LogEntry.objects.bulk_create(entries, batch_size=AUDIT_BULK_BATCH)
        return
    if not entries:
        return
    write_together(_entry_insert.statement(entries))


def _request_context() -> dict:
    try:
        return auditlog_value.get()
    except LookupError:
        return {}


def _entry(
    instance: Model,
    *,
    content_type: ContentType,
    action: int,
    changes: dict | None,
    context: dict,
    cid: str | None,
    timestamp: datetime | None = None,
) -> LogEntry:
    actor = context.get("actor")
    additional_data = getattr(instance, "get_additional_data", None)
    return LogEntry(
        timestamp=timestamp or _entries_dated_at.get() or timezone.now(),
        content_type=content_type,
        object_pk=str(instance.pk),
        object_id=instance.pk,
        object_repr=str(instance),
        action=action,
        changes=changes,
        actor=actor,
        actor_email=getattr(actor, "email", None),
        remote_addr=context.get("remote_addr"),
        remote_port=context.get("remote_port"),
        additional_data=additional_data() if callable(additional_data) else None,
        cid=cid,
    )


def user_fields(content_type: ContentType) -> frozenset[str]:
    """Names of the fields of `content_type`'s model that point at a user."""
    model = content_type.model_class()
    if model is None:
        return frozenset()
    user_model = get_user_model()
    return frozenset(
        field.name
        for field in model._meta.get_fields()
        if field.many_to_one and field.related_model is user_model
    )


def usernames_in_changes(entries: Iterable[LogEntry]) -> dict[str, str]:
    """The usernames of the user ids that `entries` record, in one query."""
    ids = {
        value
        for entry in entries
        for name in user_fields(entry.content_type)
        for value in (entry.changes_dict.get(name) or [])
        if isinstance(value, str) and value.isdigit()
    }
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids)
    return {str(pk): username for pk, username in users.values_list("pk", "username")}


def readable_changes(entry: LogEntry, usernames: dict[str, str]) -> dict:
    """An entry's changes with user ids shown as usernames."""
    changes = dict(entry.changes_dict)
    for name in user_fields(entry.content_type) & changes.keys():
        values = changes[name]
        if isinstance(values, list):
            changes[name] = [usernames.get(value, value) for value in values]
    return changes


def object_type_choices() -> dict[str, ContentType]:
    """Audited object types by `app_label.model`, and by the short model name
    where that is unambiguous."""
    registered = [
        ContentType.objects.get_for_model(model) for model in auditlog.get_models()
    ]
    choices = {f"{ct.app_label}.{ct.model}": ct for ct in registered}
    short: dict[str, list[ContentType]] = {}
    for content_type in registered:
        short.setdefault(content_type.model, []).append(content_type)
    choices.update({name: cts[0] for name, cts in short.items() if len(cts) == 1})
    return choices


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


def entries_about(
    objects: Mapping[type[Model], QuerySet[Any]],
) -> QuerySet[LogEntry]:
    """Audit entries of the rows each queryset selects, newest first, in one
    query: per model, its content type (joined by name, so no lookup of its
    id comes first) and the rows' ids as a subquery, which the index on
    `object_id` answers."""
    about = Q()
    for model, rows in objects.items():
        about |= Q(
            content_type__app_label=model._meta.app_label,
            content_type__model=model._meta.model_name,
            object_id__in=rows.values("pk"),
        )
    return (
        LogEntry.objects.filter(about)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-id")
    )
