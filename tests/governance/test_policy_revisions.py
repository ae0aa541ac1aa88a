"""Policy revisions: every create and change records the policy document
with who changed it and why; a change without a reason, or from a stale
revision, writes nothing."""

import importlib

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.db import IntegrityError, transaction

from governance.documents import parse_policy_document, stored_document
from governance.exceptions import PolicyChangedError
from governance.models import BACKFILL_REASON, Policy, PolicyRevision
from governance.selectors import policy_document
from governance.services import (
    create_policy,
    delete_policy,
    known_environment_names,
    update_policy,
)
from mlgov.exceptions import FieldError
from tests.governance.conftest import approvals, auc_floor

pytestmark = pytest.mark.django_db


def parse(data, base=None):
    return parse_policy_document(
        data, environments=known_environment_names(), base=base
    )


def raise_floor(policy, value):
    return parse({"rules": [auc_floor(value)]}, policy_document(policy))


def test_creating_a_policy_records_revision_one_with_its_reason(governance_admin):
    policy = create_policy(
        actor=governance_admin,
        document=parse({"name": "floor", "rules": [auc_floor(0.8)]}),
        reason="A floor for every model",
    )

    revision = policy.revisions.get()
    assert revision.revision == 1
    assert revision.changed_by == governance_admin
    assert revision.reason == "A floor for every model"
    assert revision.document == policy_document(policy).as_dict()


def test_a_change_records_the_next_revision_as_the_api_documents_it(
    make_policy, governance_admin
):
    policy = make_policy("floor", [auc_floor(0.8)])

    update_policy(
        actor=governance_admin,
        policy=policy,
        document=raise_floor(policy, 0.85),
        reason="Auditors asked for 0.85",
    )

    latest = PolicyRevision.objects.get(policy=policy, revision=2)
    assert latest.reason == "Auditors asked for 0.85"
    assert latest.changed_by == governance_admin
    assert latest.document["rules"] == [auc_floor(0.85)]
    assert latest.document["scope"] == {
        "risk_tiers": [],
        "environments": [],
        "tags": [],
        "model_kinds": [],
    }
    assert LogEntry.objects.get_for_model(PolicyRevision).count() == 2


def test_an_unchanged_document_records_no_revision(make_policy, governance_admin):
    policy = make_policy("floor", [auc_floor(0.8)])

    update_policy(
        actor=governance_admin,
        policy=policy,
        document=policy_document(policy),
        reason="Nothing really",
    )

    assert list(policy.revisions.values_list("revision", flat=True)) == [1]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_change_without_a_reason_is_refused_and_writes_nothing(
    make_policy, governance_admin, reason
):
    policy = make_policy("floor", [auc_floor(0.8)])

    with pytest.raises(FieldError) as caught:
        update_policy(
            actor=governance_admin,
            policy=policy,
            document=raise_floor(policy, 0.9),
            reason=reason,
        )

    assert caught.value.field == "reason"
    policy.refresh_from_db()
    assert policy.revision == 1
    assert policy.rules.get().params["value"] == 0.8
    assert policy.revisions.count() == 1


def test_a_change_from_a_stale_revision_is_refused_and_writes_nothing(
    make_policy, governance_admin
):
    policy = make_policy("floor", [auc_floor(0.8)])
    update_policy(
        actor=governance_admin,
        policy=policy,
        document=raise_floor(policy, 0.85),
        reason="First editor",
    )

    with pytest.raises(PolicyChangedError) as caught:
        update_policy(
            actor=governance_admin,
            policy=policy,
            document=raise_floor(policy, 0.7),
            reason="Second editor, from revision 1",
            expected_revision=1,
        )

    assert "revision 2" in caught.value.message
    policy.refresh_from_db()
    assert policy.revision == 2
    assert policy.rules.get().params["value"] == 0.85


def test_invalid_rule_parameters_are_refused_naming_the_field(
    make_policy, governance_admin
):
    policy = make_policy("floor", [auc_floor(0.8)])

    with pytest.raises(FieldError) as caught:
        parse(
            {"rules": [{"kind": "min_approvals", "params": {"count": 0}}]},
            policy_document(policy),
        )

    assert caught.value.field == "rules[1].params.count"
    assert policy.revisions.count() == 1


def test_the_database_refuses_a_revision_without_reason_or_author(make_policy):
    policy = make_policy("floor", [auc_floor(0.8)])

    for reason in ("", "Someone, somewhere"):
        with pytest.raises(IntegrityError), transaction.atomic():
            PolicyRevision.objects.create(
                policy=policy, revision=9, document={}, reason=reason
            )


def test_deleting_a_policy_keeps_its_revisions(make_policy, governance_admin):
    policy = make_policy("floor", [auc_floor(0.8), approvals(1)])

    delete_policy(actor=governance_admin, policy=policy)

    kept = PolicyRevision.objects.get()
    assert kept.policy is None
    assert kept.document["name"] == "floor"


def test_the_backfill_records_each_policys_current_state(governance_admin):
    policy = Policy.objects.create(name="legacy", revision=4, risk_tiers=["high"])
    policy.rules.create(position=1, kind="min_approvals", params={"count": 2})
    backfill = importlib.import_module(
        "governance.migrations.0006_backfill_policy_revisions"
    )

    backfill.record_current_revisions(apps, None)
    backfill.record_current_revisions(apps, None)

    revision = PolicyRevision.objects.get()
    assert (revision.revision, revision.changed_by, revision.reason) == (
        4,
        None,
        BACKFILL_REASON,
    )
    # Stored before scopes named model kinds, it reads back as covering all.
    assert stored_document(revision.document) == policy_document(policy)
