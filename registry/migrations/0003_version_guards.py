"""Database guards for model versions, beyond what constraints can say:
evidence is frozen once a version leaves draft, number and model never change,
and a lineage parent belongs to the same model."""

from django.db import migrations

FROZEN = [
    "artifact_uri",
    "artifact_sha256",
    "framework",
    "training_data_ref",
    "metrics",
    "params",
    "model_card",
    "parent_id",
]
IMMUTABLE = ["model_id", "version"]

POSTGRESQL_FORWARD = f"""
CREATE FUNCTION registry_modelversion_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in IMMUTABLE)} THEN
            RAISE EXCEPTION 'a model version keeps its model and number'
                USING ERRCODE = 'check_violation';
        END IF;
        IF OLD.status <> 'draft' AND (
            {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN)}
        ) THEN
            RAISE EXCEPTION 'model version %: evidence is frozen after submission', OLD.id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.parent_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM registry_modelversion p
        WHERE p.id = NEW.parent_id AND p.model_id = NEW.model_id
    ) THEN
        RAISE EXCEPTION 'a lineage parent must be a version of the same model'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER registry_modelversion_guard
    BEFORE INSERT OR UPDATE ON registry_modelversion
    FOR EACH ROW EXECUTE FUNCTION registry_modelversion_guard();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS registry_modelversion_guard ON registry_modelversion;
DROP FUNCTION IF EXISTS registry_modelversion_guard();
"""

_LINEAGE_BROKEN = """NEW.parent_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM registry_modelversion p
    WHERE p.id = NEW.parent_id AND p.model_id = NEW.model_id)"""
SQLITE_FORWARD = [
    f"""CREATE TRIGGER registry_modelversion_immutable
    BEFORE UPDATE OF {", ".join(IMMUTABLE)} ON registry_modelversion
    WHEN {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in IMMUTABLE)}
    BEGIN SELECT RAISE(ABORT, 'a model version keeps its model and number'); END""",
    f"""CREATE TRIGGER registry_modelversion_frozen
    BEFORE UPDATE OF {", ".join(FROZEN)} ON registry_modelversion
    WHEN OLD.status <> 'draft' AND ({" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)})
    BEGIN SELECT RAISE(ABORT, 'evidence is frozen after submission'); END""",
    f"""CREATE TRIGGER registry_modelversion_lineage_insert
    BEFORE INSERT ON registry_modelversion WHEN {_LINEAGE_BROKEN}
    BEGIN SELECT RAISE(ABORT, 'lineage parent must be of the same model'); END""",
    f"""CREATE TRIGGER registry_modelversion_lineage_update
    BEFORE UPDATE OF parent_id ON registry_modelversion WHEN {_LINEAGE_BROKEN}
    BEGIN SELECT RAISE(ABORT, 'lineage parent must be of the same model'); END""",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS registry_modelversion_{name}"
    for name in ("immutable", "frozen", "lineage_insert", "lineage_update")
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(
        schema_editor,
        {"postgresql": [POSTGRESQL_FORWARD], "sqlite": SQLITE_FORWARD},
    )


def reverse(apps, schema_editor):
    _run(
        schema_editor,
        {"postgresql": [POSTGRESQL_REVERSE], "sqlite": SQLITE_REVERSE},
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_seed_environments")]

    operations = [migrations.RunPython(forward, reverse)]
