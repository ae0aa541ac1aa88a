"""What each e-mail notification says and to whom. Every function here
writes into the caller's transaction (integrations.services.
enqueue_notification): the services of the apps above announce their
decisions (mlgov.events), and the in-transaction subscriptions at the end
of this module turn the announcements into notifications, so a change and
its e-mails commit or roll back together. Nothing here sends: the worker
does (integrations.services.email_delivery)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from deployments.models import Decision, Deployment
from drift.models import DriftAlert, MonitoringAlert, Severity
from governance.engine import ReviewClock, review_clock
from governance.models import Approval, Waiver
from governance.selectors import reviewers
from integrations.links import absolute, model_page
from integrations.models import EmailNotification, NotificationKind
from integrations.services.notifications import enqueue_notification
from mlgov.actors import Actor
from mlgov.events import subscribe_in_transaction
from mlgov.logging import log_event
from registry.constants import PRODUCTION
from registry.models import MLModel, ModelVersion

SIGN_OFF = "\n\n--\nmlgov model governance. Choose what you receive: {preferences}"


def _model_link(model: MLModel) -> str:
    return model_page(model.name)


def _body(*lines: str) -> str:
    preferences = absolute(reverse("command_center:notification-preferences"))
    return "\n".join(lines) + SIGN_OFF.format(preferences=preferences)


def _label(version: ModelVersion) -> str:
    return f"{version.model.name} v{version.version}"


def _distinct(users: list[Actor | None]) -> list[Actor]:
    seen: dict[int, Actor] = {}
    for user in users:
        if user is not None and user.pk not in seen:
            seen[user.pk] = user
    return list(seen.values())


def model_owners(model: MLModel) -> list[Actor]:
    """Who answers for a model: its owner, or its team's members when it has
    none."""
    if model.owner is not None:
        return [model.owner]
    return list(model.team.members.order_by("pk"))


def _enqueue_all(
    recipients: list[Actor], *, kind: str, subject: str, body: str, key: str = ""
) -> list[EmailNotification]:
    written = []
    for recipient in recipients:
        notification = enqueue_notification(
            recipient=recipient,
            kind=kind,
            subject=subject,
            body=body,
            dedupe_key=f"{key}:{recipient.pk}" if key else "",
        )
        if notification is not None:
            written.append(notification)
    return written


def review_assigned(
    *, version: ModelVersion, reviewer: Actor, actor: Actor
) -> EmailNotification | None:
    """Tell `reviewer` that `actor` assigned them the review of `version`."""
    clock = review_clock(
        version.submitted_at or timezone.now(),
        version.model.risk_tier,
        settings.REVIEW_SLA_DAYS,
        timezone.now(),
    )
    label = _label(version)
    return enqueue_notification(
        recipient=reviewer,
        kind=NotificationKind.REVIEW_ASSIGNED,
        subject=f"Review assigned: {label}",
        body=_body(
            f"{actor.get_username()} assigned you the review of {label} "
            f"({version.model.risk_tier} risk).",
            f"It is due by {clock.due_at:%Y-%m-%d %H:%M} UTC.",
            f"Open it: {_model_link(version.model)}",
        ),
    )


def review_waiting(
    *, version: ModelVersion, reviewer: Actor, clock: ReviewClock
) -> EmailNotification | None:
    """Remind `reviewer`, once for this version, that its review has waited
    past half its SLA."""
    label = _label(version)
    days = max(clock.days_left, 0)
    state = (
        "overdue"
        if clock.overdue
        else "due today"
        if days == 0
        else f"due in {days} day{'' if days == 1 else 's'}"
    )
    return enqueue_notification(
        recipient=reviewer,
        kind=NotificationKind.REVIEW_WAITING,
        subject=f"Review waiting: {label} ({state})",
        body=_body(
            f"{label} ({version.model.risk_tier} risk) has waited for review since "
            f"{clock.submitted_at:%Y-%m-%d %H:%M} UTC; it is due by "
            f"{clock.due_at:%Y-%m-%d %H:%M} UTC.",
            f"Open it: {_model_link(version.model)}",
        ),
        dedupe_key=f"{NotificationKind.REVIEW_WAITING}:{version.pk}:{reviewer.pk}",
    )


def eligible_reviewers(version: ModelVersion, pool: list[Actor]) -> list[Actor]:
    """Who of `pool` may still decide on `version` (its approvals and
    assignments prefetched): neither its creator nor its submitter, not yet
    decided; only its assigned reviewers once it has any."""
    excluded = {version.created_by_id, version.submitted_by_id} | {
        approval.reviewer_id for approval in version.approvals.all()
    }
    assigned = {
        assignment.reviewer_id for assignment in version.review_assignments.all()
    }
    return [
        reviewer
        for reviewer in pool
        if reviewer.pk not in excluded and (not assigned or reviewer.pk in assigned)
    ]


def send_review_reminders(*, now: datetime | None = None) -> int:
    """The hourly job: remind each eligible reviewer, once per version, of
    every review waiting past half its SLA (settings.REVIEW_SLA_DAYS); the
    number of reminders written."""
    now = now or timezone.now()
    waiting = (
        ModelVersion.objects.filter(
            status=ModelVersion.Status.IN_REVIEW, submitted_at__isnull=False
        )
        .select_related("model")
        .prefetch_related("approvals", "review_assignments")
        .order_by("submitted_at", "pk")
    )
    pool = list(reviewers().order_by("pk"))
    written = 0
    for version in waiting:
        assert version.submitted_at is not None
        clock = review_clock(
            version.submitted_at, version.model.risk_tier, settings.REVIEW_SLA_DAYS, now
        )
        if not clock.past_half:
            continue
        for reviewer in eligible_reviewers(version, pool):
            with transaction.atomic():
                if review_waiting(version=version, reviewer=reviewer, clock=clock):
                    written += 1
    log_event("notifications.reminders_written", count=written)
    return written


def version_decided(*, approval: Approval) -> list[EmailNotification]:
    """Tell the version's creator and submitter what a reviewer decided."""
    version = approval.version
    label = _label(version)
    verb = "approved" if approval.decision == Approval.Decision.APPROVE else "rejected"
    lines = [
        f"{approval.reviewer.get_username()} {verb} {label}.",
        f"The version is now {version.get_status_display().lower()}.",
    ]
    if approval.comment:
        lines.append(f"Their comment: {approval.comment}")
    lines.append(f"Open it: {_model_link(version.model)}")
    return _enqueue_all(
        _distinct([version.created_by, version.submitted_by]),
        kind=NotificationKind.VERSION_DECIDED,
        subject=f"{label} {verb} by {approval.reviewer.get_username()}",
        body=_body(*lines),
    )


def waiver_expiring(*, waiver: Waiver) -> list[EmailNotification]:
    """Tell who granted the waiver and the model's owners that it expires
    soon; once per waiver."""
    version = waiver.version
    label = _label(version)
    return _enqueue_all(
        _distinct([waiver.granted_by, *model_owners(version.model)]),
        kind=NotificationKind.WAIVER_EXPIRING,
        subject=f"Waiver expiring: {label}, {waiver.policy.name} rule "
        f"{waiver.rule_position}",
        body=_body(
            f"The waiver of rule {waiver.rule_position} of policy "
            f"{waiver.policy.name} for {label} expires on "
            f"{waiver.expires_at:%Y-%m-%d %H:%M} UTC.",
            "After that the rule applies again, and the gate may block the version.",
            f"Open it: {_model_link(version.model)}",
        ),
        key=f"{NotificationKind.WAIVER_EXPIRING}:{waiver.pk}",
    )


def is_serving_production(version: ModelVersion) -> bool:
    """Whether the version is active in production, as primary or canary."""
    return Deployment.objects.filter(
        version=version,
        environment__name=PRODUCTION,
        status=Deployment.Status.ACTIVE,
    ).exists()


def critical_drift(*, alert: DriftAlert) -> list[EmailNotification]:
    """Tell the model's owners of a critical drift alert on a version
    serving production; nothing for any other alert."""
    version = alert.version
    if alert.severity != Severity.CRITICAL or not is_serving_production(version):
        return []
    label = _label(version)
    return _enqueue_all(
        model_owners(version.model),
        kind=NotificationKind.CRITICAL_DRIFT,
        subject=f"Critical drift: {label}, feature {alert.feature}",
        body=_body(
            f"Feature {alert.feature} of {label}, which serves production, drifts "
            f"critically in {alert.environment.name}.",
            "While the alert is open, governance rules on drift fail for it.",
            f"Open it: {_model_link(version.model)}",
        ),
    )


def critical_monitoring(*, alert: MonitoringAlert) -> list[EmailNotification]:
    """Tell the model's owners of a critical performance or fairness alert
    in production on a version serving there; nothing for any other alert
    (a warning, another environment)."""
    version = alert.version
    if (
        alert.severity != Severity.CRITICAL
        or alert.environment.name != PRODUCTION
        or not is_serving_production(version)
    ):
        return []
    label = _label(version)
    kind = alert.get_kind_display().lower()
    bound = "maximum" if alert.limit_is_maximum else "floor"
    value = "unknown" if alert.value is None else f"{alert.value:.4g}"
    return _enqueue_all(
        model_owners(version.model),
        kind=NotificationKind.CRITICAL_MONITORING,
        subject=f"Critical {kind} alert: {label}, {alert.subject}",
        body=_body(
            f"The {alert.subject} of {label}, which serves production, is {value} "
            f"in production, past its critical {bound} of {alert.limit:.4g}.",
            "Reviewers acknowledge or resolve the alert on the model's page.",
            f"Open it: {_model_link(version.model)}",
        ),
    )


def gate_blocked(*, deployment: Deployment) -> list[EmailNotification]:
    """Tell the requester and the model's owner that the gate blocked a
    production deployment, with the failing checks."""
    if (
        deployment.decision != Decision.BLOCKED
        or deployment.environment.name != PRODUCTION
    ):
        return []
    version = deployment.version
    label = _label(version)
    failing = [
        f"- {check['check']}: {check['detail']}"
        for check in deployment.gate_decision.checks
        if not check.get("passed")
    ]
    return _enqueue_all(
        _distinct([deployment.requested_by, deployment.model.owner]),
        kind=NotificationKind.GATE_BLOCKED,
        subject=f"Gate blocked {label} for production",
        body=_body(
            f"{deployment.requested_by.get_username()} asked to deploy {label} to "
            f"production ({deployment.strategy}, {deployment.traffic_percent} %); "
            "the gate blocked it:",
            *failing,
            f"Open it: {_model_link(version.model)}",
        ),
    )


def _approval_recorded(fields: Mapping[str, Any]) -> None:
    if fields.get("reviewer_id") is None:
        return
    approval = (
        Approval.objects.select_related(
            "reviewer", "version__model", "version__created_by", "version__submitted_by"
        )
        .filter(
            version__model__name=fields["model"],
            version__version=fields["version"],
            reviewer_id=fields["reviewer_id"],
        )
        .first()
    )
    if approval is not None:
        version_decided(approval=approval)


def _deployment_requested(fields: Mapping[str, Any]) -> None:
    if fields["decision"] != Decision.BLOCKED or (fields["environment"] != PRODUCTION):
        return
    deployment = (
        Deployment.objects.select_related(
            "model__owner",
            "version__model",
            "environment",
            "requested_by",
            "gate_decision",
        )
        .filter(pk=fields["deployment_id"])
        .first()
    )
    if deployment is not None:
        gate_blocked(deployment=deployment)


def _drift_report_ingested(fields: Mapping[str, Any]) -> None:
    ids = [*fields.get("alerts_opened", []), *fields.get("alerts_escalated", [])]
    if not ids:
        return
    alerts = (
        DriftAlert.objects.filter(pk__in=ids, severity=Severity.CRITICAL)
        .select_related("version__model__owner", "version__model__team", "environment")
        .order_by("feature")
    )
    for alert in alerts:
        critical_drift(alert=alert)


def _monitoring_report_ingested(fields: Mapping[str, Any]) -> None:
    ids = [*fields.get("alerts_opened", []), *fields.get("alerts_escalated", [])]
    if not ids or fields["environment"] != PRODUCTION:
        return
    alerts = (
        MonitoringAlert.objects.filter(pk__in=ids, severity=Severity.CRITICAL)
        .select_related("version__model__owner", "version__model__team", "environment")
        .order_by("kind", "attribute", "metric")
    )
    for alert in alerts:
        critical_monitoring(alert=alert)


def _waiver_expiring(fields: Mapping[str, Any]) -> None:
    if fields.get("waiver_id") is None:
        return
    waiver = (
        Waiver.objects.select_related(
            "version__model__owner", "version__model__team", "policy", "granted_by"
        )
        .filter(pk=fields["waiver_id"])
        .first()
    )
    if waiver is not None:
        waiver_expiring(waiver=waiver)


def _review_assigned(fields: Mapping[str, Any]) -> None:
    users = get_user_model().objects.in_bulk(
        [fields["reviewer_id"], fields["actor_id"]]
    )
    version = (
        ModelVersion.objects.select_related("model")
        .filter(pk=fields["version_id"])
        .first()
    )
    if version is not None:
        review_assigned(
            version=version,
            reviewer=users[fields["reviewer_id"]],
            actor=users[fields["actor_id"]],
        )


# Domain announcement → the notifications it causes.
SUBSCRIPTIONS = {
    "approval.recorded": _approval_recorded,
    "deployment.requested": _deployment_requested,
    "drift.report_ingested": _drift_report_ingested,
    "monitoring.performance_report_ingested": _monitoring_report_ingested,
    "monitoring.fairness_report_ingested": _monitoring_report_ingested,
    "waiver.expiring": _waiver_expiring,
    "review.assigned": _review_assigned,
}


def subscribe_to_domain_events() -> None:
    """The in-transaction subscriptions; called from IntegrationsConfig.ready()."""
    for event, subscriber in SUBSCRIPTIONS.items():
        subscribe_in_transaction(event, subscriber)
