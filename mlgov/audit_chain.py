"""The tamper-evident audit chain over django-auditlog's entries.

The database seals every audit entry, whatever wrote it (signals,
bulk_create, raw SQL): a trigger on auditlog_logentry appends an AuditSeal
row holding the entry's position in the chain, the previous seal's hash and
sha256(previous hash + the entry's canonical text). Appends are serialised
by a row lock on the single AuditChainHead row. Other triggers refuse UPDATE
and DELETE (and TRUNCATE on PostgreSQL) of entries and seals unless the
session is in audit maintenance, which only `prune_audit` (and the test
suite's flush) enters.

On PostgreSQL the sealing trigger is a constraint trigger, deferred to
COMMIT: a transaction takes the head's lock only as it commits, rather than
at its first audited INSERT and then through every round trip that follows,
which serialised concurrent audited writes for most of their transactions.
Chain positions therefore follow commit order, and an entry stays unsealed
until its transaction commits; code that reads seals inside a transaction
that wrote entries calls `seal_pending` first (`verify_chain` and
`prune_audit_entries` do). SQLite has one writer at a time, so its trigger
seals at the INSERT.

Each seal updates the head row, and within one transaction every update
leaves a row version that no one can prune until the transaction ends: a
lookup of the head by id steps over all of them, so sealing N entries in one
transaction cost N², all inside COMMIT holding the head's lock (the timings
are in docs/performance.md). So on PostgreSQL only a transaction's first seal
locks the head by id; it keeps the address (ctid) of the version it wrote in
the transaction-local setting mlgov.audit_head_ctid, and each later seal
reads and updates the head at that address, in constant time. Settings
changed in a savepoint are undone with it, as are its head updates, so the
address stays that of the head's current version.
When it is not (something else updated the head, or the setting was tampered
with), the read or the update there finds no row and the trigger falls back
to the lock by id: an update by ctid applies only to the current version, so
no seal is computed from a head that has moved since.

The canonical text of an entry is built in SQL, the same expression in the
trigger and in `verify_chain`, so it only has to be stable within one
database vendor. Changing CANONICAL_COLUMNS or the expressions needs a new
migration that re-creates the triggers and keeps the old form for entries
already sealed.
"""

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Min

GENESIS_HASH = "0" * 64
ENTRY_TABLE = "auditlog_logentry"
SEAL_TABLE = "mlgov_auditseal"
HEAD_TABLE = "mlgov_auditchainhead"
RETENTION_TABLE = "mlgov_auditretention"
PROTECTED_TABLES = (ENTRY_TABLE, SEAL_TABLE, RETENTION_TABLE)
MAINTENANCE_SETTING = "mlgov.audit_maintenance"
SEAL_TRIGGER = "mlgov_audit_seal"
HEAD_CTID_SETTING = "mlgov.audit_head_ctid"

# Every column of auditlog's LogEntry (3.4), in a fixed order.
CANONICAL_COLUMNS = (
    "id",
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "serialized_data",
    "action",
    "changes_text",
    "changes",
    "actor_id",
    "cid",
    "remote_addr",
    "remote_port",
    "timestamp",
    "additional_data",
    "actor_email",
)


def canonical_sql(vendor: str, alias: str) -> str:
    """The SQL expression giving an entry's canonical text; `alias` is NEW in
    the trigger and the table alias in verification."""
    parts = []
    for column in CANONICAL_COLUMNS:
        ref = f'{alias}."{column}"'
        if vendor == "postgresql":
            if column == "timestamp":
                ref = (
                    f"to_char({ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
                )
            parts.append(f"quote_nullable({ref}::text)")
        else:
            parts.append(f"quote({ref})")
    return " || '|' || ".join(parts)


def entry_hash(previous_hash: str, canonical: str) -> str:
    """The seal of one entry: sha256 over the previous hash and its text."""
    return hashlib.sha256((previous_hash + canonical).encode()).hexdigest()


# SQLite: the functions its triggers call, registered on every connection.

_maintenance = threading.local()


def _sqlite_sha256(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


def _sqlite_maintenance() -> int:
    return int(getattr(_maintenance, "active", False))


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created receiver: the SQL functions SQLite's triggers use."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function(
        "mlgov_sha256", 1, _sqlite_sha256, deterministic=True
    )
    connection.connection.create_function(
        "mlgov_audit_maintenance", 0, _sqlite_maintenance
    )


@contextlib.contextmanager
def audit_maintenance(using: str = "default") -> Iterator[None]:
    """Let this connection update and delete audit rows for the duration.

    Only the retention command and the test suite's flush use it."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [MAINTENANCE_SETTING])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config(%s, 'off', false)", [MAINTENANCE_SETTING]
                )
    else:
        previous = getattr(_maintenance, "active", False)
        _maintenance.active = True
        try:
            yield
        finally:
            _maintenance.active = previous


def seal_pending(using: str = "default") -> None:
    """Seal now the entries this transaction wrote (PostgreSQL defers it to
    COMMIT), so a read of the chain inside it sees them; takes the head's lock
    until the transaction ends, and leaves later entries deferred again."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.get_autocommit():
        return
    with connection.cursor() as cursor:
        # SET CONSTRAINTS fails, aborting the transaction, on a name that does
        # not exist: a database before migration mlgov 0005, or one whose
        # trigger was dropped (verify_chain reports that). Never ALL, which
        # would also check Django's deferred foreign keys here.
        cursor.execute(
            "SELECT 1 FROM pg_constraint WHERE conname = %s AND contype = 't' "
            "AND conrelid = to_regclass(%s)",
            [SEAL_TRIGGER, ENTRY_TABLE],
        )
        if cursor.fetchone() is None:
            return
        cursor.execute(f"SET CONSTRAINTS {SEAL_TRIGGER} IMMEDIATE")
        cursor.execute(f"SET CONSTRAINTS {SEAL_TRIGGER} DEFERRED")


# The triggers, installed by migration mlgov 0004, which runs this code: a new
# database gets their current form there already; mlgov 0005 (deferred
# trigger) and 0006 (the head found by ctid) convert a database migrated
# before. A change here needs a migration with the same SQL, which
# tests/mlgov/test_audit_chain.py compares with install_sql.


def install_sql(vendor: str) -> list[str]:
    """Statements creating the sealing and refusing triggers."""
    if vendor == "postgresql":
        return _postgresql_install()
    return _sqlite_install()


def uninstall_sql(vendor: str) -> list[str]:
    """Statements dropping what install_sql created."""
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS mlgov_audit_seal ON {ENTRY_TABLE}",
            *(
                f"DROP TRIGGER IF EXISTS mlgov_audit_refuse_{kind} ON {table}"
                for table in PROTECTED_TABLES
                for kind in ("change", "truncate")
            ),
            "DROP FUNCTION IF EXISTS mlgov_audit_seal()",
            "DROP FUNCTION IF EXISTS mlgov_audit_refuse()",
        ]
    return [
        "DROP TRIGGER IF EXISTS mlgov_audit_seal",
        *(
            f"DROP TRIGGER IF EXISTS mlgov_audit_refuse_{kind}_{table}"
            for table in PROTECTED_TABLES
            for kind in ("update", "delete")
        ),
    ]


def _postgresql_install() -> list[str]:
    canonical = canonical_sql("postgresql", "NEW")
    statements = [
        f"""
CREATE OR REPLACE FUNCTION mlgov_audit_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    known text := current_setting('{HEAD_CTID_SETTING}', true);
    head tid;
    head_position bigint;
    head_hash varchar(64);
    sealed varchar(64);
    locked boolean := false;
BEGIN
    IF known <> '' THEN
        SELECT ctid, position, last_hash INTO head, head_position, head_hash
            FROM {HEAD_TABLE} WHERE ctid = known::tid;
    END IF;
    LOOP
        IF head IS NULL THEN
            INSERT INTO {HEAD_TABLE} (id, position, last_hash)
                VALUES (1, 0, '{GENESIS_HASH}') ON CONFLICT (id) DO NOTHING;
            SELECT ctid, position, last_hash INTO head, head_position, head_hash
                FROM {HEAD_TABLE} WHERE id = 1 FOR UPDATE;
            locked := true;
        END IF;
        sealed := encode(sha256(convert_to(head_hash || {canonical}, 'UTF8')), 'hex');
        UPDATE {HEAD_TABLE} SET position = head_position + 1, last_hash = sealed
            WHERE ctid = head RETURNING ctid INTO head;
        EXIT WHEN FOUND;
        IF locked THEN
            RAISE EXCEPTION 'the audit chain head moved under its lock';
        END IF;
    END LOOP;
    PERFORM set_config('{HEAD_CTID_SETTING}', head::text, true);
    INSERT INTO {SEAL_TABLE} (entry_id, position, prev_hash, entry_hash)
        VALUES (NEW.id, head_position + 1, head_hash, sealed);
    RETURN NULL;
END $$""",
        f"""
CREATE OR REPLACE FUNCTION mlgov_audit_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('{MAINTENANCE_SETTING}', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'audit rows are append-only: % on % refused',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$""",
        f"""
CREATE CONSTRAINT TRIGGER {SEAL_TRIGGER} AFTER INSERT ON {ENTRY_TABLE}
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION mlgov_audit_seal()""",
    ]
    for table in PROTECTED_TABLES:
        statements += [
            f"""
CREATE TRIGGER mlgov_audit_refuse_change BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION mlgov_audit_refuse()""",
            f"""
CREATE TRIGGER mlgov_audit_refuse_truncate BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION mlgov_audit_refuse()""",
        ]
    return statements


def _sqlite_install() -> list[str]:
    canonical = canonical_sql("sqlite", "NEW")
    statements = [
        f"""
CREATE TRIGGER mlgov_audit_seal AFTER INSERT ON {ENTRY_TABLE}
BEGIN
    INSERT OR IGNORE INTO {HEAD_TABLE} (id, position, last_hash)
        VALUES (1, 0, '{GENESIS_HASH}');
    INSERT INTO {SEAL_TABLE} (entry_id, position, prev_hash, entry_hash)
        SELECT NEW.id, head.position + 1, head.last_hash,
               mlgov_sha256(head.last_hash || {canonical})
        FROM {HEAD_TABLE} AS head WHERE head.id = 1;
    UPDATE {HEAD_TABLE} SET
        position = position + 1,
        last_hash = (SELECT entry_hash FROM {SEAL_TABLE} WHERE entry_id = NEW.id)
        WHERE id = 1;
END"""
    ]
    for table in PROTECTED_TABLES:
        for kind in ("update", "delete"):
            statements.append(
                f"""
CREATE TRIGGER mlgov_audit_refuse_{kind}_{table} BEFORE {kind.upper()} ON {table}
WHEN NOT mlgov_audit_maintenance()
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only: {kind} on {table} refused');
END"""
            )
    return statements


def installed_trigger_names(connection: BaseDatabaseWrapper) -> set[str]:
    """Names of the audit triggers present in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname || ' ON ' || tgrelid::regclass::text FROM pg_trigger "
                # 'D' is disabled, 'R' fires only on a replica.
                "WHERE tgname LIKE 'mlgov_audit_%%' AND tgenabled IN ('O', 'A')"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE 'mlgov_audit_%'"
            )
        return {row[0] for row in cursor.fetchall()}


def expected_trigger_names(vendor: str) -> set[str]:
    """The triggers install_sql creates, named as installed_trigger_names
    reports them."""
    if vendor == "postgresql":
        names = {f"mlgov_audit_seal ON {ENTRY_TABLE}"}
        for table in PROTECTED_TABLES:
            names |= {
                f"mlgov_audit_refuse_change ON {table}",
                f"mlgov_audit_refuse_truncate ON {table}",
            }
        return names
    return {"mlgov_audit_seal"} | {
        f"mlgov_audit_refuse_{kind}_{table}"
        for table in PROTECTED_TABLES
        for kind in ("update", "delete")
    }


# Verification.


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the chain: `problem` is None when it holds."""

    entries: int
    head_position: int
    head_hash: str
    problem: str | None = None
    entry_id: int | None = None
    position: int | None = None

    @property
    def is_intact(self) -> bool:
        return self.problem is None


def verify_chain(*, using: str = "default", chunk_size: int = 2000) -> ChainReport:
    """Walk every seal in order and report the first entry that was changed,
    inserted or deleted other than through the sealing trigger."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if outermost and connection.vendor == "postgresql":
            # One snapshot: appends landing during the walk are not seen.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        else:
            # The caller's transaction may have written entries not sealed yet.
            seal_pending(using)
        return _walk(connection, cursor, using, chunk_size)


def _walk(connection, cursor, using: str, chunk_size: int) -> ChainReport:
    from mlgov.models import AuditRetention

    missing = expected_trigger_names(connection.vendor) - installed_trigger_names(
        connection
    )
    if missing:
        return ChainReport(
            0,
            0,
            GENESIS_HASH,
            problem="protection missing: trigger(s) "
            + ", ".join(sorted(missing))
            + " absent or disabled",
        )
    retention = (
        AuditRetention.objects.using(using).order_by("-through_position").first()
    )
    expected_position = 1
    expected_prev = GENESIS_HASH
    if retention is not None:
        expected_position = retention.through_position + 1
        expected_prev = retention.through_hash

    canonical = canonical_sql(connection.vendor, "e")
    query = (
        f"SELECT s.position, s.entry_id, s.prev_hash, s.entry_hash, "
        f"e.id, {canonical} "
        f"FROM {SEAL_TABLE} AS s LEFT JOIN {ENTRY_TABLE} AS e ON e.id = s.entry_id "
        f"WHERE s.position > %s ORDER BY s.position LIMIT %s"
    )
    entries = 0
    last_position = expected_position - 1
    last_hash = expected_prev
    cursor.execute(
        f"SELECT MIN(position) FROM {SEAL_TABLE}",
    )
    first = cursor.fetchone()[0]
    if first is not None and first < expected_position:
        return _broken(
            entries,
            last_position,
            last_hash,
            "a pruned position still has a seal",
            None,
            first,
        )
    while True:
        cursor.execute(query, [last_position, chunk_size])
        rows = cursor.fetchall()
        if not rows:
            break
        for position, entry_id, prev, sealed, found_id, text in rows:
            if position != last_position + 1:
                return _broken(
                    entries,
                    last_position,
                    last_hash,
                    f"the entry at position {last_position + 1} was deleted "
                    "(its seal is gone)",
                    None,
                    last_position + 1,
                )
            if found_id is None:
                return _broken(
                    entries,
                    last_position,
                    last_hash,
                    f"entry {entry_id} at position {position} was deleted",
                    entry_id,
                    position,
                )
            if prev != last_hash:
                return _broken(
                    entries,
                    last_position,
                    last_hash,
                    f"the seal of entry {entry_id} at position {position} "
                    "does not follow the previous one (seals rewritten or "
                    "an entry deleted before it)",
                    entry_id,
                    position,
                )
            if entry_hash(prev, text) != sealed:
                return _broken(
                    entries,
                    last_position,
                    last_hash,
                    f"entry {entry_id} at position {position} was changed "
                    "after it was sealed",
                    entry_id,
                    position,
                )
            entries += 1
            last_position = position
            last_hash = sealed

    cursor.execute(
        f"SELECT MIN(e.id) FROM {ENTRY_TABLE} AS e "
        f"LEFT JOIN {SEAL_TABLE} AS s ON s.entry_id = e.id "
        f"WHERE s.entry_id IS NULL"
    )
    unsealed = cursor.fetchone()[0]
    if unsealed is not None:
        return _broken(
            entries,
            last_position,
            last_hash,
            f"entry {unsealed} was inserted without a seal",
            unsealed,
            None,
        )
    cursor.execute(f"SELECT position, last_hash FROM {HEAD_TABLE} WHERE id = 1")
    head = cursor.fetchone()
    if head is None and entries:
        return _broken(
            entries,
            last_position,
            last_hash,
            "the chain head row was deleted",
            None,
            None,
        )
    if head is not None and tuple(head) != (last_position, last_hash):
        return _broken(
            entries,
            last_position,
            last_hash,
            f"the chain head says position {head[0]}, the seals end at "
            f"{last_position}: entries after position {last_position} "
            "were deleted",
            None,
            last_position + 1,
        )
    return ChainReport(entries, last_position, last_hash)


def _broken(
    entries: int,
    position: int,
    last_hash: str,
    problem: str,
    entry_id: int | None,
    at: int | None,
) -> ChainReport:
    return ChainReport(entries, position, last_hash, problem, entry_id, at)


# Retention.


@dataclass(frozen=True)
class PruneResult:
    """What prune_audit_entries removed."""

    deleted: int
    through_position: int


def prune_audit_entries(
    *, before: datetime, dry_run: bool = False, using: str = "default"
) -> PruneResult:
    """Delete the oldest audit entries, those before `before` up to the first
    entry at or after it, and record an AuditRetention (itself audited) that
    lets verify_chain start the chain where the pruned part ended."""
    from auditlog.models import LogEntry

    from mlgov.models import AuditChainHead, AuditRetention, AuditSeal

    with transaction.atomic(using=using):
        seal_pending(using)
        # Appends wait for the head's row lock, so the prefix cannot move.
        head = AuditChainHead.objects.using(using).select_for_update().first()
        if head is None:
            return PruneResult(0, 0)
        seals = AuditSeal.objects.using(using)
        first_kept = seals.filter(
            entry_id__in=LogEntry.objects.using(using)
            .filter(timestamp__gte=before)
            .values("id")
        ).aggregate(first=Min("position"))["first"]
        through = head.position if first_kept is None else first_kept - 1
        pruned = seals.filter(position__lte=through)
        last = pruned.order_by("-position").first()
        count = pruned.count()
        if last is None or dry_run:
            return PruneResult(count, last.position if last else 0)
        with audit_maintenance(using):
            LogEntry.objects.using(using).filter(
                id__in=pruned.values("entry_id")
            ).delete()
            pruned.delete()
        AuditRetention.objects.using(using).create(
            cutoff=before,
            through_position=last.position,
            through_hash=last.entry_hash,
            entries_deleted=count,
        )
    return PruneResult(count, last.position)
