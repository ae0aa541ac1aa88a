"""Benchmark: the cost of sealing the audit entries of one transaction on
PostgreSQL, where the sealing trigger runs at COMMIT (mlgov/audit_chain.py).

For each N (default 2,000, 10,000 and 20,000), two transactions:

- raw: one INSERT ... SELECT of N entries, then COMMIT; prints the seconds
  of the COMMIT, which is all sealing;
- bulk: `mlgov.audit.record_bulk_changes` of N entries, then COMMIT; prints
  the seconds of both together, the path the app's bulk changes take.

Entries are committed and cannot be deleted (the chain is append-only), so
run it against a scratch database, under the app's statement_timeout:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bench_audit_seal.py 2000 10000 20000
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from auditlog.models import LogEntry  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import DatabaseError, connection, transaction  # noqa: E402

from mlgov.audit import record_bulk_changes  # noqa: E402
from mlgov.audit_chain import ENTRY_TABLE, verify_chain  # noqa: E402
from registry.models import Tag  # noqa: E402


def raw(count: int) -> float:
    content_type = ContentType.objects.get_for_model(Tag)
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {ENTRY_TABLE} (content_type_id, object_pk, "
                "object_repr, action, changes_text, timestamp) "
                "SELECT %s, n::text, 'bench ' || n, 0, '', now() "
                "FROM generate_series(1, %s) AS n",
                [content_type.id, count],
            )
        started = time.perf_counter()
        connection.commit()
        return time.perf_counter() - started
    finally:
        connection.set_autocommit(True)


def bulk(count: int) -> float:
    tags = [Tag(id=n, name=f"bench-{n}") for n in range(1, count + 1)]
    started = time.perf_counter()
    with transaction.atomic():
        record_bulk_changes(
            tags,
            action=LogEntry.Action.CREATE,
            changes=lambda tag: {"name": [None, tag.name]},
        )
    return time.perf_counter() - started


def main(counts: list[int]) -> None:
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: SQLite seals at the INSERT")
    for count in counts:
        for name, run in (("raw", raw), ("bulk", bulk)):
            try:
                print(f"{name:4} {count:>7,} entries: {run(count):6.2f} s", flush=True)
            except DatabaseError as error:
                connection.rollback()
                connection.set_autocommit(True)
                print(f"{name:4} {count:>7,} entries: failed: {error}".strip())
    report = verify_chain()
    print(f"chain: {report.entries:,} entries, problem: {report.problem}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [2000, 10000, 20000])
