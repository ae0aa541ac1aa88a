"""Gate decisions and rollout steps are sealed into the audit chain:
`verify_audit` names a decision or a step changed, deleted or inserted behind
the database's guards, a deployment that no longer follows its records, and
guards switched off."""

import contextlib
import importlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from deployments.models import Deployment, DeploymentStep, GateDecision, MoveRefusal
from registry.models import Environment
from registry.services import freeze_environment
from tests.factories import GateDecisionFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/deployments/"
_GUARDS = importlib.import_module("deployments.migrations.0002_immutable_records")
_REFUSAL_GUARDS = importlib.import_module(
    "deployments.migrations.0004_move_refusal_append_only"
)


def raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _sqlite_triggers(table: str) -> list[str]:
    statements = [*_GUARDS.SQLITE_FORWARD, *_REFUSAL_GUARDS.SQLITE_FORWARD]
    return [sql for sql in statements if f" ON {table}" in sql]


def _sqlite_trigger_name(sql: str) -> str:
    return sql.split("CREATE TRIGGER", 1)[1].split()[0]


@contextlib.contextmanager
def guards_off(table: str):
    """What the table's owner can do: switch its triggers off (PostgreSQL:
    ALTER TABLE … DISABLE TRIGGER USER; SQLite has no such switch, so they
    are dropped and re-created as the migration made them)."""
    if connection.vendor == "postgresql":
        # Django's foreign keys are deferred; ALTER TABLE wants them checked.
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        raw(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        raw(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    else:
        statements = _sqlite_triggers(table)
        for sql in statements:
            raw(f"DROP TRIGGER {_sqlite_trigger_name(sql)}")
        yield
        for sql in statements:
            raw(sql)


def leave_guards_off(table: str) -> None:
    if connection.vendor == "postgresql":
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        raw(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    else:
        for sql in _sqlite_triggers(table):
            raw(f"DROP TRIGGER {_sqlite_trigger_name(sql)}")


def verify_fails() -> str:
    with pytest.raises(CommandError) as raised:
        call_command("verify_audit")
    return str(raised.value)


def post(client, path, body=None):
    response = client.post(path, body or {}, format="json")
    assert response.status_code in (200, 201), response.json()
    return response.json()


@pytest.fixture
def ledger(scientist_client, churn, data_scientist):
    """Through the API: a blocked request (production before staging) and a
    development deployment started and completed."""
    version = ModelVersionFactory(
        model=churn, version=3, status="approved", created_by=data_scientist
    )
    body = {"model": "churn", "version": version.version}
    blocked = post(scientist_client, LIST_URL, {**body, "environment": "production"})
    served = post(scientist_client, LIST_URL, {**body, "environment": "development"})
    post(scientist_client, f"{LIST_URL}{served['id']}/start/")
    post(scientist_client, f"{LIST_URL}{served['id']}/complete/", {"reason": "ok"})
    assert blocked["decision"] == "blocked" and served["decision"] == "approved"
    return {
        "blocked": Deployment.objects.get(pk=blocked["id"]),
        "served": Deployment.objects.get(pk=served["id"]),
    }


def test_the_ledger_written_by_the_services_verifies(ledger, capsys):
    call_command("verify_audit")

    out = capsys.readouterr().out
    assert "audit chain intact" in out
    assert (
        "sealed records match the chain: 0 use-case intakes, 2 gate decisions, "
        "2 deployment steps, "
        "0 refused moves, 2 deployments"
    ) in out


def test_a_blocked_decision_rewritten_as_approved_is_named(ledger):
    record = ledger["blocked"].gate_decision
    with guards_off("deployments_gatedecision"), guards_off("deployments_deployment"):
        raw(
            "UPDATE deployments_gatedecision SET decision = 'approved', "
            "checks = '[]' WHERE id = %s",
            [record.pk],
        )
        raw(
            "UPDATE deployments_deployment SET decision = 'approved', "
            "status = 'approved' WHERE id = %s",
            [ledger["blocked"].pk],
        )

    assert f"gate decision {record.pk} differs from what its audit entry" in (
        verify_fails()
    )


def test_a_decision_changed_in_its_evaluation_only_is_named(ledger):
    record = ledger["served"].gate_decision
    with guards_off("deployments_gatedecision"):
        raw(
            "UPDATE deployments_gatedecision SET evaluation = '{}' WHERE id = %s",
            [record.pk],
        )

    assert f"gate decision {record.pk} differs" in verify_fails()


def test_a_deleted_step_is_named(ledger):
    step = DeploymentStep.objects.filter(deployment=ledger["served"]).last()
    with guards_off("deployments_deploymentstep"):
        raw("DELETE FROM deployments_deploymentstep WHERE id = %s", [step.pk])

    problem = verify_fails()

    assert f"deployment step {step.pk} was deleted" in problem
    # The deployment is still active, but its last step now says in progress.
    assert f"deployment {ledger['served'].pk} " in problem


def test_a_decision_inserted_behind_the_application_is_named(ledger):
    record = ledger["blocked"].gate_decision
    raw(
        "INSERT INTO deployments_gatedecision (version_id, environment_id, "
        "strategy, traffic_percent, decision, checks, warnings, evaluation, "
        "approval_ids, waiver_ids, requested_by_id, requested_at, request_id) "
        "SELECT version_id, environment_id, strategy, traffic_percent, "
        "'approved', '[]', '[]', '{}', '[]', '[]', requested_by_id, "
        "requested_at, '' FROM deployments_gatedecision WHERE id = %s",
        [record.pk],
    )
    inserted = GateDecision.objects.order_by("-pk").first()

    assert f"gate decision {inserted.pk} has no audit entry" in verify_fails()


def test_a_deployment_moved_without_its_step_is_named(ledger):
    served = ledger["served"]
    with guards_off("deployments_deployment"):
        raw(
            "UPDATE deployments_deployment SET status = 'failed' WHERE id = %s",
            [served.pk],
        )

    assert f"deployment {served.pk} " in verify_fails()


@pytest.mark.parametrize(
    "table",
    [
        "deployments_gatedecision",
        "deployments_deploymentstep",
        "deployments_deployment",
    ],
)
def test_guards_left_switched_off_are_named(ledger, table):
    leave_guards_off(table)

    problem = verify_fails()

    assert "absent or disabled" in problem
    assert table in problem


def test_values_the_database_writes_back_otherwise_still_verify(capsys):
    """jsonb writes 1e16 back as an integer and -0.0 as 0.0; inet shortens an
    IPv6 address: the digest reads the same from the instance and the row."""
    GateDecisionFactory(
        evaluation={
            "passed": True,
            "results": [{"value": 1e16, "zero": -0.0, "tiny": 1e-7, "auc": 0.1}],
            "big": 1e300,
            "pair": (1, 2.5),
            "exact": 2**70,
        },
        checks=[{"check": "freeze", "passed": True, "detail": "ünïcode ✓"}],
        client_ip="2001:0db8:0000:0000:0000:0000:0000:0001",
        request_id="r-1",
    )

    call_command("verify_audit")

    assert "1 gate decisions" in capsys.readouterr().out


def test_a_refused_move_rewritten_is_named(
    scientist_client, churn, data_scientist, governance_admin
):
    version = ModelVersionFactory(
        model=churn, version=3, status="approved", created_by=data_scientist
    )
    requested = post(
        scientist_client,
        LIST_URL,
        {"model": "churn", "version": version.version, "environment": "development"},
    )
    freeze_environment(
        actor=governance_admin,
        environment=Environment.objects.get(name="development"),
        reason="Quarter close",
    )
    refused = scientist_client.post(
        f"{LIST_URL}{requested['id']}/start/", {}, format="json"
    )
    assert refused.status_code == 409
    refusal = MoveRefusal.objects.get(deployment_id=requested["id"])
    call_command("verify_audit")

    with guards_off("deployments_moverefusal"):
        raw(
            "UPDATE deployments_moverefusal SET detail = 'nothing was frozen' "
            "WHERE id = %s",
            [refusal.pk],
        )

    assert f"refused move {refusal.pk} differs" in verify_fails()


@pytest.mark.parametrize("table", ["deployments_moverefusal"])
def test_refusal_guards_left_switched_off_are_named(ledger, table):
    leave_guards_off(table)

    assert "moverefusal" in verify_fails()
