"""Decisions out to MLflow: verdicts as version tags, and the sync's alias
moved to the version that serves. Written in the transaction of the
decision (an outbox), pushed by the `deliver_webhooks` worker, never from
the request; retried with the webhooks' backoff, logged."""

import fnmatch
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from deployments.models import GateDecision
from integrations.links import model_page
from integrations.mlflow_client import MlflowError
from integrations.models import (
    MlflowSync,
    MlflowVersionLink,
    MlflowWriteBack,
)
from integrations.selectors import serving_mlflow_version
from integrations.services.mlflow_sync import (
    mlflow_client,
    resolve_ungoverned_changes,
)
from integrations.services.webhooks import backoff
from mlgov.logging import log_event
from registry.models import MLModel

VERDICT_TAG = "mlgov.verdict.{environment}"
# A push is given this long before another worker may take it over.
PUSH_LEASE = timedelta(minutes=2)
PUSH_DEADLINE_SECONDS = 30.0


def _following_syncs(tracking_uri: str, mlflow_name: str) -> list[MlflowSync]:
    return [
        sync
        for sync in MlflowSync.objects.active().filter(tracking_uri=tracking_uri)
        if fnmatch.fnmatchcase(mlflow_name, sync.model_filter)
    ]


def _version_link(model: str, version: int) -> MlflowVersionLink | None:
    return (
        MlflowVersionLink.objects.filter(
            version__model__name=model, version__version=version
        )
        .select_related("model_link", "version__model")
        .first()
    )


def _page_link(model: str) -> str:
    return f"{model_page(model)}#versions-title"


def _first_reason(deployment_id: int) -> str:
    checks = (
        GateDecision.objects.filter(deployment__pk=deployment_id)
        .values_list("checks", flat=True)
        .first()
    )
    for check in checks or []:
        if not check.get("passed"):
            return str(check.get("detail") or check.get("check") or "")
    return ""


def enqueue_verdict_tags(fields: Mapping[str, Any]) -> list[MlflowWriteBack]:
    """A gate decision on a version imported from MLflow becomes its verdict
    tags, for every sync following that model."""
    link = _version_link(fields["model"], fields["version"])
    if link is None:
        return []
    environment = fields["environment"]
    key = VERDICT_TAG.format(environment=environment)
    blocked = fields["decision"] != "approved"
    tags = {
        key: "blocked" if blocked else "approved",
        f"{key}.reason": _first_reason(fields["deployment_id"]) if blocked else "",
        f"{key}.link": _page_link(fields["model"]),
    }
    return [
        MlflowWriteBack.objects.create(
            sync=sync,
            kind=MlflowWriteBack.Kind.VERDICT_TAGS,
            model=link.version.model,
            mlflow_name=link.model_link.mlflow_name,
            mlflow_version=link.mlflow_version,
            tags=tags,
        )
        for sync in _following_syncs(
            link.model_link.tracking_uri, link.model_link.mlflow_name
        )
    ]


def enqueue_alias_move(fields: Mapping[str, Any]) -> list[MlflowWriteBack]:
    """A deployment that started or stopped serving in a sync's environment
    asks for the sync's alias to follow; the push reads what serves then,
    so one pending request per model and sync is enough."""
    if "active" not in (fields["status"], fields["from_status"]):
        return []
    model = (
        MLModel.objects.filter(name=fields["model"])
        .prefetch_related("mlflow_links")
        .first()
    )
    link = next(iter(model.mlflow_links.all()), None) if model else None
    if model is None or link is None:
        return []
    pending = set(
        MlflowWriteBack.objects.filter(
            model=model,
            kind=MlflowWriteBack.Kind.ALIAS,
            status=MlflowWriteBack.Status.PENDING,
        ).values_list("sync_id", flat=True)
    )
    return [
        MlflowWriteBack.objects.create(
            sync=sync,
            kind=MlflowWriteBack.Kind.ALIAS,
            model=model,
            mlflow_name=link.mlflow_name,
        )
        for sync in _following_syncs(link.tracking_uri, link.mlflow_name)
        if sync.environment.name == fields["environment"] and sync.pk not in pending
    ]


def _claim(now: datetime) -> MlflowWriteBack | None:
    with transaction.atomic():
        write_back = (
            MlflowWriteBack.objects.due(now)
            # Only the row: a receiver holding its sync's row (while it reads
            # MLflow back) must not make the worker skip the sync's pushes.
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("sync__environment", "model")
            .order_by("next_attempt_at", "id")
            .first()
        )
        if write_back is not None:
            write_back.next_attempt_at = now + PUSH_LEASE
            write_back.save(update_fields=["next_attempt_at"])
        return write_back


def _push(write_back: MlflowWriteBack) -> None:
    sync = write_back.sync
    client = mlflow_client(sync, deadline_seconds=PUSH_DEADLINE_SECONDS)
    if write_back.kind == MlflowWriteBack.Kind.VERDICT_TAGS:
        for key, value in write_back.tags.items():
            client.set_version_tag(
                write_back.mlflow_name, write_back.mlflow_version or 0, key, value
            )
        return
    # Read now, not when the move was recorded: a rollback stops one
    # deployment and restores another, and the alias follows the result.
    version = serving_mlflow_version(sync=sync, model=write_back.model)
    if version is None:
        client.delete_alias(write_back.mlflow_name, sync.alias)
    else:
        client.set_alias(write_back.mlflow_name, sync.alias, version)
    write_back.mlflow_version = version
    resolve_ungoverned_changes(sync=sync, model=write_back.model)


def push_one(write_back: MlflowWriteBack, *, now: datetime | None = None) -> str:
    """Push one write-back to MLflow and record the outcome: done, retried
    later, or given up after WEBHOOK_MAX_ATTEMPTS."""
    fields = {
        "write_back_id": write_back.pk,
        "sync": write_back.sync.name,
        "kind": write_back.kind,
        "mlflow_model": write_back.mlflow_name,
    }
    write_back.attempts += 1
    try:
        _push(write_back)
    except MlflowError as error:
        write_back.last_error = str(error)[:2000]
        if write_back.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            write_back.status = MlflowWriteBack.Status.FAILED
            log_event("mlflow.write_back_given_up", **fields)
        else:
            write_back.next_attempt_at = (now or timezone.now()) + backoff(
                write_back.attempts
            )
            log_event(
                "mlflow.write_back_failed", attempts=write_back.attempts, **fields
            )
    else:
        write_back.status = MlflowWriteBack.Status.DONE
        write_back.done_at = timezone.now()
        write_back.last_error = ""
        log_event(
            "mlflow.write_back_done", mlflow_version=write_back.mlflow_version, **fields
        )
    write_back.save(
        update_fields=[
            "attempts",
            "status",
            "next_attempt_at",
            "last_error",
            "done_at",
            "mlflow_version",
        ]
    )
    return write_back.status


def push_due_write_backs(*, limit: int = 100) -> int:
    """Push what is due, oldest first, one at a time; the number attempted."""
    pushed = 0
    while pushed < limit:
        write_back = _claim(timezone.now())
        if write_back is None:
            break
        push_one(write_back)
        pushed += 1
    return pushed
