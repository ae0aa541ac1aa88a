"""MLflow kept in step: a webhook delivery from MLflow, checked and applied
once through the import; the reconciliation that catches what a missed
webhook left behind."""

import fnmatch
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.mlflow_answers import MlflowModel, ModelChange
from integrations.mlflow_client import MlflowClient, MlflowError
from integrations.mlflow_signing import is_fresh, is_signed_by
from integrations.models import (
    MlflowModelLink,
    MlflowSync,
    MlflowWebhookReceipt,
    MlflowWriteBack,
    UngovernedChange,
)
from integrations.selectors import serving_mlflow_version
from integrations.services.mlflow_import import ImportRow, import_mlflow_models
from mlgov.events import announce
from mlgov.exceptions import DomainError, FieldError
from registry.models import MLModel

# MLflow waits 30 s for an answer (MLFLOW_WEBHOOK_REQUEST_TIMEOUT); reading
# the model back must end before that.
EVENT_DEADLINE_SECONDS = 20.0

# (entity, action) of the registry events that change what mlgov imports.
FOLLOWED_EVENTS = frozenset(
    {
        ("model_version", "created"),
        ("model_version_tag", "set"),
        ("model_version_tag", "deleted"),
        ("model_version_alias", "created"),
        ("model_version_alias", "deleted"),
    }
)

MAX_DELIVERY_ID_LENGTH = 100


ModelReader = Callable[[MlflowSync, str], list[MlflowModel]]


class WebhookRefusedError(DomainError):
    """The request is not a genuine, fresh MLflow delivery for this sync."""

    code = "mlflow_webhook_refused"
    status_code = 401


class ReplayedDeliveryError(DomainError):
    """This delivery id was applied before."""

    code = "mlflow_delivery_replayed"
    status_code = 409


class SyncNotConfiguredError(DomainError):
    """The sync's webhook secret is missing from mlgov's environment."""

    code = "mlflow_sync_not_configured"
    status_code = 503


class MlflowUnreachableError(DomainError):
    """MLflow could not be read back; MLflow retries the delivery."""

    code = "mlflow_unreachable"
    status_code = 502


@dataclass(frozen=True)
class MlflowEvent:
    """The facts of one MLflow webhook body that the sync acts on."""

    entity: str
    action: str
    model_name: str
    alias: str = ""

    @property
    def name(self) -> str:
        return f"{self.entity}.{self.action}"

    @property
    def is_followed(self) -> bool:
        return (self.entity, self.action) in FOLLOWED_EVENTS


def webhook_secret(sync: MlflowSync) -> str:
    """The sync's webhook secret, from mlgov's environment."""
    secret = os.environ.get(sync.secret_variable, "")
    if not secret:
        raise SyncNotConfiguredError(
            f"MLflow sync {sync.name!r} has no webhook secret: set "
            f"{sync.secret_variable} in mlgov's environment to the secret of "
            "the MLflow webhook."
        )
    return secret


def check_mlflow_delivery(
    *,
    sync: MlflowSync,
    delivery_id: str,
    timestamp: str,
    signature: str,
    body: bytes,
    now: int,
) -> None:
    """Refuse a request that is not MLflow's signed, fresh delivery."""
    if not sync.is_active:
        raise WebhookRefusedError(f"MLflow sync {sync.name!r} is switched off.")
    secret = webhook_secret(sync)
    if not delivery_id or not timestamp or not signature:
        raise WebhookRefusedError(
            "The request lacks MLflow's X-MLflow-Delivery-Id, X-MLflow-Timestamp "
            "or X-MLflow-Signature header."
        )
    if len(delivery_id) > MAX_DELIVERY_ID_LENGTH:
        raise FieldError(
            "X-MLflow-Delivery-Id",
            f"is longer than {MAX_DELIVERY_ID_LENGTH} characters.",
        )
    if not is_fresh(timestamp=timestamp, now=now):
        raise WebhookRefusedError(
            f"X-MLflow-Timestamp {timestamp[:20]!r} is more than five minutes "
            "from mlgov's clock: a stale or replayed delivery."
        )
    if not is_signed_by(
        secret=secret,
        delivery_id=delivery_id,
        timestamp=timestamp,
        body=body,
        signature=signature,
    ):
        raise WebhookRefusedError(
            "X-MLflow-Signature does not match the body: check that "
            f"{sync.secret_variable} holds the MLflow webhook's secret."
        )


def read_mlflow_event(body: bytes) -> MlflowEvent:
    """The entity, action and model name of a webhook body; a malformed body
    is a 400 naming the field."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise FieldError("body", "is not JSON.") from None
    if not isinstance(payload, dict):
        raise FieldError("body", "is not a JSON object.")
    entity, action = payload.get("entity"), payload.get("action")
    for field, value in (("entity", entity), ("action", action)):
        if not isinstance(value, str) or not value:
            raise FieldError(field, "is missing or not a string.")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise FieldError("data", "is missing or not an object.")
    name = data.get("name", "")
    if not isinstance(name, str):
        raise FieldError("data.name", "is not a string.")
    alias = data.get("alias", "")
    if not isinstance(alias, str):
        raise FieldError("data.alias", "is not a string.")
    event = MlflowEvent(
        entity=str(entity), action=str(action), model_name=name, alias=alias
    )
    if event.is_followed and not name:
        raise FieldError("data.name", "is missing.")
    return event


def mlflow_client(sync: MlflowSync, *, deadline_seconds: float) -> MlflowClient:
    """A client for the sync's server, with the credentials MLflow's own
    client reads from the environment."""
    return MlflowClient(
        sync.tracking_uri,
        token=os.environ.get("MLFLOW_TRACKING_TOKEN", ""),
        username=os.environ.get("MLFLOW_TRACKING_USERNAME", ""),
        password=os.environ.get("MLFLOW_TRACKING_PASSWORD", ""),
        deadline_seconds=deadline_seconds,
        max_answer_bytes=settings.MLFLOW_IMPORT_MAX_ANSWER_BYTES,
        max_pages=settings.MLFLOW_IMPORT_MAX_PAGES,
    )


def read_model_from_mlflow(sync: MlflowSync, name: str) -> list[MlflowModel]:
    """The one registered model as MLflow holds it now, with its versions."""
    return mlflow_client(sync, deadline_seconds=EVENT_DEADLINE_SECONDS).read_models(
        [name]
    )


def is_followed_model(sync: MlflowSync, name: str) -> bool:
    """Whether the sync follows the MLflow model `name`."""
    return fnmatch.fnmatchcase(name, sync.model_filter)


def describe(rows: list[ImportRow]) -> str:
    """One line on what an import changed."""
    parts = []
    for row in rows:
        added = ", ".join(f"{mlflow}→v{mlgov}" for mlflow, mlgov in row.versions_added)
        if row.action == "unchanged":
            parts.append(f"{row.name}: unchanged")
            continue
        details = [row.action]
        if added:
            details.append(f"versions added {added}")
        if row.versions_updated:
            numbers = ", ".join(str(n) for n in row.versions_updated)
            details.append(f"tags or aliases of {numbers} updated")
        parts.append(f"{row.name}: " + "; ".join(details))
    return " ".join(parts) or "nothing to apply"


def receive_mlflow_webhook(
    *,
    sync: MlflowSync,
    delivery_id: str,
    sent_at: datetime,
    event: MlflowEvent,
    read_models: ModelReader | None = None,
) -> MlflowWebhookReceipt:
    """Apply one checked MLflow delivery once: the event's model is read back
    from MLflow and imported (idempotent) as the sync's account (the caller
    makes it the audit trail's actor), and the delivery id is stored in the
    same transaction, so a replay is refused and a failure leaves nothing
    behind for MLflow's retry to trip over.

    The sync's row is locked while MLflow is read and the import runs, so
    deliveries about the same sync apply one at a time, each with what MLflow
    holds after the ones before."""
    with transaction.atomic():
        MlflowSync.objects.select_for_update().filter(pk=sync.pk).first()
        if MlflowWebhookReceipt.objects.filter(
            sync=sync, delivery_id=delivery_id
        ).exists():
            raise ReplayedDeliveryError(
                f"MLflow delivery {delivery_id[:100]!r} was received before."
            )
        outcome = MlflowWebhookReceipt.Outcome.IGNORED
        summary = f"{event.name} is not an event the sync follows"
        if event.is_followed and not is_followed_model(sync, event.model_name):
            summary = f"model {event.model_name!r} is outside {sync.model_filter!r}"
        elif event.is_followed:
            try:
                models = (read_models or read_model_from_mlflow)(sync, event.model_name)
            except MlflowError as error:
                raise MlflowUnreachableError(str(error)) from error
            rows = import_mlflow_models(
                actor=sync.account,
                team=sync.team,
                tracking_uri=sync.tracking_uri,
                models=models,
            )
            outcome, summary = MlflowWebhookReceipt.Outcome.APPLIED, describe(rows)
            if event.entity == "model_version_alias" and event.alias == sync.alias:
                change = check_alias(
                    sync=sync, mlflow_name=event.model_name, delivery_id=delivery_id
                )
                if change is not None:
                    summary += (
                        f" Ungoverned change: {sync.alias} {change.described_move}."
                    )
        try:
            with transaction.atomic():
                return MlflowWebhookReceipt.objects.create(
                    sync=sync,
                    delivery_id=delivery_id,
                    event=event.name[:100],
                    model_name=event.model_name[:500],
                    outcome=outcome,
                    summary=summary,
                    sent_at=sent_at,
                )
        except IntegrityError:
            raise ReplayedDeliveryError(
                f"MLflow delivery {delivery_id[:100]!r} was received before."
            ) from None


def mlflow_sent_at(timestamp: str) -> datetime:
    """The instant of an X-MLflow-Timestamp already found fresh."""
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def models_to_reconcile(
    *,
    tracking_uri: str,
    changes: list[ModelChange],
    since: datetime,
    model_filter: str = "*",
) -> list[str]:
    """The MLflow models a reconciliation reads: those the filter follows
    that changed at or after `since`, and those whose aliases differ from
    what mlgov last saw (MLflow does not date an alias move)."""
    since_ms = int(since.timestamp() * 1000)
    held = dict(
        MlflowModelLink.objects.filter(tracking_uri=tracking_uri).values_list(
            "mlflow_name", "aliases"
        )
    )
    return [
        change.name
        for change in changes
        if fnmatch.fnmatchcase(change.name, model_filter)
        and (
            change.changed_ms >= since_ms
            or (change.name in held and held[change.name] != change.aliases)
        )
    ]


def resolve_ungoverned_changes(*, sync: MlflowSync, model: MLModel) -> int:
    """MLflow agrees with mlgov again: the model's open change is resolved."""
    resolved = 0
    for change in UngovernedChange.objects.open().filter(sync=sync, model=model):
        change.resolved_at = timezone.now()
        change.save(update_fields=["resolved_at"])
        resolved += 1
    return resolved


def check_alias(
    *, sync: MlflowSync, mlflow_name: str, delivery_id: str
) -> UngovernedChange | None:
    """After an alias event: when MLflow's alias (as just imported) names a
    version other than the one mlgov serves in the sync's environment, and
    mlgov is not about to move it itself, record the ungoverned change on
    the model and announce it; when they agree, resolve what was open."""
    link = (
        MlflowModelLink.objects.filter(
            tracking_uri=sync.tracking_uri, mlflow_name=mlflow_name
        )
        .select_related("model")
        .first()
    )
    if link is None:
        return None
    model = link.model
    in_mlflow = link.aliases.get(sync.alias)
    serving = serving_mlflow_version(sync=sync, model=model)
    if in_mlflow == serving:
        resolve_ungoverned_changes(sync=sync, model=model)
        return None
    if MlflowWriteBack.objects.filter(
        sync=sync,
        model=model,
        kind=MlflowWriteBack.Kind.ALIAS,
        status=MlflowWriteBack.Status.PENDING,
    ).exists():
        return None
    change = UngovernedChange.objects.open().filter(sync=sync, model=model).first()
    if change is not None and (
        change.mlflow_version,
        change.serving_mlflow_version,
    ) == (
        in_mlflow,
        serving,
    ):
        return change
    if change is None:
        change = UngovernedChange(model=model, sync=sync, alias=sync.alias)
    change.mlflow_version = in_mlflow
    change.serving_mlflow_version = serving
    change.delivery_id = delivery_id
    change.detected_at = timezone.now()
    change.save()
    announce(
        "mlflow.ungoverned_change",
        change_id=change.pk,
        model=model.name,
        sync=sync.name,
        environment=sync.environment.name,
        alias=sync.alias,
        mlflow_version=in_mlflow,
        serving_mlflow_version=serving,
    )
    return change
