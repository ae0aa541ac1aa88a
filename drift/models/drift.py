from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone

from drift import constants
from drift.models.alerts import AlertLifecycle, Severity, reviewer
from registry.models import Environment, ModelVersion


class DriftReport(models.Model):
    """One comparison of production data with the reference, for one window."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="drift_reports"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="drift_reports"
    )
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="drift_reports",
        null=True,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    drift_share = models.FloatField()
    dataset_drift = models.BooleanField()
    dataset_drift_share = models.FloatField(
        default=0.5, help_text="Share of drifted features that flags dataset drift."
    )
    n_features = models.PositiveIntegerField()
    n_evaluable = models.PositiveIntegerField()
    n_drifted = models.PositiveIntegerField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="driftreport_window_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(drift_share__gte=0, drift_share__lte=1),
                name="driftreport_share_is_a_fraction",
            ),
        ]
        indexes = [models.Index(fields=["version", "environment", "-created_at"])]

    def __str__(self) -> str:
        return f"drift report {self.pk} for {self.version_id} in {self.environment_id}"


class FeatureDrift(models.Model):
    """The drift decision for one feature of a report, with what it used."""

    report = models.ForeignKey(
        DriftReport, on_delete=models.CASCADE, related_name="features"
    )
    feature = models.CharField(max_length=200)
    kind = models.CharField(max_length=12)
    method = models.CharField(max_length=20, blank=True)
    threshold = models.FloatField(null=True)
    statistic = models.FloatField(null=True)
    p_value = models.FloatField(null=True)
    psi = models.FloatField(null=True)
    drifted = models.BooleanField()
    severity = models.CharField(max_length=10, choices=Severity.choices)
    n_reference = models.PositiveIntegerField()
    n_current = models.PositiveIntegerField()
    excluded = models.PositiveIntegerField(default=0)
    evaluable = models.BooleanField(default=True)
    reason = models.TextField(blank=True)
    approximation = models.CharField(max_length=40, blank=True)
    bins = models.CharField(max_length=60, blank=True)
    reference_histogram = models.JSONField(default=dict)
    current_histogram = models.JSONField(default=dict)

    class Meta:
        ordering = ["report", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "feature"], name="featuredrift_unique_feature"
            ),
            models.CheckConstraint(
                condition=models.Q(drifted=False)
                | ~models.Q(severity=constants.SEVERITY_OK),
                name="featuredrift_drifted_has_severity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feature}: {self.severity}"


class DriftAlert(AlertLifecycle):
    """A drifting feature of a version in an environment, until someone resolves it.

    At most one unresolved alert per (version, environment, feature): later
    reports update it, its severity may rise or fall, it never closes itself."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="drift_alerts"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="drift_alerts"
    )
    feature = models.CharField(max_length=200)
    latest_report = models.ForeignKey(
        DriftReport, on_delete=models.PROTECT, related_name="alerts"
    )
    acknowledged_by = reviewer("acknowledged_drift_alerts")
    resolved_by = reviewer("resolved_drift_alerts")

    class Meta(AlertLifecycle.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["version", "environment", "feature"],
                condition=~models.Q(status=constants.ALERT_RESOLVED),
                name="driftalert_one_unresolved_per_feature",
            ),
            *AlertLifecycle.Meta.constraints,
        ]

    def __str__(self) -> str:
        return f"{self.feature} ({self.severity}, {self.status})"


auditlog.register(DriftReport)
auditlog.register(DriftAlert)
