import json

import pytest
import yaml
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command

from governance.documents import parse_policy_document
from governance.exceptions import PolicyInUseError
from governance.models import Policy, PolicyRevision, Rule
from governance.selectors import policy_document
from governance.services import (
    delete_policy,
    export_policy_documents,
    known_environment_names,
    update_policy,
)
from mlgov.exceptions import FieldError, PermissionDeniedError
from tests.governance.conftest import approvals, auc_floor

pytestmark = pytest.mark.django_db


def parse(data, base=None):
    return parse_policy_document(
        data, environments=known_environment_names(), base=base
    )


def test_every_change_raises_the_revision(make_policy, governance_admin):
    policy = make_policy("floor", [auc_floor(0.8)])

    update_policy(
        actor=governance_admin,
        policy=policy,
        document=parse({"enforcement": "advisory"}, policy_document(policy)),
        reason="Soften",
    )
    policy.refresh_from_db()
    assert policy.revision == 2

    unchanged = parse(
        {"enforcement": "advisory"}, policy_document(Policy.objects.get())
    )
    update_policy(
        actor=governance_admin, policy=policy, document=unchanged, reason="Same"
    )
    policy.refresh_from_db()
    assert policy.revision == 2


def test_rule_changes_are_audited_rule_by_rule(make_policy, governance_admin):
    policy = make_policy("floor", [auc_floor(0.8), approvals(1)])

    update_policy(
        actor=governance_admin,
        policy=policy,
        document=parse(
            {"rules": [auc_floor(0.85), approvals(1)]}, policy_document(policy)
        ),
        reason="Raise the floor",
    )

    changed = LogEntry.objects.get_for_model(Rule).filter(action=LogEntry.Action.UPDATE)
    assert changed.count() == 1
    assert Rule.objects.get(position=1).params["value"] == 0.85


def test_only_governance_admins_manage_policies(reviewer):
    from governance.services import create_policy

    with pytest.raises(PermissionDeniedError):
        create_policy(
            actor=reviewer,
            document=parse({"name": "x", "rules": []}),
            reason="Mine",
        )


def test_policy_with_waivers_cannot_be_deleted(make_policy, governance_admin):
    from datetime import timedelta

    from django.utils import timezone

    from governance.models import Waiver
    from tests.factories import ModelVersionFactory

    policy = make_policy("floor", [auc_floor()])
    Waiver.objects.create(
        version=ModelVersionFactory(),
        policy=policy,
        rule_position=1,
        justification="x",
        granted_by=governance_admin,
        expires_at=timezone.now() + timedelta(days=1),
    )

    with pytest.raises(PolicyInUseError):
        delete_policy(actor=governance_admin, policy=policy)


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"name": "x", "rules": [{"kind": "vibes", "params": {}}]}, "rules[1].kind"),
        (
            {
                "name": "x",
                "rules": [
                    {
                        "kind": "metric_threshold",
                        "params": {"metric": "auc", "op": "=", "value": 1},
                    }
                ],
            },
            "rules[1].params.op",
        ),
        (
            {
                "name": "x",
                "rules": [{"kind": "min_approvals", "params": {"count": -1}}],
            },
            "rules[1].params.count",
        ),
        (
            {
                "name": "x",
                "rules": [
                    {"kind": "model_card_fields", "params": {"fields": ["mood"]}}
                ],
            },
            "rules[1].params.fields",
        ),
        (
            {
                "name": "x",
                "rules": [
                    {
                        "kind": "metric_threshold",
                        "params": {"metric": "auc", "op": ">=", "value": "high"},
                    }
                ],
            },
            "rules[1].params.value",
        ),
        (
            {
                "name": "x",
                "rules": [
                    {"kind": "max_drift_severity", "params": {"severity": "critical"}}
                ],
            },
            "rules[1].params.severity",
        ),
        ({"name": "x", "rules": {}}, "rules"),
        (
            {"name": "x", "rules": [], "scope": {"environments": ["moon"]}},
            "scope.environments",
        ),
        (
            {"name": "x", "rules": [], "scope": {"risk_tiers": ["extreme"]}},
            "scope.risk_tiers",
        ),
        ({"name": "x", "rules": [], "enforcement": "maybe"}, "enforcement"),
        ({"name": "x", "rules": [], "owner": "me"}, "owner"),
        ({"name": "bad name", "rules": []}, "name"),
        ({"rules": []}, "name"),
    ],
)
def test_bad_policy_documents_name_the_field(document, field):
    with pytest.raises(FieldError) as error:
        parse(document)

    assert error.value.field == field


def test_export_import_round_trip(make_policy, governance_admin, tmp_path, capsys):
    make_policy(
        "floor", [auc_floor(0.8)], risk_tiers=["high"], environments=["production"]
    )
    make_policy("review", [approvals(2)], tags=["pii"], enforcement="advisory")
    call_command("export_policies")
    exported = capsys.readouterr().out
    path = tmp_path / "policies.yaml"
    path.write_text(exported)
    Policy.objects.all().delete()

    call_command("import_policies", str(path), "--as", governance_admin.username)

    assert export_policy_documents() == yaml.safe_load(exported)["policies"]
    imported = PolicyRevision.objects.filter(policy__isnull=False)
    assert set(imported.values_list("reason", flat=True)) == {
        "Imported from policies.yaml"
    }


def test_import_keeps_the_given_reason_with_each_revision(
    make_policy, governance_admin, tmp_path
):
    make_policy("floor", [auc_floor(0.8)])
    path = tmp_path / "policies.json"
    path.write_text(json.dumps({"policies": [{"name": "floor", "rules": []}]}))

    call_command(
        "import_policies",
        str(path),
        "--as",
        governance_admin.username,
        "--reason",
        "Quarterly policy review",
    )

    latest = PolicyRevision.objects.get(revision=2)
    assert (latest.reason, latest.changed_by) == (
        "Quarterly policy review",
        governance_admin,
    )


def test_import_dry_run_reports_and_changes_nothing(
    make_policy, governance_admin, tmp_path, capsys
):
    make_policy("floor", [auc_floor(0.8), approvals(1)])
    make_policy("stale", [approvals(1)])
    before = export_policy_documents()
    path = tmp_path / "policies.json"
    path.write_text(
        json.dumps(
            {
                "policies": [
                    {"name": "floor", "rules": [auc_floor(0.9)]},
                    {"name": "fresh", "rules": [approvals(3)]},
                ]
            }
        )
    )

    call_command(
        "import_policies",
        str(path),
        "--as",
        governance_admin.username,
        "--dry-run",
        "--prune",
    )

    output = capsys.readouterr().out
    assert "add     fresh: rules added [1]" in output
    assert "change  floor: rules changed [1]; rules removed [2]" in output
    assert "remove  stale" in output
    assert "3 policies would change." in output
    assert export_policy_documents() == before


def test_import_refuses_a_bad_document(governance_admin, tmp_path):
    path = tmp_path / "policies.yaml"
    path.write_text("policies:\n  - name: x\n    rules: [{kind: vibes}]\n")

    with pytest.raises(CommandError, match="rules"):
        call_command("import_policies", str(path), "--as", governance_admin.username)

    assert not Policy.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_policy_updates_each_raise_the_revision(
    make_policy, governance_admin
):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL")
    policy = make_policy("floor", [auc_floor(0.8)])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def update(enforcement: str) -> None:
        try:
            document = parse({"enforcement": enforcement}, policy_document(policy))
            barrier.wait()
            update_policy(
                actor=governance_admin,
                policy=policy,
                document=document,
                reason="Race",
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=update, args=(level,))
        for level in ("advisory", "disabled")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    policy.refresh_from_db()
    assert policy.revision == 3
    assert policy.enforcement in ("advisory", "disabled")
