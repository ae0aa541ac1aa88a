import threading

import pytest
from django.db import IntegrityError, connection, transaction

from governance.exceptions import (
    AlreadyDecidedError,
    NotInReviewError,
    SelfApprovalError,
)
from governance.models import Approval, Evaluation
from governance.services import approve_version, reject_version, submit_for_review
from mlgov.exceptions import FieldError, PermissionDeniedError
from registry.models import ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import approvals, auc_floor

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(team, data_scientist):
    model = MLModelFactory(name="churn", team=team, risk_tier="high")
    return ModelVersionFactory(
        model=model, version=1, status="in_review", created_by=data_scientist
    )


def test_submission_records_an_evaluation(team, data_scientist, make_policy):
    make_policy("floor", [auc_floor(0.95)])
    draft = ModelVersionFactory(
        model=MLModelFactory(team=team), version=1, created_by=data_scientist
    )

    submit_for_review(actor=data_scientist, version=draft)

    evaluation = Evaluation.objects.get()
    assert evaluation.trigger == "submission"
    assert evaluation.passed is False
    assert evaluation.results[0]["detail"] == "auc 0.90 is below the minimum 0.95"
    assert evaluation.results[0]["params"] == {
        "metric": "auc",
        "op": ">=",
        "value": 0.95,
    }


def test_approval_approves_when_the_approval_policies_pass(
    version, reviewer, make_policy
):
    make_policy("review", [approvals(1)])

    approve_version(version=version, reviewer=reviewer, comment="Looks right")

    version.refresh_from_db()
    assert version.status == "approved"
    assert Evaluation.objects.get(trigger="review").passed


def test_two_approvals_needed_means_the_first_leaves_it_in_review(
    version, reviewer, second_reviewer, make_policy
):
    make_policy("review", [approvals(2)])

    approve_version(version=version, reviewer=reviewer)
    version.refresh_from_db()
    assert version.status == "in_review"

    approve_version(version=version, reviewer=second_reviewer)
    version.refresh_from_db()
    assert version.status == "approved"


def test_environment_scoped_policies_do_not_block_approval(
    version, reviewer, make_policy
):
    make_policy("prod-floor", [auc_floor(0.99)], environments=["production"])

    approve_version(version=version, reviewer=reviewer)

    version.refresh_from_db()
    assert version.status == "approved"


def test_advisory_failure_does_not_block_approval(version, reviewer, make_policy):
    make_policy("nice-to-have", [auc_floor(0.99)], enforcement="advisory")

    approve_version(version=version, reviewer=reviewer)

    version.refresh_from_db()
    assert version.status == "approved"


def test_rejection_rejects(version, reviewer):
    reject_version(version=version, reviewer=reviewer, comment="Leaks the label")

    version.refresh_from_db()
    assert version.status == "rejected"
    assert Approval.objects.get().decision == "reject"


@pytest.mark.parametrize("author_field", ["created_by", "submitted_by"])
def test_authors_cannot_decide_on_their_version(version, reviewer, author_field):
    setattr(version, author_field, reviewer)
    version.save()

    with pytest.raises(SelfApprovalError):
        approve_version(version=version, reviewer=reviewer)
    with pytest.raises(SelfApprovalError):
        reject_version(version=version, reviewer=reviewer, comment="Leaks the label")

    assert not Approval.objects.exists()
    version.refresh_from_db()
    assert version.status == "in_review"


def test_database_refuses_a_self_approval_written_directly(version):
    with pytest.raises(IntegrityError), transaction.atomic():
        Approval.objects.create(
            version=version, reviewer=version.created_by, decision="approve"
        )


def test_one_decision_per_reviewer(version, reviewer, make_policy):
    make_policy("review", [approvals(2)])
    approve_version(version=version, reviewer=reviewer)

    with pytest.raises(AlreadyDecidedError):
        approve_version(version=version, reviewer=reviewer)


def test_only_versions_in_review_take_decisions(team, reviewer):
    draft = ModelVersionFactory(model=MLModelFactory(team=team), version=1)

    with pytest.raises(NotInReviewError):
        approve_version(version=draft, reviewer=reviewer)


def test_data_scientists_cannot_approve(version, other_data_scientist):
    with pytest.raises(PermissionDeniedError):
        approve_version(version=version, reviewer=other_data_scientist)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_approvals_leave_a_consistent_status(
    version, reviewer, second_reviewer, make_policy
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL")
    make_policy("review", [approvals(2)])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def approve(user) -> None:
        try:
            barrier.wait()
            approve_version(version=version, reviewer=user)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(user,))
        for user in (reviewer, second_reviewer)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    version.refresh_from_db()
    assert version.status == ModelVersion.Status.APPROVED
    assert Approval.objects.filter(version=version).count() == 2


@pytest.mark.parametrize("comment", ["", "   "])
def test_a_rejection_must_say_why(version, reviewer, comment):
    with pytest.raises(FieldError) as error:
        reject_version(version=version, reviewer=reviewer, comment=comment)

    assert error.value.field == "comment"
    assert not Approval.objects.exists()
    version.refresh_from_db()
    assert version.status == "in_review"
