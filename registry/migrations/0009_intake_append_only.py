"""A use-case intake is evidence: its rows are never updated or deleted (a new
answer set is a new revision), as the deployment ledger's records."""

from django.db import migrations

TABLE = "registry_usecaseintake"

POSTGRESQL_FORWARD = [
    """
CREATE FUNCTION registry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are evidence: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
""",
    f"""CREATE TRIGGER {TABLE}_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();""",
]
POSTGRESQL_REVERSE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
    "DROP FUNCTION IF EXISTS registry_refuse_change();",
]

# The DELETE guard lets audit maintenance (the test runner's flush on SQLite)
# through, as deployments' guards do.
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
    dependencies = [("registry", "0008_use_case_intake")]

    operations = [migrations.RunPython(forward, reverse)]
