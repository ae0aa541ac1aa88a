"""Signed MLflow webhook deliveries, as MLflow 3 sends them, for the tests
of the receiver."""

import json
import time
import uuid
from datetime import UTC, datetime

from deployments.services import (
    complete_deployment,
    request_deployment,
    start_deployment,
)
from governance.services import approve_version, submit_for_review
from integrations.mlflow_signing import (
    DELIVERY_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from integrations.models import MlflowSync
from registry.models import Environment

SECRET = "mlflow-webhook-secret"


def make_sync(*, team, account, uri="http://127.0.0.1:9", name="main", **fields):
    return MlflowSync.objects.create(
        name=name,
        tracking_uri=uri,
        team=team,
        account=account,
        environment=Environment.objects.get(name="production"),
        **fields,
    )


def body_of(entity: str, action: str, **data) -> bytes:
    return json.dumps(
        {
            "entity": entity,
            "action": action,
            "timestamp": datetime.now(UTC).isoformat(),
            "data": data,
        }
    ).encode()


def signed_headers(body: bytes, *, secret=SECRET, delivery_id=None, timestamp=None):
    delivery_id = delivery_id or str(uuid.uuid4())
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        DELIVERY_ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(
            secret=secret, delivery_id=delivery_id, timestamp=timestamp, body=body
        ),
    }


def post_delivery(client, sync_name: str, body: bytes, headers: dict):
    return client.post(
        f"/api/v1/integrations/mlflow/{sync_name}/webhooks/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def approved(version, data_scientist, reviewer):
    submit_for_review(actor=data_scientist, version=version)
    approve_version(version=version, reviewer=reviewer)
    version.refresh_from_db()
    return version


def deployed(version, environment, actor):
    deployment = request_deployment(
        actor=actor, version=version, environment=environment
    )
    start_deployment(actor=actor, deployment=deployment)
    return complete_deployment(actor=actor, deployment=deployment)
