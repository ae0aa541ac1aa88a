"""Backup and restore round trip, with the commands docs/operations.md gives:
seed every app, back up, restore into an empty scratch database, compare
every table's row count and content checksum, and verify the audit chain of
the restored copy."""

import hashlib
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MUST_HOLD_ROWS = [
    "auditlog_logentry",
    "mlgov_auditseal",
    "mlgov_apitoken",
    "registry_mlmodel",
    "registry_modelversion",
    "governance_policy",
    "governance_rule",
    "governance_approval",
    "drift_driftreport",
    "drift_driftalert",
]


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--models", "30", stdout=io.StringIO())
    call_command("issue_token", "ci-bot", "--role", "viewer", stdout=io.StringIO())


def postgres_checksums(dsn: dict) -> dict[str, tuple[int, str]]:
    with psycopg.connect(**dsn) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
        sums = {}
        for table in tables:
            sums[table] = db.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' "
                f"ORDER BY t::text), '')) FROM \"{table}\" AS t"
            ).fetchone()
        return sums


def sqlite_checksums(db: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%'"
        )
    ]
    sums = {}
    for table in tables:
        columns = [column[1] for column in db.execute(f'PRAGMA table_info("{table}")')]
        # quote() gives the stored values as text, whatever converters the
        # connection has (Django's parses dates; a plain one does not).
        quoted = ", ".join(f'quote("{column}")' for column in columns)
        rows = sorted(
            repr(row) for row in db.execute(f'SELECT {quoted} FROM "{table}"')
        )
        digest = hashlib.md5("\n".join(rows).encode()).hexdigest()
        sums[table] = (len(rows), digest)
    return sums


def test_postgresql_dump_and_restore_round_trip(seeded, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore need PostgreSQL")
    source = connection.settings_dict
    scratch = f"{source['NAME']}_restore"
    dsn = {
        "host": source["HOST"],
        "port": source["PORT"] or 5432,
        "user": source["USER"],
    }
    env = {**os.environ, "PGHOST": dsn["host"], "PGPORT": str(dsn["port"])}
    env["PGUSER"] = dsn["user"]
    dump = tmp_path / "mlgov.dump"
    admin = psycopg.connect(**dsn, dbname="postgres", autocommit=True)
    try:
        drop_database(admin, scratch)
        # The commands of docs/operations.md.
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                f"--file={dump}",
                source["NAME"],
            ],
            check=True,
            env=env,
        )
        admin.execute(f'CREATE DATABASE "{scratch}"')
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={scratch}",
                str(dump),
            ],
            check=True,
            env=env,
        )

        original = postgres_checksums({**dsn, "dbname": source["NAME"]})
        restored = postgres_checksums({**dsn, "dbname": scratch})
        verified = verify_audit(
            f"postgres://{dsn['user']}@{dsn['host']}:{dsn['port']}/{scratch}"
        )
    finally:
        drop_database(admin, scratch)
        admin.close()

    assert_same_content(original, restored)
    assert verified.returncode == 0, verified.stderr
    entries = original["auditlog_logentry"][0]
    assert f"audit chain intact: {entries} entries" in verified.stdout


def test_sqlite_backup_and_restore_round_trip(seeded, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the embedded database only")
    connection.ensure_connection()
    backup = tmp_path / "mlgov-backup.sqlite3"
    restored_path = tmp_path / "mlgov.sqlite3"
    # docs/operations.md: the online backup API (sqlite3 ".backup"), then a
    # restore is a copy of the backup file into place.
    with sqlite3.connect(backup) as target:
        connection.connection.backup(target)
    restored_path.write_bytes(backup.read_bytes())

    original = sqlite_checksums(connection.connection)
    with sqlite3.connect(restored_path) as restored_db:
        restored = sqlite_checksums(restored_db)
    verified = verify_audit(f"sqlite:///{restored_path}")

    assert_same_content(original, restored)
    assert verified.returncode == 0, verified.stderr
    entries = original["auditlog_logentry"][0]
    assert f"audit chain intact: {entries} entries" in verified.stdout


def assert_same_content(original: dict, restored: dict) -> None:
    assert sorted(restored) == sorted(original)
    differing = [table for table in original if original[table] != restored[table]]
    assert differing == []
    empty = [table for table in MUST_HOLD_ROWS if original[table][0] == 0]
    assert empty == [], "the seed did not reach every app"


def drop_database(admin: psycopg.Connection, name: str) -> None:
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
        [name],
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def verify_audit(database_url: str) -> subprocess.CompletedProcess:
    """`manage.py verify_audit` on the restored copy, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=Path(django_settings.BASE_DIR),
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
