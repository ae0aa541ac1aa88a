"""PostgreSQL seals audit entries at COMMIT: the sealing trigger becomes a
constraint trigger, deferred, so a transaction takes the chain head's lock
only as it commits (mlgov/audit_chain.py). The trigger function is unchanged.
SQLite keeps its trigger.

The statements are written out here, not taken from mlgov.audit_chain, so
that what this migration does stays fixed whatever that module becomes.
"""

from django.db import migrations

DROP_SEAL = "DROP TRIGGER IF EXISTS mlgov_audit_seal ON auditlog_logentry"

DEFERRED_SEAL = """
CREATE CONSTRAINT TRIGGER mlgov_audit_seal AFTER INSERT ON auditlog_logentry
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION mlgov_audit_seal()"""

IMMEDIATE_SEAL = """
CREATE TRIGGER mlgov_audit_seal AFTER INSERT ON auditlog_logentry
FOR EACH ROW EXECUTE FUNCTION mlgov_audit_seal()"""


def _replace_seal_trigger(schema_editor, create: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP_SEAL, params=None)
    schema_editor.execute(create, params=None)


def defer_seal(apps, schema_editor):
    _replace_seal_trigger(schema_editor, DEFERRED_SEAL)


def seal_at_insert(apps, schema_editor):
    _replace_seal_trigger(schema_editor, IMMEDIATE_SEAL)


class Migration(migrations.Migration):

    dependencies = [
        ("mlgov", "0004_audit_chain"),
    ]

    operations = [
        migrations.RunPython(defer_seal, seal_at_insert),
    ]
