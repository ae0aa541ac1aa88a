"""The tamper-evident audit chain: sealing, refusals, verification, retention."""

import contextlib
import importlib
import itertools
import threading
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from mlgov.audit import record_bulk_changes
from mlgov.audit_chain import (
    ENTRY_TABLE,
    GENESIS_HASH,
    HEAD_CTID_SETTING,
    HEAD_TABLE,
    SEAL_TABLE,
    audit_maintenance,
    install_sql,
    prune_audit_entries,
    seal_pending,
    verify_chain,
)
from mlgov.models import AuditChainHead, AuditRetention, AuditSeal
from registry.models import Tag, Team
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def make_entries(count: int) -> list[LogEntry]:
    """Audit entries written the two ways the app writes them, signals and
    bulk_create, and sealed as if committed earlier (tampering, here, is done
    to entries already in the chain)."""
    half = count // 2
    for index in range(half):
        TeamFactory(name=f"team-{index}")
    tags = Tag.objects.bulk_create([Tag(name=f"tag-{i}") for i in range(count - half)])
    record_bulk_changes(
        tags,
        action=LogEntry.Action.CREATE,
        changes=lambda tag: {"name": [None, tag.name]},
    )
    seal_pending()
    return list(LogEntry.objects.order_by("id"))


def raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@contextlib.contextmanager
def protections_bypassed():
    """What someone with direct database access can do: switch the refusals off
    (here through the maintenance switch the retention command uses)."""
    with audit_maintenance():
        yield


@contextlib.contextmanager
def sealing_disabled():
    """Insert behind the trigger's back: disable it (PostgreSQL) or drop and
    re-create it (SQLite)."""
    if connection.vendor == "postgresql":
        # Django's foreign keys are deferred; ALTER TABLE wants them checked.
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        raw(f"ALTER TABLE {ENTRY_TABLE} DISABLE TRIGGER mlgov_audit_seal")
        yield
        raw(f"ALTER TABLE {ENTRY_TABLE} ENABLE TRIGGER mlgov_audit_seal")
    else:
        raw("DROP TRIGGER mlgov_audit_seal")
        yield
        raw(install_sql("sqlite")[0])


def test_entries_from_signals_and_bulk_create_are_all_sealed_in_order():
    entries = make_entries(6)

    seals = list(AuditSeal.objects.order_by("position"))
    assert [seal.entry_id for seal in seals] == [entry.id for entry in entries]
    assert [seal.position for seal in seals] == list(range(1, 7))
    assert seals[0].prev_hash == GENESIS_HASH
    assert all(
        later.prev_hash == earlier.entry_hash
        for earlier, later in itertools.pairwise(seals)
    )
    head = AuditChainHead.objects.get()
    assert (head.position, head.last_hash) == (6, seals[-1].entry_hash)
    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.entries == 6


def seal_trigger_modes() -> list[tuple[bool, bool]]:
    """(deferrable, initially deferred) of each sealing trigger (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgdeferrable, tginitdeferred FROM pg_trigger "
            "WHERE tgname = 'mlgov_audit_seal'"
        )
        return cursor.fetchall()


def team_entry_ids(*teams: Team) -> list[int]:
    return [LogEntry.objects.get_for_object(team).get().id for team in teams]


def test_postgresql_seals_an_entry_when_its_transaction_commits_or_when_asked():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite seals at the INSERT")
    first = team_entry_ids(TeamFactory(name="first"))

    assert not AuditSeal.objects.exists()
    seal_pending()
    assert list(AuditSeal.objects.values_list("entry_id", "position")) == [
        (first[0], 1)
    ]

    later = team_entry_ids(TeamFactory(name="later"))
    assert not AuditSeal.objects.filter(entry_id__in=later).exists()
    seal_pending()
    assert AuditSeal.objects.get(entry_id=later[0]).position == 2


def test_verify_chain_seals_the_entries_of_the_callers_transaction_first():
    written = team_entry_ids(*(TeamFactory(name=f"unsealed-{i}") for i in range(3)))

    report = verify_chain()

    assert report.is_intact, report.problem
    assert report.entries == 3
    assert list(AuditSeal.objects.values_list("entry_id", flat=True)) == written


def test_prune_audit_seals_the_entries_of_the_callers_transaction_first():
    team_type = ContentType.objects.get_for_model(Team)
    for index in range(3):
        LogEntry.objects.create(
            content_type=team_type,
            object_pk=str(index),
            object_repr=f"old {index}",
            action=LogEntry.Action.CREATE,
            timestamp=timezone.now() - timedelta(days=400),
        )

    result = prune_audit_entries(before=timezone.now() - timedelta(days=365))

    assert (result.deleted, result.through_position) == (3, 3)
    assert verify_chain().is_intact


@pytest.mark.postgres
def test_migrations_leave_the_deferred_seal_trigger_and_reverse_to_the_plain_one():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps its trigger")
    migration = importlib.import_module("mlgov.migrations.0005_deferred_audit_seal")
    # The test database was migrated from empty.
    assert seal_trigger_modes() == [(True, True)]

    with connection.schema_editor() as editor:
        migration.seal_at_insert(None, editor)
    assert seal_trigger_modes() == [(False, False)]
    with connection.schema_editor() as editor:
        migration.defer_seal(None, editor)
    assert seal_trigger_modes() == [(True, True)]

    with connection.schema_editor() as editor:
        migration.seal_at_insert(None, editor)
    sealed_at_insert = team_entry_ids(TeamFactory(name="plain"))
    assert AuditSeal.objects.filter(entry_id__in=sealed_at_insert).exists()


def test_the_latest_migration_installs_the_seal_function_install_sql_creates():
    """A new database gets the trigger from install_sql (migration 0004), one
    migrated before from the migrations after it: the same function."""
    migration = importlib.import_module("mlgov.migrations.0006_audit_seal_head_by_ctid")

    def words(sql: str) -> list[str]:
        return sql.split()

    assert words(migration.SEAL_BY_CTID) == words(install_sql("postgresql")[0])


@pytest.mark.postgres
def test_migration_0006_reverses_to_the_head_looked_up_by_id():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps its trigger")
    migration = importlib.import_module("mlgov.migrations.0006_audit_seal_head_by_ctid")

    with connection.schema_editor() as editor:
        migration.seal_by_id(None, editor)
    make_entries(2)
    with connection.schema_editor() as editor:
        migration.seal_by_ctid(None, editor)
    team_entry_ids(TeamFactory(name="by ctid"))
    seal_pending()

    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.entries == 3


def head_index_scans() -> int:
    """Lookups of the chain head by id this session has not reported yet,
    which include every lookup of the current transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT idx_scan FROM pg_stat_xact_user_tables WHERE relname = %s",
            [HEAD_TABLE],
        )
        return cursor.fetchone()[0]


def head_ctid_setting() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [HEAD_CTID_SETTING])
        return cursor.fetchone()[0]


def insert_raw_entries(count: int) -> None:
    raw(
        f"INSERT INTO {ENTRY_TABLE} (content_type_id, object_pk, object_repr, "
        "action, changes_text, timestamp) "
        "SELECT %s, n::text, 'raw ' || n, 0, '', now() "
        "FROM generate_series(1, %s) AS n",
        [ContentType.objects.get_for_model(Team).id, count],
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_transaction_of_thousands_of_entries_looks_the_head_up_once():
    """Sealing costs the same for every entry of a transaction: only its
    first seal looks the head up by id (and locks it); the others find it by
    the address the previous one left in a transaction-local setting, which
    the next transaction starts without."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite seals at the INSERT")
    # Earlier transactional tests may have left entries of their own.
    already = verify_chain().entries
    with transaction.atomic():
        # The counter may include earlier transactions' scans not reported yet.
        before = head_index_scans()
        insert_raw_entries(3000)
        seal_pending()
        lookups = head_index_scans() - before
        insert_raw_entries(1000)
        seal_pending()
        assert head_index_scans() - before == lookups <= 2
        assert head_ctid_setting()
    assert head_ctid_setting() in ("", None)

    TeamFactory(name="next transaction")

    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.entries == report.head_position == already + 4001


@pytest.mark.parametrize("sealed_before", [True, False], ids=["locked", "unlocked"])
def test_entries_sealed_in_a_rolled_back_savepoint_leave_no_trace_in_the_chain(
    sealed_before,
):
    """The savepoint's seals, head updates and setting are undone together;
    an entry of the enclosing transaction sealed in it is sealed again later."""
    before = team_entry_ids(TeamFactory(name="before"))
    if sealed_before:
        seal_pending()

    with contextlib.suppress(RuntimeError), transaction.atomic():
        undone = team_entry_ids(
            TeamFactory(name="undone-1"), TeamFactory(name="undone-2")
        )
        seal_pending()
        assert AuditSeal.objects.filter(entry_id__in=before + undone).count() == 3
        raise RuntimeError("roll the savepoint back")
    after = team_entry_ids(TeamFactory(name="after-1"), TeamFactory(name="after-2"))

    report = verify_chain()
    assert report.is_intact, report.problem
    # (SQLite gives the undone entries' ids to the later ones.)
    assert LogEntry.objects.count() == 3
    assert list(AuditSeal.objects.values_list("entry_id", "position")) == [
        (entry_id, position)
        for position, entry_id in enumerate(before + after, start=1)
    ]


def test_sealing_continues_the_chain_after_the_head_was_updated_otherwise():
    """Another update of the head in the transaction leaves the address the
    last seal kept pointing at an old version: the next seal finds nothing
    there and looks the head up by id."""
    make_entries(2)
    raw(f"UPDATE {HEAD_TABLE} SET position = position WHERE id = 1")
    team_entry_ids(TeamFactory(name="after the update"))
    seal_pending()

    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.entries == 3


@pytest.mark.parametrize("address", ["(0,1)", "(0,2)", "(4242,7)"])
def test_a_tampered_head_address_is_not_trusted(address):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's trigger reads the head by id")
    make_entries(2)
    raw("SELECT set_config(%s, %s, true)", [HEAD_CTID_SETTING, address])
    team_entry_ids(TeamFactory(name="after the tampering"))
    seal_pending()

    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.entries == 3


def test_a_bulk_change_is_written_in_batches_sealed_at_commit(
    monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("mlgov.audit.AUDIT_BULK_BATCH", 2)
    monkeypatch.setattr("mlgov.audit._FEW_ENTRIES", 1)
    tags = Tag.objects.bulk_create([Tag(name=f"tag-{i}") for i in range(5)])

    # Three INSERTs and nothing else: sealing costs the same per entry at
    # COMMIT, so the batches are not sealed one by one.
    with django_assert_max_num_queries(3) as captured:
        record_bulk_changes(
            tags,
            action=LogEntry.Action.CREATE,
            changes=lambda tag: {"name": [None, tag.name]},
        )

    inserts = [q for q in captured.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 3  # 2 + 2 + 1 rows
    sealed_before_commit = 0 if connection.vendor == "postgresql" else 5
    assert AuditSeal.objects.count() == sealed_before_commit
    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.entries == 5


def test_a_bulk_change_of_one_batch_leaves_its_sealing_to_the_commit(
    django_assert_max_num_queries,
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite seals at the INSERT")
    tags = Tag.objects.bulk_create([Tag(name=f"tag-{i}") for i in range(3)])

    with django_assert_max_num_queries(1):
        record_bulk_changes(
            tags,
            action=LogEntry.Action.CREATE,
            changes=lambda tag: {"name": [None, tag.name]},
        )

    assert not AuditSeal.objects.exists()


def test_an_entry_inserted_in_raw_sql_is_sealed_too():
    entry = make_entries(2)[0]
    raw(
        f"INSERT INTO {ENTRY_TABLE} (content_type_id, object_pk, object_repr, "
        "action, changes_text, timestamp) VALUES (%s, 'x', 'raw', 0, '', %s)",
        [entry.content_type_id, timezone.now()],
    )
    seal_pending()

    assert AuditSeal.objects.count() == LogEntry.objects.count() == 3
    assert verify_chain().is_intact


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {ENTRY_TABLE} SET object_repr = 'forged' WHERE id = %s",
        f"DELETE FROM {ENTRY_TABLE} WHERE id = %s",
        f"UPDATE {SEAL_TABLE} SET entry_hash = 'x' WHERE entry_id = %s",
        f"DELETE FROM {SEAL_TABLE} WHERE entry_id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_audit_rows(statement):
    entry = make_entries(2)[0]

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(statement, [entry.id])

    assert LogEntry.objects.get(id=entry.id).object_repr == entry.object_repr
    assert verify_chain().is_intact


def test_the_orm_cannot_delete_audit_entries_either():
    make_entries(2)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.all().delete()

    assert LogEntry.objects.count() == 2


def test_postgresql_refuses_truncate():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    make_entries(2)
    raw("SET CONSTRAINTS ALL IMMEDIATE")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"TRUNCATE {ENTRY_TABLE} CASCADE")


def test_verify_names_an_entry_changed_in_raw_sql():
    entries = make_entries(6)
    changed = entries[3]
    with protections_bypassed():
        raw(
            f"UPDATE {ENTRY_TABLE} SET object_repr = 'nothing to see' WHERE id = %s",
            [changed.id],
        )

    report = verify_chain()

    assert not report.is_intact
    assert report.entry_id == changed.id
    assert report.position == 4
    assert f"entry {changed.id} at position 4 was changed" in report.problem


def test_verify_names_an_entry_whose_json_changes_were_edited():
    entries = make_entries(4)
    with protections_bypassed():
        raw(
            f"UPDATE {ENTRY_TABLE} SET changes = %s WHERE id = %s",
            ['{"name": [null, "other"]}', entries[-1].id],
        )

    assert verify_chain().entry_id == entries[-1].id


def test_verify_names_an_entry_deleted_in_raw_sql():
    entries = make_entries(6)
    with protections_bypassed():
        raw(f"DELETE FROM {ENTRY_TABLE} WHERE id = %s", [entries[2].id])

    report = verify_chain()

    assert report.entry_id == entries[2].id
    assert "was deleted" in report.problem


def test_verify_names_the_gap_when_entry_and_seal_are_deleted():
    entries = make_entries(6)
    with protections_bypassed():
        raw(f"DELETE FROM {SEAL_TABLE} WHERE entry_id = %s", [entries[2].id])
        raw(f"DELETE FROM {ENTRY_TABLE} WHERE id = %s", [entries[2].id])

    report = verify_chain()

    assert report.position == 3
    assert "position 3 was deleted" in report.problem


def test_verify_notices_the_newest_entries_deleted_with_their_seals():
    entries = make_entries(6)
    with protections_bypassed():
        raw(f"DELETE FROM {SEAL_TABLE} WHERE entry_id = %s", [entries[-1].id])
        raw(f"DELETE FROM {ENTRY_TABLE} WHERE id = %s", [entries[-1].id])

    report = verify_chain()

    assert not report.is_intact
    assert "after position 5 were deleted" in report.problem


def test_verify_notices_a_resealed_entry_by_the_broken_link_after_it():
    entries = make_entries(4)
    with protections_bypassed():
        raw(
            f"UPDATE {ENTRY_TABLE} SET object_repr = 'forged' WHERE id = %s",
            [entries[1].id],
        )
        raw(
            f"UPDATE {SEAL_TABLE} SET entry_hash = %s WHERE entry_id = %s",
            ["f" * 64, entries[1].id],
        )

    report = verify_chain()

    assert report.entry_id in (entries[1].id, entries[2].id)
    assert not report.is_intact


def test_verify_names_an_entry_inserted_without_its_seal():
    make_entries(3)
    with sealing_disabled():
        raw(
            f"INSERT INTO {ENTRY_TABLE} (content_type_id, object_pk, object_repr, "
            "action, changes_text, timestamp) "
            f"SELECT content_type_id, object_pk, 'backdated', action, '', timestamp "
            f"FROM {ENTRY_TABLE} ORDER BY id LIMIT 1"
        )
    inserted = LogEntry.objects.get(object_repr="backdated")

    report = verify_chain()

    assert report.entry_id == inserted.id
    assert "inserted without a seal" in report.problem


def test_verify_refuses_a_database_whose_triggers_are_missing():
    make_entries(2)
    with sealing_disabled():
        report = verify_chain()

    assert "mlgov_audit_seal" in report.problem


def test_verify_audit_command_reports_and_fails(capsys):
    entries = make_entries(4)

    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "audit chain intact: 4 entries" in out
    head = AuditChainHead.objects.get().last_hash
    call_command("verify_audit", "--expect-head", head)
    with pytest.raises(CommandError, match="expected"):
        call_command("verify_audit", "--expect-head", "0" * 64)

    with protections_bypassed():
        raw(f"UPDATE {ENTRY_TABLE} SET action = 2 WHERE id = %s", [entries[0].id])
    with pytest.raises(CommandError, match=f"entry {entries[0].id} at position 1"):
        call_command("verify_audit")


def test_prune_audit_deletes_the_old_prefix_and_records_itself(governance_admin):
    team_type = ContentType.objects.get_for_model(Team)
    old = [
        LogEntry.objects.create(
            content_type=team_type,
            object_pk=str(index),
            object_repr=f"old {index}",
            action=LogEntry.Action.CREATE,
            timestamp=timezone.now() - timedelta(days=400),
        )
        for index in range(3)
    ]
    make_entries(3)
    rows = [entry.id for entry in old]
    before_count = LogEntry.objects.count()

    call_command(
        "prune_audit",
        "--before",
        (timezone.now() - timedelta(days=365)).date().isoformat(),
        "--as",
        governance_admin.username,
    )

    retention = AuditRetention.objects.get()
    assert (retention.entries_deleted, retention.through_position) == (3, 3)
    assert not LogEntry.objects.filter(id__in=rows[:3]).exists()
    recorded = LogEntry.objects.get_for_object(retention).get()
    assert recorded.actor == governance_admin
    assert LogEntry.objects.count() == before_count - 3 + 1
    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.entries == 4

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditRetention.objects.all().delete()


def test_a_pruned_start_without_its_retention_record_is_broken():
    entries = make_entries(4)
    with protections_bypassed():
        raw(f"DELETE FROM {SEAL_TABLE} WHERE entry_id = %s", [entries[0].id])
        raw(f"DELETE FROM {ENTRY_TABLE} WHERE id = %s", [entries[0].id])

    report = verify_chain()

    assert "position 1 was deleted" in report.problem


def test_prune_audit_dry_run_deletes_nothing(governance_admin, capsys):
    make_entries(2)

    call_command(
        "prune_audit",
        "--before",
        (timezone.now() + timedelta(days=1)).date().isoformat(),
        "--as",
        governance_admin.username,
        "--dry-run",
    )

    assert "would delete 2 audit entries" in capsys.readouterr().out
    assert LogEntry.objects.count() == 2
    assert not AuditRetention.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_extend_one_unbroken_chain():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    writers, per_writer = 6, 10
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            barrier.wait()
            for step in range(per_writer):
                with transaction.atomic():
                    TeamFactory(name=f"w{index}-{step}")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    written = LogEntry.objects.count()
    assert written >= writers * per_writer
    assert AuditSeal.objects.count() == written
    assert sorted(AuditSeal.objects.values_list("position", flat=True)) == list(
        range(1, written + 1)
    )
    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.head_position == written


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_open_transaction_leaves_the_chain_to_other_writers():
    """Writer A inserts an audited row and keeps its transaction open; writer
    B writes and commits one meanwhile, which it could not while A held the
    chain head's lock. Seals are appended as each commits."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    before = set(LogEntry.objects.values_list("id", flat=True))
    a_wrote, b_committed = threading.Event(), threading.Event()
    written: dict[str, list[int]] = {}
    seen: dict[str, bool] = {}
    errors: list[BaseException] = []

    def writer_a() -> None:
        try:
            with transaction.atomic():
                TeamFactory(name="open-a")
                ids = set(LogEntry.objects.values_list("id", flat=True)) - before
                written["a"] = sorted(ids)
                seen["a sealed before commit"] = AuditSeal.objects.filter(
                    entry_id__in=ids
                ).exists()
                a_wrote.set()
                seen["b committed meanwhile"] = b_committed.wait(timeout=10)
        except BaseException as error:
            errors.append(error)
        finally:
            a_wrote.set()
            connection.close()

    def writer_b() -> None:
        try:
            a_wrote.wait(timeout=10)
            with transaction.atomic():
                TeamFactory(name="meanwhile-b")
                ids = set(LogEntry.objects.values_list("id", flat=True)) - before
                written["b"] = sorted(ids)
            b_committed.set()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer_a), threading.Thread(target=writer_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert seen == {"a sealed before commit": False, "b committed meanwhile": True}
    positions = dict(AuditSeal.objects.values_list("entry_id", "position"))
    assert max(written["a"]) < min(written["b"])  # A inserted first...
    assert max(positions[i] for i in written["b"]) < min(
        positions[i] for i in written["a"]
    )  # ...and B committed first.
    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.head_position == len(before) + len(written["a"]) + len(written["b"])
