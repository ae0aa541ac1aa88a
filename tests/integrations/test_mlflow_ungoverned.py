"""An alias moved in MLflow outside the gate raises an ungoverned change on
the model, announced to webhooks; MLflow agreeing again resolves it."""

import io

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from rest_framework.test import APIClient

from integrations.models import UngovernedChange, WebhookEvent
from integrations.services import push_due_write_backs
from registry.models import Environment, ModelVersion
from tests.integrations.mlflow_sync_helpers import (
    SECRET,
    approved,
    body_of,
    deployed,
    make_sync,
    post_delivery,
    signed_headers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sync(team, data_scientist, mlflow, monkeypatch):
    monkeypatch.setenv("MLFLOW_WEBHOOK_SECRET_MAIN", SECRET)
    sync = make_sync(
        team=team,
        account=data_scientist,
        uri=mlflow.uri,
        model_filter=mlflow.prefix + "*",
    )
    sync.environment = Environment.objects.get(name="development")
    sync.save()
    return sync


@pytest.fixture
def serving_first(sync, mlflow, data_scientist, reviewer):
    """churn with two MLflow versions; mlgov serves the first in development
    and has told MLflow so."""
    name = mlflow.model("churn")
    mlflow.version(name)
    mlflow.version(name)
    call_command(
        "import_mlflow", "--sync", "main", stdout=io.StringIO(), stderr=io.StringIO()
    )
    first = ModelVersion.objects.get(model__name=name, version=1)
    deployed(
        approved(first, data_scientist, reviewer), sync.environment, data_scientist
    )
    push_due_write_backs()
    return name


def alias_event(name, version=None):
    if version is None:
        body = body_of("model_version_alias", "deleted", name=name, alias="production")
    else:
        body = body_of(
            "model_version_alias",
            "created",
            name=name,
            alias="production",
            version=str(version),
        )
    return post_delivery(APIClient(), "main", body, signed_headers(body))


def test_an_alias_moved_by_hand_raises_an_ungoverned_change_and_announces_it(
    serving_first, mlflow, subscribe, data_scientist
):
    subscribe("http://127.0.0.1:18799/hook", ["mlflow.ungoverned_change"])
    mlflow.alias(serving_first, "production", 2)

    response = alias_event(serving_first, 2)

    assert response.status_code == 200
    assert "Ungoverned change" in response.json()["summary"]
    change = UngovernedChange.objects.get()
    assert (change.model.name, change.alias) == (serving_first, "production")
    assert (change.mlflow_version, change.serving_mlflow_version) == (2, 1)
    assert change.resolved_at is None
    assert LogEntry.objects.get_for_object(change).get().actor == data_scientist
    (event,) = WebhookEvent.objects.filter(event_type="mlflow.ungoverned_change")
    assert event.payload["data"] == {
        "change_id": change.pk,
        "model": serving_first,
        "sync": "main",
        "environment": "development",
        "alias": "production",
        "mlflow_version": 2,
        "serving_mlflow_version": 1,
    }


def test_an_alias_removed_by_hand_is_ungoverned_too(serving_first, mlflow):
    mlflow.delete_alias(serving_first, "production")

    alias_event(serving_first)

    change = UngovernedChange.objects.get()
    assert (change.mlflow_version, change.serving_mlflow_version) == (None, 1)
    assert change.described_move == ("was removed; mlgov serves version 1")


def test_the_alias_mlgov_moved_itself_raises_nothing(serving_first, mlflow):
    response = alias_event(serving_first, 1)

    assert response.status_code == 200
    assert not UngovernedChange.objects.exists()


def test_another_alias_is_not_the_gates_business(serving_first, mlflow):
    mlflow.alias(serving_first, "challenger", 2)
    body = body_of(
        "model_version_alias",
        "created",
        name=serving_first,
        alias="challenger",
        version="2",
    )

    post_delivery(APIClient(), "main", body, signed_headers(body))

    assert not UngovernedChange.objects.exists()


def test_a_second_event_of_the_same_move_does_not_announce_twice(
    serving_first, mlflow, subscribe
):
    subscribe("http://127.0.0.1:18799/hook", ["mlflow.ungoverned_change"])
    mlflow.alias(serving_first, "production", 2)
    alias_event(serving_first, 2)

    alias_event(serving_first, 2)

    assert UngovernedChange.objects.count() == 1
    assert WebhookEvent.objects.count() == 1


def test_moving_the_alias_back_resolves_the_change(serving_first, mlflow):
    mlflow.alias(serving_first, "production", 2)
    alias_event(serving_first, 2)
    mlflow.alias(serving_first, "production", 1)

    alias_event(serving_first, 1)

    assert UngovernedChange.objects.get().resolved_at is not None
    assert not UngovernedChange.objects.open().exists()


def test_while_mlgov_has_a_move_pending_the_old_alias_is_not_ungoverned(
    serving_first, mlflow, data_scientist, reviewer, sync
):
    second = ModelVersion.objects.get(model__name=serving_first, version=2)
    deployed(
        approved(second, data_scientist, reviewer), sync.environment, data_scientist
    )

    alias_event(serving_first, 1)  # MLflow still says 1; mlgov's push is due

    assert not UngovernedChange.objects.exists()
    push_due_write_backs()
    alias_event(serving_first, 2)
    assert not UngovernedChange.objects.exists()
