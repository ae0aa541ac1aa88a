"""Status moves only along the transition table, in the database too: an
UPDATE that sends a version back to draft (to edit frozen evidence) or skips
review fails even when it bypasses the services. Inserts may carry any status
(imports, fixtures); the table is registry.models.VERSION_TRANSITIONS, copied
here as migrations must not change with the code (a test compares them)."""

from django.db import migrations

TRANSITIONS = (
    ("draft", "in_review"),
    ("in_review", "approved"),
    ("in_review", "rejected"),
    ("approved", "retired"),
)

_ALLOWED = " OR ".join(
    f"(OLD.status = '{old}' AND NEW.status = '{new}')" for old, new in TRANSITIONS
)

POSTGRESQL_FORWARD = f"""
CREATE FUNCTION registry_modelversion_status_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT ({_ALLOWED}) THEN
        RAISE EXCEPTION 'model version %: status may not move from % to %',
            OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER registry_modelversion_status_guard
    BEFORE UPDATE OF status ON registry_modelversion
    FOR EACH ROW EXECUTE FUNCTION registry_modelversion_status_guard();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS registry_modelversion_status_guard ON registry_modelversion;
DROP FUNCTION IF EXISTS registry_modelversion_status_guard();
"""
SQLITE_FORWARD = f"""CREATE TRIGGER registry_modelversion_status_guard
    BEFORE UPDATE OF status ON registry_modelversion
    WHEN NEW.status IS NOT OLD.status AND NOT ({_ALLOWED})
    BEGIN SELECT RAISE(ABORT, 'status may not move outside the transition table'); END"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS registry_modelversion_status_guard"


def _run(schema_editor, statements: dict[str, str]) -> None:
    statement = statements.get(schema_editor.connection.vendor)
    if statement:
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD})


def reverse(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_environment_frozen_by")]

    operations = [migrations.RunPython(forward, reverse)]
