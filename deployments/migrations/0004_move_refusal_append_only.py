"""Refused moves are evidence like the steps: never updated or deleted (the
function deployments_refuse_change comes from 0002)."""

from django.db import migrations

TABLE = "deployments_moverefusal"

POSTGRESQL_FORWARD = [
    f"""CREATE TRIGGER {TABLE}_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION deployments_refuse_change();"""
]
POSTGRESQL_REVERSE = [f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};"]

# As in 0002: the DELETE guard lets audit maintenance (the test runner's
# flush on SQLite, retention) through.
SQLITE_FORWARD = [
    f"""CREATE TRIGGER {TABLE}_no_update
    BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{TABLE} rows are evidence: UPDATE is refused'); END""",
    f"""CREATE TRIGGER {TABLE}_no_delete
    BEFORE DELETE ON {TABLE}
    WHEN NOT mlgov_audit_maintenance()
    BEGIN SELECT RAISE(ABORT, '{TABLE} rows are evidence: DELETE is refused'); END""",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD})


def reverse(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):
    dependencies = [("deployments", "0003_move_refusal")]

    operations = [migrations.RunPython(forward, reverse)]
