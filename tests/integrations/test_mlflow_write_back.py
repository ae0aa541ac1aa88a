"""Decisions out: verdict tags and the sync's alias, written in the deciding
transaction and pushed to a real MLflow server by the worker."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from deployments.services import request_deployment, rollback_deployment
from integrations.models import MlflowWriteBack
from integrations.services import push_due_write_backs
from registry.models import Environment, ModelVersion
from tests.integrations.mlflow_server import aliases_of, version_tags
from tests.integrations.mlflow_sync_helpers import approved, deployed, make_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def development(db):
    return Environment.objects.get(name="development")


@pytest.fixture
def sync(team, data_scientist, mlflow, development):
    sync = make_sync(
        team=team,
        account=data_scientist,
        uri=mlflow.uri,
        model_filter=mlflow.prefix + "*",
        alias="champion",
    )
    sync.environment = development
    sync.save()
    return sync


def import_from_mlflow(sync):
    call_command(
        "import_mlflow", "--sync", sync.name, stdout=io.StringIO(), stderr=io.StringIO()
    )


@pytest.fixture
def two_versions(sync, mlflow, data_scientist, reviewer):
    name = mlflow.model("churn")
    mlflow.version(name)
    mlflow.version(name)
    import_from_mlflow(sync)
    first, second = ModelVersion.objects.filter(model__name=name).order_by("version")
    return name, first, second


def test_a_blocked_gate_decision_is_tagged_on_the_mlflow_version(
    two_versions, mlflow, data_scientist, development
):
    name, draft, _ = two_versions

    request_deployment(actor=data_scientist, version=draft, environment=development)

    (write_back,) = MlflowWriteBack.objects.all()
    assert (write_back.kind, write_back.status) == ("verdict_tags", "pending")
    assert version_tags(mlflow.uri, name, 1) == {}  # never from the request
    assert push_due_write_backs() == 1
    tags = version_tags(mlflow.uri, name, 1)
    assert tags["mlgov.verdict.development"] == "blocked"
    assert tags["mlgov.verdict.development.reason"]
    assert tags["mlgov.verdict.development.link"].endswith(
        f"/models/{name}/#versions-title"
    )
    write_back.refresh_from_db()
    assert (write_back.status, write_back.attempts) == ("done", 1)


def test_a_completed_deployment_moves_the_alias_and_a_rollback_moves_it_back(
    two_versions, mlflow, data_scientist, reviewer, development
):
    name, first, second = two_versions
    deployed(approved(first, data_scientist, reviewer), development, data_scientist)
    push_due_write_backs()
    assert aliases_of(mlflow.uri, name) == {"champion": 1}

    current = deployed(
        approved(second, data_scientist, reviewer), development, data_scientist
    )
    push_due_write_backs()
    assert aliases_of(mlflow.uri, name) == {"champion": 2}

    rollback_deployment(actor=data_scientist, deployment=current, reason="worse")
    push_due_write_backs()

    assert aliases_of(mlflow.uri, name) == {"champion": 1}
    pushed = MlflowWriteBack.objects.filter(kind="alias").order_by("id")
    assert [w.mlflow_version for w in pushed] == [1, 2, 1]
    tags = version_tags(mlflow.uri, name, 2)
    assert tags["mlgov.verdict.development"] == "approved"


def test_a_decision_rolled_back_leaves_nothing_to_push(
    two_versions, data_scientist, development
):
    _, draft, _ = two_versions

    with transaction.atomic():
        request_deployment(actor=data_scientist, version=draft, environment=development)
        transaction.set_rollback(True)

    assert not MlflowWriteBack.objects.exists()


def test_deployments_in_another_environment_move_no_alias(
    two_versions, data_scientist, reviewer
):
    _, first, _ = two_versions
    sandbox = Environment.objects.create(name="sandbox", rank=5)

    deployed(approved(first, data_scientist, reviewer), sandbox, data_scientist)

    assert not MlflowWriteBack.objects.filter(kind="alias").exists()


def test_an_unreachable_mlflow_is_retried_with_backoff_then_given_up(
    two_versions, data_scientist, development, settings, log_lines
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    _, draft, _ = two_versions
    request_deployment(actor=data_scientist, version=draft, environment=development)
    write_back = MlflowWriteBack.objects.get()
    write_back.sync.tracking_uri = "http://127.0.0.1:9"
    write_back.sync.save()

    assert push_due_write_backs() == 1
    write_back.refresh_from_db()
    assert (write_back.status, write_back.attempts) == ("pending", 1)
    assert write_back.last_error
    assert push_due_write_backs() == 0  # waiting for its backoff

    MlflowWriteBack.objects.update(next_attempt_at=write_back.created_at)
    push_due_write_backs()

    write_back.refresh_from_db()
    assert (write_back.status, write_back.attempts) == ("failed", 2)
    events = [line["event"] for line in log_lines() if "event" in line]
    assert events.count("mlflow.write_back_failed") == 1
    assert events.count("mlflow.write_back_given_up") == 1
