"""Database guards for the deployment ledger: gate decisions and rollout steps
are never updated or deleted; a deployment is never deleted, keeps what was
requested and what the gate decided, and moves only along the status table."""

from django.db import migrations

APPEND_ONLY = ["deployments_gatedecision", "deployments_deploymentstep"]
REQUESTED = [
    "gate_decision_id",
    "model_id",
    "version_id",
    "environment_id",
    "strategy",
    "decision",
    "requested_by_id",
    "requested_at",
]
# DEPLOYMENT_TRANSITIONS as (from, to) pairs, frozen here as shipped.
MOVES = [
    ("approved", "in_progress"),
    ("in_progress", "active"),
    ("in_progress", "failed"),
    ("active", "superseded"),
    ("active", "rolled_back"),
    ("superseded", "active"),
]
_MOVE_ALLOWED = " OR ".join(
    f"(OLD.status = '{old}' AND NEW.status = '{new}')" for old, new in MOVES
)

POSTGRESQL_FORWARD = [
    """
CREATE FUNCTION deployments_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are evidence: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
""",
    *(
        f"""CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION deployments_refuse_change();"""
        for table in APPEND_ONLY
    ),
    """CREATE TRIGGER deployments_deployment_no_delete
    BEFORE DELETE ON deployments_deployment
    FOR EACH ROW EXECUTE FUNCTION deployments_refuse_change();""",
    f"""
CREATE FUNCTION deployments_deployment_guard() RETURNS trigger AS $$
BEGIN
    IF {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in REQUESTED)} THEN
        RAISE EXCEPTION 'deployment %: what was requested and decided never changes',
            OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.status <> OLD.status AND NOT ({_MOVE_ALLOWED}) THEN
        RAISE EXCEPTION 'deployment %: % to % is not an allowed move',
            OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER deployments_deployment_guard
    BEFORE UPDATE ON deployments_deployment
    FOR EACH ROW EXECUTE FUNCTION deployments_deployment_guard();
""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS deployments_deployment_guard ON deployments_deployment;",
    "DROP FUNCTION IF EXISTS deployments_deployment_guard();",
    "DROP TRIGGER IF EXISTS deployments_deployment_no_delete "
    "ON deployments_deployment;",
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in APPEND_ONLY),
    "DROP FUNCTION IF EXISTS deployments_refuse_change();",
]

SQLITE_FORWARD = [
    *(
        f"""CREATE TRIGGER {table}_no_{op.lower()}
    BEFORE {op} ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} rows are evidence: {op} is refused'); END"""
        for table in APPEND_ONLY
        for op in ("UPDATE", "DELETE")
    ),
    """CREATE TRIGGER deployments_deployment_no_delete
    BEFORE DELETE ON deployments_deployment
    BEGIN SELECT RAISE(ABORT, 'deployments are never deleted'); END""",
    f"""CREATE TRIGGER deployments_deployment_requested
    BEFORE UPDATE ON deployments_deployment
    WHEN {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in REQUESTED)}
    BEGIN SELECT RAISE(ABORT, 'what was requested and decided never changes'); END""",
    f"""CREATE TRIGGER deployments_deployment_moves
    BEFORE UPDATE OF status ON deployments_deployment
    WHEN NEW.status <> OLD.status AND NOT ({_MOVE_ALLOWED})
    BEGIN SELECT RAISE(ABORT, 'not an allowed deployment move'); END""",
]
SQLITE_REVERSE = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_no_{op}"
        for table in APPEND_ONLY
        for op in ("update", "delete")
    ),
    "DROP TRIGGER IF EXISTS deployments_deployment_no_delete",
    "DROP TRIGGER IF EXISTS deployments_deployment_requested",
    "DROP TRIGGER IF EXISTS deployments_deployment_moves",
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD})


def reverse(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):
    dependencies = [("deployments", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse)]
