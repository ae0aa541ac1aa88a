"""Database guards: a stored technical document revision is evidence, never
updated or deleted (regenerating makes a new revision)."""

from django.db import migrations

TABLE = "compliance_technicaldocument"

POSTGRESQL_FORWARD = [
    """
CREATE FUNCTION compliance_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are evidence: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
""",
    f"""CREATE TRIGGER {TABLE}_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION compliance_refuse_change();""",
]
POSTGRESQL_REVERSE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
    "DROP FUNCTION IF EXISTS compliance_refuse_change();",
]

# The test runner's flush and audit retention delete in audit maintenance
# (mlgov.audit_chain), which the DELETE guard lets through, as deployments'.
SQLITE_FORWARD = [
    f"""CREATE TRIGGER {TABLE}_no_{op.lower()}
    BEFORE {op} ON {TABLE}
    {"WHEN NOT mlgov_audit_maintenance()" if op == "DELETE" else ""}
    BEGIN SELECT RAISE(ABORT, '{TABLE} rows are evidence: {op} is refused'); END"""
    for op in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {TABLE}_no_{op}" for op in ("update", "delete")]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD})


def reverse(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_technical_document")]

    operations = [migrations.RunPython(forward, reverse)]
