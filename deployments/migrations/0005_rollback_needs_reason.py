"""A rollback step carries its reason. The ledger's existing steps are sealed
evidence and are never rewritten, so the rule holds for new rows only:
PostgreSQL adds the check NOT VALID (new rows checked, old rows kept as they
were written); SQLite cannot add a check without rebuilding the table (which
would drop the append-only triggers of 0002), so a trigger refuses the insert."""

from django.db import migrations, models

TABLE = "deployments_deploymentstep"
NAME = "deploymentstep_rollback_has_reason"

POSTGRESQL_FORWARD = [
    f"""ALTER TABLE {TABLE} ADD CONSTRAINT {NAME}
    CHECK (NOT (action = 'rollback') OR NOT (reason = '')) NOT VALID;"""
]
POSTGRESQL_REVERSE = [f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {NAME};"]
SQLITE_FORWARD = [
    f"""CREATE TRIGGER {NAME}
    BEFORE INSERT ON {TABLE}
    WHEN NEW.action = 'rollback' AND NEW.reason = ''
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {NAME}'); END"""
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {NAME}"]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD})


def reverse(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):
    dependencies = [("deployments", "0004_move_refusal_append_only")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, reverse)],
            state_operations=[
                migrations.AddConstraint(
                    model_name="deploymentstep",
                    constraint=models.CheckConstraint(
                        condition=~models.Q(action="rollback") | ~models.Q(reason=""),
                        name=NAME,
                        violation_error_message="A rollback needs a reason.",
                    ),
                )
            ],
        )
    ]
