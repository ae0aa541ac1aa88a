"""Four eyes in the database: an approval or rejection by the version's creator
or submitter is refused whatever code writes it."""

from django.db import migrations

_AUTHOR_DECIDES = """EXISTS (
    SELECT 1 FROM registry_modelversion v
    WHERE v.id = NEW.version_id
      AND (v.created_by_id = NEW.reviewer_id OR v.submitted_by_id = NEW.reviewer_id))"""

POSTGRESQL_FORWARD = f"""
CREATE FUNCTION governance_approval_guard() RETURNS trigger AS $$
BEGIN
    IF {_AUTHOR_DECIDES} THEN
        RAISE EXCEPTION 'a version''s creator or submitter cannot decide on it'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_approval_guard
    BEFORE INSERT OR UPDATE ON governance_approval
    FOR EACH ROW EXECUTE FUNCTION governance_approval_guard();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS governance_approval_guard ON governance_approval;
DROP FUNCTION IF EXISTS governance_approval_guard();
"""
SQLITE_FORWARD = [
    f"""CREATE TRIGGER governance_approval_guard_{event.lower()}
    BEFORE {event} ON governance_approval WHEN {_AUTHOR_DECIDES}
    BEGIN SELECT RAISE(ABORT, 'a version''s creator or submitter cannot decide on it'); END"""
    for event in ("INSERT", "UPDATE")
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS governance_approval_guard_{event}"
    for event in ("insert", "update")
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"postgresql": [POSTGRESQL_FORWARD], "sqlite": SQLITE_FORWARD})


def reverse(apps, schema_editor):
    _run(schema_editor, {"postgresql": [POSTGRESQL_REVERSE], "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial"), ("registry", "0003_version_guards")]

    operations = [migrations.RunPython(forward, reverse)]
