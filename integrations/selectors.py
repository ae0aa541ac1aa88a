"""Reads for the webhook API and admin, e-mail notifications, and the MLflow
origin of imported models."""

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from deployments.constants import FULL_TRAFFIC
from deployments.models import Deployment
from integrations.models import (
    DeliveryAttempt,
    EmailNotification,
    MlflowSync,
    MlflowVersionLink,
    NotificationPreference,
    UngovernedChange,
    WebhookDelivery,
    WebhookSubscription,
)
from mlgov.actors import Actor
from mlgov.exceptions import NotFoundError
from registry.models import MLModel


def subscription_list(
    *, event_type: str | None = None, is_active: bool | None = None
) -> QuerySet[WebhookSubscription]:
    """Subscriptions with their delivery counts by status."""
    subscriptions = WebhookSubscription.objects.select_related("created_by").annotate(
        pending_deliveries=Count("deliveries", filter=Q(deliveries__status="pending")),
        failed_deliveries=Count("deliveries", filter=Q(deliveries__status="failed")),
    )
    if is_active is not None:
        subscriptions = subscriptions.filter(is_active=is_active)
    if event_type:
        # JSON containment differs between databases; subscriptions are few.
        wanted = [
            s.pk
            for s in WebhookSubscription.objects.only("pk", "event_types")
            if s.wants(event_type)
        ]
        subscriptions = subscriptions.filter(pk__in=wanted)
    return subscriptions


def mlflow_sync_or_404(*, name: str) -> MlflowSync:
    """The MLflow sync of that name, with what applying its events needs."""
    sync = (
        MlflowSync.objects.select_related("team", "account", "environment")
        .filter(name=name)
        .first()
    )
    if sync is None:
        raise NotFoundError(f"No MLflow sync named {name!r}.")
    return sync


def serving_mlflow_version(*, sync: MlflowSync, model: MLModel) -> int | None:
    """The MLflow version of what serves all traffic of `model` in the sync's
    environment now; None when nothing does, or it did not come from MLflow."""
    version_id = (
        Deployment.objects.active()
        .filter(model=model, environment=sync.environment, traffic_percent=FULL_TRAFFIC)
        .values_list("version_id", flat=True)
        .first()
    )
    if version_id is None:
        return None
    return (
        MlflowVersionLink.objects.filter(
            version_id=version_id, model_link__tracking_uri=sync.tracking_uri
        )
        .values_list("mlflow_version", flat=True)
        .first()
    )


def subscription_by_id(*, pk: int) -> WebhookSubscription:
    """One subscription, or 404."""
    subscription = subscription_list().filter(pk=pk).first()
    if subscription is None:
        raise NotFoundError(f"No webhook subscription {pk}.")
    return subscription


def delivery_log(
    *,
    subscription: WebhookSubscription,
    status: str | None = None,
    event_type: str | None = None,
) -> QuerySet[WebhookDelivery]:
    """A subscription's deliveries with their attempts, newest first."""
    deliveries = (
        WebhookDelivery.objects.filter(subscription=subscription)
        .select_related("event")
        .prefetch_related(
            Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number"))
        )
    )
    if status:
        deliveries = deliveries.filter(status=status)
    if event_type:
        deliveries = deliveries.filter(event__event_type=event_type)
    return deliveries


@dataclass(frozen=True)
class DeliveryQueue:
    """The webhook outbox as the worker sees it (deliveries of active
    subscriptions only: a disabled subscription's wait for it to come back)."""

    pending: int
    retrying: int  # pending after at least one failed attempt
    oldest_due_age_seconds: float  # 0 when nothing is due


def delivery_queue(*, now: datetime | None = None) -> DeliveryQueue:
    """One grouped read over the pending deliveries (the partial index on
    pending rows keeps it cheap however many were delivered)."""
    now = now or timezone.now()
    pending = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, subscription__is_active=True
    ).aggregate(
        pending=Count("pk"),
        retrying=Count("pk", filter=Q(attempts__gt=0)),
        oldest_due=Min("next_attempt_at", filter=Q(next_attempt_at__lte=now)),
    )
    oldest_due = pending["oldest_due"]
    return DeliveryQueue(
        pending=pending["pending"],
        retrying=pending["retrying"],
        oldest_due_age_seconds=(
            (now - oldest_due).total_seconds() if oldest_due else 0.0
        ),
    )


# --- where an imported model came from -----------------------------------------

# MLflow keeps a run's artifacts under <root>/<experiment id>/<run id>/artifacts
# unless the run was given another artifact location.
_ARTIFACT_PATH = re.compile(r"/(?P<experiment>[0-9]+)/(?P<run>[0-9a-f]{32})/artifacts")


@dataclass(frozen=True)
class MlflowOrigin:
    """Which MLflow registered model version (and run) a version came from,
    with links into the MLflow UI when the tracking server speaks HTTP."""

    version: int
    tracking_uri: str
    mlflow_name: str
    mlflow_version: int
    run_id: str
    experiment_id: str | None
    aliases: tuple[str, ...] = ()

    @property
    def _ui(self) -> str | None:
        if not self.tracking_uri.startswith(("http://", "https://")):
            return None
        return self.tracking_uri.rstrip("/") + "/#"

    @property
    def registry_url(self) -> str | None:
        """The registered model version's page in the MLflow UI."""
        if self._ui is None:
            return None
        name = quote(self.mlflow_name, safe="")
        return f"{self._ui}/models/{name}/versions/{self.mlflow_version}"

    @property
    def run_url(self) -> str | None:
        """The run's page in the MLflow UI (its experiment's when known)."""
        if self._ui is None or not self.run_id:
            return None
        run = quote(self.run_id, safe="")
        if self.experiment_id is None:
            return f"{self._ui}/runs/{run}"
        return f"{self._ui}/experiments/{self.experiment_id}/runs/{run}"

    @property
    def experiment_url(self) -> str | None:
        """The experiment's page in the MLflow UI, when the source names it."""
        if self._ui is None or self.experiment_id is None:
            return None
        return f"{self._ui}/experiments/{self.experiment_id}"


def experiment_of_source(source: str, run_id: str) -> str | None:
    """The experiment id in a version's artifact source, when the source is
    MLflow's default layout for that run; None otherwise."""
    found = _ARTIFACT_PATH.search(source)
    if found is None or found["run"] != run_id:
        return None
    return found["experiment"]


def mlflow_origins(*, model_id: int) -> list[MlflowOrigin]:
    """Per imported version of the model, newest first, its MLflow origin;
    one query, empty for a model that was not imported."""
    links = (
        MlflowVersionLink.objects.filter(version__model_id=model_id)
        .select_related("model_link")
        .order_by("-version__version")
        .values_list(
            "version__version",
            "model_link__tracking_uri",
            "model_link__mlflow_name",
            "mlflow_version",
            "run_id",
            "source",
            "aliases",
        )
    )
    return [
        MlflowOrigin(
            version=version,
            tracking_uri=tracking_uri,
            mlflow_name=mlflow_name,
            mlflow_version=mlflow_version,
            run_id=run_id,
            experiment_id=experiment_of_source(source, run_id),
            aliases=tuple(sorted(aliases)),
        )
        for (
            version,
            tracking_uri,
            mlflow_name,
            mlflow_version,
            run_id,
            source,
            aliases,
        ) in links
    ]


def notification_preference(*, user: Actor) -> NotificationPreference:
    """The user's stored preferences, or the defaults (every kind, at once)
    unsaved."""
    stored = NotificationPreference.objects.filter(user=user).first()
    return stored or NotificationPreference(user=user)


def recent_notifications(*, user: Actor, limit: int = 10) -> list[EmailNotification]:
    """The user's latest e-mail notifications (digests included), newest
    first."""
    return list(
        EmailNotification.objects.filter(recipient=user)
        .only("kind", "subject", "state", "created_at", "sent_at")
        .order_by("-created_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class EmailQueue:
    """The e-mail outbox as the worker sees it."""

    pending: int
    retrying: int  # pending after at least one failed attempt
    held: int  # waiting for a daily digest
    failed: int  # given up
    oldest_due_age_seconds: float  # 0 when nothing is due


def email_queue(*, now: datetime | None = None) -> EmailQueue:
    """One grouped read; the partial indexes on pending and held rows keep
    it cheap however many were sent (failed rows are few)."""
    now = now or timezone.now()
    state = EmailNotification.State
    counts = EmailNotification.objects.filter(
        state__in=[state.PENDING, state.HELD, state.FAILED]
    ).aggregate(
        pending=Count("pk", filter=Q(state=state.PENDING)),
        retrying=Count("pk", filter=Q(state=state.PENDING, attempts__gt=0)),
        held=Count("pk", filter=Q(state=state.HELD)),
        failed=Count("pk", filter=Q(state=state.FAILED)),
        oldest_due=Min(
            "next_attempt_at", filter=Q(state=state.PENDING, next_attempt_at__lte=now)
        ),
    )
    oldest_due = counts["oldest_due"]
    return EmailQueue(
        pending=counts["pending"],
        retrying=counts["retrying"],
        held=counts["held"],
        failed=counts["failed"],
        oldest_due_age_seconds=(
            (now - oldest_due).total_seconds() if oldest_due else 0.0
        ),
    )


def open_ungoverned_changes(*, model_id: int | None = None) -> list[UngovernedChange]:
    """Open ungoverned changes, newest first, of one model or all; one query."""
    changes = UngovernedChange.objects.open().select_related(
        "model", "sync__environment"
    )
    if model_id is not None:
        changes = changes.filter(model_id=model_id)
    return list(changes)
