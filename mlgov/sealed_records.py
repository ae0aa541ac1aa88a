"""Rows sealed into the audit chain through their creation entry.

The chain (mlgov.audit_chain) proves that audit entries were not changed
after they were written; the rows they describe are guarded only by triggers,
which their table's owner may switch off. An app's append-only records (gate
decisions, rollout steps) are made tamper-evident by writing into their
creation entry, which the chain seals, a digest of every column of the row as
it was inserted (`SealedRecord.get_additional_data`; django-auditlog and
mlgov.audit both ask the row for it). `verify_records` recomputes each row's
digest and compares it with the one sealed, so a row changed, deleted or
inserted behind the guards is named, as is a guard switched off.

The apps register, from `AppConfig.ready()`, which models are sealed and
which triggers guard them, and checks of their own (a row that is not sealed
itself but must agree with sealed ones, as a deployment with its decision and
steps).

What this cannot catch, like the chain itself: someone who can write audit
entries inserting a forged row together with a forged creation entry. A head
hash kept outside the database (`verify_audit --expect-head`) bounds that to
entries written after it was taken."""

import hashlib
import ipaddress
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models

# The key of the digest in a creation entry's additional_data.
DIGEST_KEY = "sealed_digest"
_CHUNK = 2000


class SealedRecord(models.Model):
    """Base of an append-only model whose creation entry seals its columns."""

    class Meta:
        abstract = True

    def get_additional_data(self) -> dict[str, str]:
        """What django-auditlog and mlgov.audit store with the row's entries."""
        return {DIGEST_KEY: row_digest(self)}


def row_digest(instance: models.Model) -> str:
    """sha256 over the row's columns, in a form that reads the same from the
    instance about to be saved and from the row read back from the database
    (JSON re-encoded, numbers as floats, times in UTC, addresses compressed)."""
    columns = {
        field.attname: _canonical(field, getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
    }
    text = json.dumps(
        [instance._meta.label_lower, columns],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        # Through JSON once, as the database stores it: tuples become lists,
        # keys text; then every number a float, since PostgreSQL's jsonb
        # writes 1e16 back as 10000000000000000 and -0.0 as 0.0.
        return _plain_numbers(json.loads(json.dumps(value)))
    value = field.to_python(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(field, models.GenericIPAddressField):
        return ipaddress.ip_address(value).compressed
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def _plain_numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(item) for item in value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    try:
        number = float(value) + 0.0
    except OverflowError:  # an integer beyond any float: kept exact
        return value
    return number if math.isfinite(number) else value


# The registry the apps fill.

# Trigger names as installed_triggers reports them, per database vendor.
Triggers = Mapping[str, Iterable[str]]
# A registered check: given the database alias, the rows it checked and one
# sentence per row that disagrees with sealed ones.
Check = Callable[[str], tuple[int, list[str]]]


@dataclass(frozen=True)
class _Sealed:
    model: type[SealedRecord]
    noun: str


_sealed: list[_Sealed] = []
_triggers: dict[str, set[str]] = {}
_checks: list[tuple[str, Check]] = []


def register_sealed_records(model: type[SealedRecord], *, noun: str) -> None:
    """Verify `model`'s rows against their sealed creation entries; `noun`
    names one in reports ("gate decision")."""
    if all(sealed.model is not model for sealed in _sealed):
        _sealed.append(_Sealed(model, noun))


def register_guard_triggers(triggers: Triggers) -> None:
    """Triggers that must exist and be enabled, per vendor ("name ON table"
    on PostgreSQL, the trigger's name on SQLite)."""
    for vendor, names in triggers.items():
        _triggers.setdefault(vendor, set()).update(names)


def register_record_check(noun: str, check: Check) -> None:
    """A check of rows not sealed themselves (see Check); `noun` names them
    in the report ("deployments")."""
    if all(name != noun for name, _ in _checks):
        _checks.append((noun, check))


# Verification.


@dataclass(frozen=True)
class RecordsReport:
    """What verify_records found: rows checked per noun, rows not verifiable
    (recorded before sealing began, or older than the retained audit trail),
    and the problems."""

    checked: dict[str, int]
    unverifiable: dict[str, int]
    problems: list[str]

    @property
    def is_intact(self) -> bool:
        return not self.problems


def installed_triggers(using: str = "default") -> set[str]:
    """Enabled triggers, named as register_guard_triggers expects."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # 'O' fires in the normal (origin) mode, 'A' always; 'D' is
            # disabled and 'R' fires only on a replica.
            cursor.execute(
                "SELECT tgname || ' ON ' || tgrelid::regclass::text FROM pg_trigger "
                "WHERE NOT tgisinternal AND tgenabled IN ('O', 'A')"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def verify_records(*, using: str = "default") -> RecordsReport:
    """Check every sealed row against its creation entry, the registered
    checks, and the guards; name every row that fails."""
    from mlgov.models import AuditRetention

    vendor = connections[using].vendor
    problems = [
        f"protection missing: trigger {name} absent or disabled"
        for name in sorted(_triggers.get(vendor, set()) - installed_triggers(using))
    ]
    pruned = AuditRetention.objects.using(using).exists()
    checked: dict[str, int] = {}
    unverifiable: dict[str, int] = {}
    for sealed in _sealed:
        count, old = _verify_model(sealed, using, pruned, problems)
        checked[sealed.noun] = count
        if old:
            unverifiable[sealed.noun] = old
    for noun, check in _checks:
        count, found = check(using)
        checked[noun] = count
        problems += found
    return RecordsReport(checked, unverifiable, problems)


def _verify_model(
    sealed: _Sealed, using: str, pruned: bool, problems: list[str]
) -> tuple[int, int]:
    """Rows checked and rows not verifiable; appends problems."""
    model, noun = sealed.model, sealed.noun
    content_type = ContentType.objects.db_manager(using).get_for_model(model)
    creations = LogEntry.objects.using(using).filter(
        content_type=content_type, action=LogEntry.Action.CREATE
    )
    # With entries pruned (prune_audit), rows before the oldest one still
    # sealed have lost theirs: they cannot be verified, and are counted.
    oldest_sealed = (
        creations.order_by("object_id").values_list("object_id", flat=True).first()
        if pruned
        else None
    )
    rows = model._default_manager.using(using).order_by("pk")
    checked = old = 0
    last_pk = None
    while True:
        chunk = list(
            (rows if last_pk is None else rows.filter(pk__gt=last_pk))[:_CHUNK]
        )
        if not chunk:
            break
        last_pk = chunk[-1].pk
        entries: dict[int, list[dict | None]] = {}
        for object_id, data in creations.filter(
            object_id__in=[row.pk for row in chunk]
        ).values_list("object_id", "additional_data"):
            entries.setdefault(object_id, []).append(data)
        for row in chunk:
            found = entries.get(row.pk, [])
            if not found:
                if pruned and (oldest_sealed is None or row.pk < oldest_sealed):
                    old += 1
                    continue
                problems.append(
                    f"{noun} {row.pk} has no audit entry: it was inserted "
                    "behind the application's back"
                )
                continue
            if len(found) > 1:
                problems.append(
                    f"{noun} {row.pk} has {len(found)} creation entries in the "
                    "audit trail: one was forged"
                )
                continue
            sealed_digest = (found[0] or {}).get(DIGEST_KEY)
            if sealed_digest is None:
                # Recorded before its model was sealed (the entry is as
                # sealed by the chain, so a digest cannot have been removed).
                old += 1
                continue
            checked += 1
            if sealed_digest != row_digest(row):
                problems.append(
                    f"{noun} {row.pk} differs from what its audit entry sealed: "
                    "it was changed after it was recorded"
                )
    existing = model._default_manager.using(using).values("pk")
    gone = set(
        creations.exclude(object_id__in=existing).values_list("object_id", flat=True)
    )
    problems += [
        f"{noun} {object_id} was deleted (its audit entry remains)"
        for object_id in sorted(gone)
    ]
    return checked, old
