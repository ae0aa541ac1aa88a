"""What every alert shares, drift, performance and fairness alike: the
severity scale, the lifecycle (open, acknowledged, resolved; later reports
update an unresolved alert, only a person closes it) and its allowed moves."""

from typing import Self, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from drift import constants


class Severity(models.TextChoices):
    OK = constants.SEVERITY_OK, "OK"
    WARNING = constants.SEVERITY_WARNING, "Warning"
    CRITICAL = constants.SEVERITY_CRITICAL, "Critical"


_Alert = TypeVar("_Alert", bound="AlertLifecycle")


class AlertQuerySet(models.QuerySet[_Alert]):
    def unresolved(self) -> Self:
        return self.exclude(status=constants.ALERT_RESOLVED)


def reviewer(related_name: str) -> models.ForeignKey:
    """Who acknowledged or resolved an alert. Each alert model names its own
    reverse relation on the user (`acknowledged_drift_alerts`), which
    ``%(class)s`` cannot spell, so the field is declared by each model."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name=related_name,
        null=True,
        blank=True,
    )


class AlertLifecycle(models.Model):
    """An alert's severity and lifecycle. A concrete alert adds its version,
    environment and subject (at most one unresolved per subject), the
    report it was last seen in, and its two `reviewer` fields."""

    class Status(models.TextChoices):
        OPEN = constants.ALERT_OPEN, "Open"
        ACKNOWLEDGED = constants.ALERT_ACKNOWLEDGED, "Acknowledged"
        RESOLVED = constants.ALERT_RESOLVED, "Resolved"

    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.OPEN
    )
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=constants.ALERT_RESOLVED)
                | models.Q(resolved_at__isnull=False),
                name="%(class)s_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=constants.ALERT_ACKNOWLEDGED)
                | models.Q(acknowledged_at__isnull=False),
                name="%(class)s_acknowledged_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "severity"])]

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED


# Allowed status moves; drift.services.alerts.move_alert applies them.
ALERT_TRANSITIONS: dict[str, frozenset[str]] = {
    AlertLifecycle.Status.OPEN: frozenset(
        {AlertLifecycle.Status.ACKNOWLEDGED, AlertLifecycle.Status.RESOLVED}
    ),
    AlertLifecycle.Status.ACKNOWLEDGED: frozenset({AlertLifecycle.Status.RESOLVED}),
    AlertLifecycle.Status.RESOLVED: frozenset(),
}
