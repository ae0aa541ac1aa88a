"""The receiver of MLflow's webhooks: signature, freshness, replays, and each
registry event applied through the import, against a real MLflow server."""

import time

import pytest
from auditlog.models import LogEntry
from rest_framework.test import APIClient

from integrations.mlflow_answers import MlflowModel
from integrations.mlflow_signing import is_fresh, is_signed_by, sign
from integrations.models import MlflowModelLink, MlflowVersionLink, MlflowWebhookReceipt
from registry.models import MLModel, ModelVersion
from tests.integrations.mlflow_sync_helpers import (
    SECRET,
    body_of,
    make_sync,
    post_delivery,
    signed_headers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setenv("MLFLOW_WEBHOOK_SECRET_MAIN", SECRET)
    return SECRET


@pytest.fixture
def sync(team, data_scientist, secret):
    return make_sync(team=team, account=data_scientist)


@pytest.fixture
def no_mlflow(monkeypatch):
    """MLflow answers with an empty model: the tests of the checks never
    reach a server."""
    asked = []

    def read(sync, name):
        asked.append(name)
        return [MlflowModel(name=name, description="", tags={}, aliases={})]

    monkeypatch.setattr(
        "integrations.services.mlflow_sync.read_model_from_mlflow", read
    )
    return asked


def deliver(sync_name, body, **header_options):
    return post_delivery(
        APIClient(), sync_name, body, signed_headers(body, **header_options)
    )


def test_signature_is_mlflows_scheme_over_id_timestamp_and_body():
    signature = sign(secret="s", delivery_id="d", timestamp="1", body=b"{}")

    # What MLflow 3.17.2's own _generate_hmac_signature("s", "d", "1", "{}") gives.
    assert signature == "v1,IU+2+KHu4+2P4cNMuwvd3lx0u3yUZ/KaEHscpFOsm4Y="
    assert is_signed_by(
        secret="s", delivery_id="d", timestamp="1", body=b"{}", signature=signature
    )
    assert not is_signed_by(
        secret="s", delivery_id="e", timestamp="1", body=b"{}", signature=signature
    )


@pytest.mark.parametrize(
    ("timestamp", "fresh"),
    [("1000", True), ("700", True), ("699", False), ("1301", False), ("-5", False)],
)
def test_a_timestamp_is_fresh_within_five_minutes_either_way(timestamp, fresh):
    assert is_fresh(timestamp=timestamp, now=1000) is fresh


def test_a_signed_fresh_delivery_is_applied_and_recorded(sync, no_mlflow):
    body = body_of("model_version", "created", name="churn", version="1")

    response = deliver("main", body)

    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == "applied"
    assert no_mlflow == ["churn"]
    receipt = MlflowWebhookReceipt.objects.get()
    assert (receipt.event, receipt.model_name) == ("model_version.created", "churn")


def test_a_wrong_signature_is_refused_and_nothing_applied(sync, no_mlflow):
    body = body_of("model_version", "created", name="churn", version="1")

    response = deliver("main", body, secret="not-the-secret")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "mlflow_webhook_refused"
    assert "X-MLflow-Signature" in response.json()["error"]["message"]
    assert no_mlflow == []
    assert not MlflowWebhookReceipt.objects.exists()


def test_a_body_changed_after_signing_is_refused(sync, no_mlflow):
    body = body_of("model_version", "created", name="churn", version="1")
    headers = signed_headers(body)

    response = post_delivery(
        APIClient(), "main", body.replace(b"churn", b"fraud"), headers
    )

    assert response.status_code == 401
    assert not MlflowWebhookReceipt.objects.exists()


def test_a_stale_delivery_is_refused(sync, no_mlflow):
    body = body_of("model_version", "created", name="churn", version="1")

    response = deliver("main", body, timestamp=int(time.time()) - 301)

    assert response.status_code == 401
    assert "five minutes" in response.json()["error"]["message"]
    assert no_mlflow == []


def test_a_delivery_without_mlflows_headers_is_refused(sync, no_mlflow):
    response = post_delivery(APIClient(), "main", b"{}", {})

    assert response.status_code == 401
    assert "X-MLflow-Delivery-Id" in response.json()["error"]["message"]


def test_a_replayed_delivery_is_refused(sync, no_mlflow):
    body = body_of("model_version_alias", "created", name="churn", alias="a")
    headers = signed_headers(body)
    assert post_delivery(APIClient(), "main", body, headers).status_code == 200

    again = post_delivery(APIClient(), "main", body, headers)

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "mlflow_delivery_replayed"
    assert MlflowWebhookReceipt.objects.count() == 1
    assert no_mlflow == ["churn"]


def test_without_a_secret_in_the_environment_every_delivery_is_refused(
    sync, no_mlflow, monkeypatch
):
    monkeypatch.delenv("MLFLOW_WEBHOOK_SECRET_MAIN")
    body = body_of("model_version", "created", name="churn", version="1")

    response = deliver("main", body)

    assert response.status_code == 503
    assert "MLFLOW_WEBHOOK_SECRET_MAIN" in response.json()["error"]["message"]
    assert not MlflowWebhookReceipt.objects.exists()


def test_an_unknown_sync_is_not_found(sync):
    body = body_of("model_version", "created", name="churn", version="1")

    assert deliver("nope", body).status_code == 404


def test_a_switched_off_sync_refuses_deliveries(sync, no_mlflow):
    sync.is_active = False
    sync.save()
    body = body_of("model_version", "created", name="churn", version="1")

    assert deliver("main", body).status_code == 401
    assert no_mlflow == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b"[]", "body"),
        (b'{"action": "created", "data": {}}', "entity"),
        (b'{"entity": "model_version", "action": "created"}', "data"),
        (b'{"entity": "model_version", "action": "created", "data": {}}', "data.name"),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_field(sync, no_mlflow, body, field):
    response = deliver("main", body)

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(field)
    assert not MlflowWebhookReceipt.objects.exists()


def test_events_the_sync_does_not_follow_are_acknowledged_and_ignored(sync, no_mlflow):
    body = body_of("prompt", "created", name="greeting")

    response = deliver("main", body)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert no_mlflow == []


def test_models_outside_the_filter_are_ignored(sync, no_mlflow):
    sync.model_filter = "fraud-*"
    sync.save()
    body = body_of("model_version", "created", name="churn", version="1")

    response = deliver("main", body)

    assert response.json()["outcome"] == "ignored"
    assert "outside 'fraud-*'" in response.json()["summary"]
    assert no_mlflow == []


def test_an_unreachable_mlflow_answers_502_and_records_nothing_so_mlflow_retries(
    sync,
):
    body = body_of("model_version", "created", name="churn", version="1")

    response = deliver("main", body)

    assert response.status_code == 502
    assert not MlflowWebhookReceipt.objects.exists()
    assert not MLModel.objects.exists()


def test_a_model_the_import_refuses_is_a_400_and_nothing_is_written(sync, monkeypatch):
    monkeypatch.setattr(
        "integrations.services.mlflow_sync.read_model_from_mlflow",
        lambda sync, name: [
            MlflowModel(name="not a slug", description="", tags={}, aliases={})
        ],
    )
    body = body_of("model_version", "created", name="not a slug", version="1")

    response = deliver("main", body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "import_refused"
    assert "cannot be an mlgov model name" in response.json()["error"]["message"]
    assert not MlflowWebhookReceipt.objects.exists()
    assert not MLModel.objects.exists()


# Each followed event, against a real MLflow server: the receiver reads the
# model back and imports it.


@pytest.fixture
def live_sync(team, data_scientist, secret, mlflow):
    return make_sync(team=team, account=data_scientist, uri=mlflow.uri)


def test_a_version_created_in_mlflow_arrives_as_a_draft_as_the_sync_account(
    live_sync, mlflow, data_scientist
):
    name = mlflow.model("churn")
    mlflow.version(name, metrics={"auc": 0.9})
    body = body_of("model_version", "created", name=name, version="1")

    response = deliver("main", body)

    assert response.status_code == 200, response.json()
    assert "versions added 1→v1" in response.json()["summary"]
    version = ModelVersion.objects.get(model__name=name)
    assert (version.status, version.metrics) == ("draft", {"auc": 0.9})
    (entry,) = LogEntry.objects.get_for_object(version)
    assert entry.actor == data_scientist
    receipt = MlflowWebhookReceipt.objects.get()
    assert LogEntry.objects.get_for_object(receipt).get().actor == data_scientist


def test_the_same_event_twice_under_new_ids_changes_nothing_the_second_time(
    live_sync, mlflow
):
    name = mlflow.model("churn")
    mlflow.version(name)
    body = body_of("model_version", "created", name=name, version="1")
    deliver("main", body)

    again = deliver("main", body)

    assert again.status_code == 200
    assert again.json()["summary"] == f"{name}: unchanged"
    assert ModelVersion.objects.filter(model__name=name).count() == 1


def test_a_tag_set_in_mlflow_updates_the_version_link(live_sync, mlflow):
    name = mlflow.model("churn")
    mlflow.version(name)
    deliver("main", body_of("model_version", "created", name=name, version="1"))
    mlflow.post(
        "model-versions/set-tag",
        {"name": name, "version": "1", "key": "stage", "value": "candidate"},
    )

    response = deliver(
        "main",
        body_of(
            "model_version_tag",
            "set",
            name=name,
            version="1",
            key="stage",
            value="candidate",
        ),
    )

    assert response.status_code == 200
    assert MlflowVersionLink.objects.get().tags == {"stage": "candidate"}


def test_alias_created_and_deleted_in_mlflow_follow_on_the_links(live_sync, mlflow):
    name = mlflow.model("churn")
    mlflow.version(name)
    deliver("main", body_of("model_version", "created", name=name, version="1"))
    mlflow.alias(name, "production", 1)

    deliver(
        "main",
        body_of(
            "model_version_alias", "created", name=name, alias="production", version="1"
        ),
    )

    assert MlflowModelLink.objects.get().aliases == {"production": 1}
    assert MlflowVersionLink.objects.get().aliases == ["production"]

    mlflow.delete_alias(name, "production")
    deliver(
        "main",
        body_of("model_version_alias", "deleted", name=name, alias="production"),
    )

    assert MlflowModelLink.objects.get().aliases == {}
    assert MlflowVersionLink.objects.get().aliases == []
