"""The webhook outbox: domain announcements become outbox rows inside the
transaction that made the decision (mlgov.events' in-transaction hook), so
there is no event without its change and no change without its event."""

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from drift.models import DriftAlert, MonitoringAlert, ReportKind
from integrations.hot import active_subscriptions
from integrations.links import absolute, model_page
from integrations.models import (
    WebhookDelivery,
    WebhookEvent,
    WebhookEventType,
    WebhookSubscription,
)
from mlgov.events import subscribe_in_transaction

Payloads = Iterator[tuple[str, dict[str, Any]]]

# PostgreSQL delivers a NOTIFY when its transaction commits, so a waiting
# worker wakes when the event exists, not at its next poll.
NOTIFY_CHANNEL = "mlgov_webhooks"


def _username(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = get_user_model().objects.filter(pk=user_id).only("username").first()
    return user.username if user else None


def _version_submitted(fields: Mapping[str, Any]) -> Payloads:
    yield (
        WebhookEventType.VERSION_SUBMITTED,
        {
            "model": fields["model"],
            "version": fields["version"],
            "risk_tier": fields["risk_tier"],
            "submitted_by": _username(fields.get("actor_id")),
        },
    )


def _approval_recorded(fields: Mapping[str, Any]) -> Payloads:
    # Only the decision that settles the version is an event: an approval that
    # leaves it in review (more approvals needed) is not.
    settled = {
        "approved": WebhookEventType.VERSION_APPROVED,
        "rejected": WebhookEventType.VERSION_REJECTED,
    }.get(fields["status"])
    if settled is not None:
        yield (
            settled,
            {
                "model": fields["model"],
                "version": fields["version"],
                "status": fields["status"],
                "decided_by": _username(fields.get("reviewer_id")),
            },
        )


def _gate_decision(fields: Mapping[str, Any]) -> Payloads:
    yield (
        WebhookEventType.GATE_DECISION,
        {
            "deployment_id": fields["deployment_id"],
            "model": fields["model"],
            "version": fields["version"],
            "environment": fields["environment"],
            "strategy": fields["strategy"],
            "traffic_percent": fields["traffic_percent"],
            "decision": fields["decision"],
            "failing_checks": list(fields.get("failing_checks", [])),
            "requested_by": _username(fields.get("actor_id")),
        },
    )


def _deployment_moved(fields: Mapping[str, Any]) -> Payloads:
    yield (
        WebhookEventType.DEPLOYMENT_MOVED,
        {
            "deployment_id": fields["deployment_id"],
            "model": fields["model"],
            "version": fields["version"],
            "environment": fields["environment"],
            "action": fields["action"],
            "from_status": fields["from_status"],
            "status": fields["status"],
            "traffic_percent": fields["traffic_percent"],
            "moved_by": _username(fields.get("actor_id")),
        },
    )


def _subject(alert: DriftAlert | MonitoringAlert) -> dict[str, Any]:
    return {
        "model": alert.version.model.name,
        "version": alert.version.version,
        "environment": alert.environment.name,
    }


def _alert_payload(alert: DriftAlert) -> dict[str, Any]:
    return {
        "alert_id": alert.pk,
        **_subject(alert),
        "feature": alert.feature,
        "severity": alert.severity,
        "status": alert.status,
        "links": {
            "api": absolute(reverse("drift:alert-list"), **_subject(alert)),
            "report": absolute(
                reverse("drift:report-detail", kwargs={"pk": alert.latest_report_id})
            ),
            "page": model_page(alert.version.model.name),
        },
    }


def _alerts(ids: list[int]) -> list[DriftAlert]:
    return list(
        DriftAlert.objects.filter(pk__in=ids)
        .select_related("version__model", "environment")
        .order_by("feature")
    )


def _drift_report_ingested(fields: Mapping[str, Any]) -> Payloads:
    for event_type, key in (
        (WebhookEventType.DRIFT_ALERT_OPENED, "alerts_opened"),
        (WebhookEventType.DRIFT_ALERT_ESCALATED, "alerts_escalated"),
    ):
        if fields.get(key):
            for alert in _alerts(fields[key]):
                yield (
                    event_type,
                    {**_alert_payload(alert), "report_id": fields["report_id"]},
                )


def _drift_alert_resolved(fields: Mapping[str, Any]) -> Payloads:
    for alert in _alerts([fields["alert_id"]]):
        yield (
            WebhookEventType.DRIFT_ALERT_RESOLVED,
            {
                **_alert_payload(alert),
                "resolved_by": _username(fields.get("actor_id")),
                "resolution_note": alert.resolution_note,
            },
        )


def _monitoring_alert_payload(alert: MonitoringAlert) -> dict[str, Any]:
    model, number = alert.version.model.name, alert.version.version
    report = (
        ("drift:performancereport-detail", alert.latest_performance_report_id)
        if alert.kind == ReportKind.PERFORMANCE
        else ("drift:fairnessreport-detail", alert.latest_fairness_report_id)
    )
    return {
        "alert_id": alert.pk,
        "kind": alert.kind,
        **_subject(alert),
        "metric": alert.metric,
        "attribute": alert.attribute or None,
        "value": alert.value,
        "limit": alert.limit,
        "limit_is_maximum": alert.limit_is_maximum,
        "severity": alert.severity,
        "status": alert.status,
        "links": {
            "api": absolute(
                reverse("drift:monitoringalert-list"),
                **_subject(alert),
                kind=alert.kind,
            ),
            "report": absolute(
                reverse(
                    report[0], kwargs={"name": model, "number": number, "pk": report[1]}
                )
            ),
            "page": model_page(model),
        },
    }


def _monitoring_alerts(ids: list[int]) -> list[MonitoringAlert]:
    return list(
        MonitoringAlert.objects.filter(pk__in=ids)
        .select_related("version__model", "environment")
        .order_by("kind", "attribute", "metric")
    )


def _monitoring_report_ingested(fields: Mapping[str, Any]) -> Payloads:
    for event_type, key in (
        (WebhookEventType.MONITORING_ALERT_OPENED, "alerts_opened"),
        (WebhookEventType.MONITORING_ALERT_ESCALATED, "alerts_escalated"),
    ):
        if fields.get(key):
            for alert in _monitoring_alerts(fields[key]):
                yield (
                    event_type,
                    {
                        **_monitoring_alert_payload(alert),
                        "report_id": fields["report_id"],
                    },
                )


def _monitoring_alert_resolved(fields: Mapping[str, Any]) -> Payloads:
    for alert in _monitoring_alerts([fields["alert_id"]]):
        yield (
            WebhookEventType.MONITORING_ALERT_RESOLVED,
            {
                **_monitoring_alert_payload(alert),
                "resolved_by": _username(fields.get("actor_id")),
                "resolution_note": alert.resolution_note,
            },
        )


def _waiver_expiring(fields: Mapping[str, Any]) -> Payloads:
    yield WebhookEventType.WAIVER_EXPIRING, dict(fields)


def _ungoverned_change(fields: Mapping[str, Any]) -> Payloads:
    yield WebhookEventType.MLFLOW_UNGOVERNED_CHANGE, dict(fields)


MONITORING_INGEST_TYPES = frozenset(
    {
        WebhookEventType.MONITORING_ALERT_OPENED,
        WebhookEventType.MONITORING_ALERT_ESCALATED,
    }
)

# Domain announcement → what it means to a webhook receiver. Each entry names
# the event types it can produce, so nothing is read when nobody subscribed.
TRANSLATIONS: dict[
    str, tuple[frozenset[str], Callable[[Mapping[str, Any]], Payloads]]
] = {
    "version.submitted": (
        frozenset({WebhookEventType.VERSION_SUBMITTED}),
        _version_submitted,
    ),
    "approval.recorded": (
        frozenset(
            {WebhookEventType.VERSION_APPROVED, WebhookEventType.VERSION_REJECTED}
        ),
        _approval_recorded,
    ),
    "deployment.requested": (
        frozenset({WebhookEventType.GATE_DECISION}),
        _gate_decision,
    ),
    "deployment.moved": (
        frozenset({WebhookEventType.DEPLOYMENT_MOVED}),
        _deployment_moved,
    ),
    "drift.report_ingested": (
        frozenset(
            {
                WebhookEventType.DRIFT_ALERT_OPENED,
                WebhookEventType.DRIFT_ALERT_ESCALATED,
            }
        ),
        _drift_report_ingested,
    ),
    "drift.alert_resolved": (
        frozenset({WebhookEventType.DRIFT_ALERT_RESOLVED}),
        _drift_alert_resolved,
    ),
    "monitoring.performance_report_ingested": (
        MONITORING_INGEST_TYPES,
        _monitoring_report_ingested,
    ),
    "monitoring.fairness_report_ingested": (
        MONITORING_INGEST_TYPES,
        _monitoring_report_ingested,
    ),
    "monitoring.alert_resolved": (
        frozenset({WebhookEventType.MONITORING_ALERT_RESOLVED}),
        _monitoring_alert_resolved,
    ),
    "waiver.expiring": (
        frozenset({WebhookEventType.WAIVER_EXPIRING}),
        _waiver_expiring,
    ),
    "mlflow.ungoverned_change": (
        frozenset({WebhookEventType.MLFLOW_UNGOVERNED_CHANGE}),
        _ungoverned_change,
    ),
}


def record_domain_event(event: str, fields: Mapping[str, Any]) -> None:
    """Write an outbox event and one pending delivery per active subscription
    that wants it; nothing when nobody does."""
    event_types, translate = TRANSLATIONS[event]
    subscriptions = [
        subscription
        for subscription in active_subscriptions()
        if event_types & set(subscription.event_types)
    ]
    if not subscriptions:
        return
    for event_type, data in translate(fields):
        enqueue_event(
            event_type=event_type,
            data=data,
            subscriptions=[s for s in subscriptions if s.wants(event_type)],
        )


_SUBSCRIBERS = {event: partial(record_domain_event, event) for event in TRANSLATIONS}


def subscribe_to_domain_events() -> None:
    """The in-transaction subscriptions, one per announcement that can
    become a webhook; called from IntegrationsConfig.ready()."""
    for event, subscriber in _SUBSCRIBERS.items():
        subscribe_in_transaction(event, subscriber)


def enqueue_event(
    *,
    event_type: str,
    data: dict[str, Any],
    subscriptions: list[WebhookSubscription],
) -> WebhookEvent | None:
    """Store one event and its pending deliveries; nothing when no one wants it."""
    if not subscriptions:
        return None
    now = timezone.now()
    event = WebhookEvent(event_type=event_type, created_at=now, payload={})
    event.payload = {
        "id": str(event.id),
        "type": event_type,
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    event.save(force_insert=True)
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(event=event, subscription=subscription, next_attempt_at=now)
            for subscription in subscriptions
        ]
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [NOTIFY_CHANNEL])
    return event
