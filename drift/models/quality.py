"""Monitoring beyond drift: performance and fairness reports, the floors an
environment sets, the latest report per version and environment (what the
governance rules read), and their alerts."""

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone

from drift import constants
from drift.models.alerts import AlertLifecycle, reviewer
from drift.quality import constants as quality
from registry.models import Environment, ModelVersion

METRIC_CHOICES = [(name, name.replace("_", " ")) for name in quality.MONITORED_METRICS]


class ReportKind(models.TextChoices):
    PERFORMANCE = quality.PERFORMANCE, "Performance"
    FAIRNESS = quality.FAIRNESS, "Fairness"


class MonitoringThreshold(models.Model):
    """The limit an environment sets on one monitored metric: a floor for
    metrics where higher is better, a maximum for ece and the fairness gaps.
    Past `warning` an alert opens as a warning, past `critical` as critical."""

    environment = models.ForeignKey(
        Environment, on_delete=models.CASCADE, related_name="monitoring_thresholds"
    )
    metric = models.CharField(max_length=40, choices=METRIC_CHOICES)
    warning = models.FloatField()
    critical = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["environment", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "metric"], name="monitoringthreshold_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(metric__in=quality.MONITORED_METRICS),
                name="monitoringthreshold_known_metric",
            ),
            # critical is at or past warning, in the metric's bad direction.
            models.CheckConstraint(
                condition=models.Q(critical__isnull=True)
                | models.Q(
                    metric__in=sorted(quality.LOWER_IS_BETTER),
                    critical__gte=models.F("warning"),
                )
                | (
                    ~models.Q(metric__in=sorted(quality.LOWER_IS_BETTER))
                    & models.Q(critical__lte=models.F("warning"))
                ),
                name="monitoringthreshold_critical_past_warning",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} in {self.environment_id}: warning {self.warning}"

    @property
    def is_maximum(self) -> bool:
        return self.metric in quality.LOWER_IS_BETTER


class MonitoringReportBase(models.Model):
    """What performance and fairness reports share (each declares its own
    version, environment and author, for their reverse names)."""

    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    input_kind = models.CharField(max_length=10)
    sample_size = models.PositiveBigIntegerField()
    notes = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="%(class)s_window_ordered",
            ),
        ]
        indexes = [models.Index(fields=["version", "environment", "-created_at"])]


class PerformanceReport(MonitoringReportBase):
    """A classifier's performance in one window, from ground truth that
    arrived after the predictions."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="performance_reports"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="performance_reports"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="performance_reports",
        null=True,
    )
    positives = models.PositiveBigIntegerField()
    positives_share = models.FloatField()
    auc = models.FloatField(null=True)
    auc_method = models.CharField(max_length=10, blank=True)
    accuracy = models.FloatField(null=True)
    precision = models.FloatField(null=True)
    recall = models.FloatField(null=True)
    f1 = models.FloatField(null=True)
    ece = models.FloatField(null=True)
    ece_method = models.CharField(max_length=20, blank=True)
    decision_threshold = models.FloatField(null=True)
    tp = models.PositiveBigIntegerField(null=True)
    fp = models.PositiveBigIntegerField(null=True)
    tn = models.PositiveBigIntegerField(null=True)
    fn = models.PositiveBigIntegerField(null=True)
    calibration = models.JSONField(default=list, blank=True)

    class Meta(MonitoringReportBase.Meta):
        constraints = [
            *MonitoringReportBase.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(positives_share__gte=0, positives_share__lte=1),
                name="performancereport_share_is_a_fraction",
            ),
            models.CheckConstraint(
                condition=models.Q(auc__isnull=True) | models.Q(auc__gte=0, auc__lte=1),
                name="performancereport_auc_is_a_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"performance report {self.pk} for {self.version_id}"

    def metric_values(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in quality.PERFORMANCE_METRICS}


class FairnessReport(MonitoringReportBase):
    """Group fairness of a version's decisions in one window, by one attribute."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="fairness_reports"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="fairness_reports"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="fairness_reports",
        null=True,
    )
    attribute = models.CharField(max_length=200)
    reference_group = models.CharField(max_length=200)
    reference_choice = models.CharField(max_length=20)
    demographic_parity_difference = models.FloatField(null=True)
    equal_opportunity_difference = models.FloatField(null=True)
    disparate_impact_ratio = models.FloatField(null=True)
    equal_opportunity_ratio = models.FloatField(null=True)
    four_fifths_passed = models.BooleanField(null=True)

    def __str__(self) -> str:
        return f"fairness report {self.pk} by {self.attribute}"

    def metric_values(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in quality.FAIRNESS_METRICS}


class FairnessGroup(models.Model):
    """One group's rates in a fairness report, and how they compare with the
    reference group's."""

    report = models.ForeignKey(
        FairnessReport, on_delete=models.CASCADE, related_name="groups"
    )
    group = models.CharField(max_length=200)
    n = models.PositiveBigIntegerField()
    positives = models.PositiveBigIntegerField()
    selected = models.PositiveBigIntegerField()
    tp = models.PositiveBigIntegerField()
    fp = models.PositiveBigIntegerField()
    tn = models.PositiveBigIntegerField()
    fn = models.PositiveBigIntegerField()
    selection_rate = models.FloatField()
    tpr = models.FloatField(null=True)
    fpr = models.FloatField(null=True)
    selection_rate_difference = models.FloatField(null=True)
    selection_rate_ratio = models.FloatField(null=True)
    tpr_difference = models.FloatField(null=True)
    tpr_ratio = models.FloatField(null=True)
    is_reference = models.BooleanField(default=False)
    fails_four_fifths = models.BooleanField(default=False)

    class Meta:
        ordering = ["report", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "group"], name="fairnessgroup_unique_group"
            ),
            models.UniqueConstraint(
                fields=["report"],
                condition=models.Q(is_reference=True),
                name="fairnessgroup_one_reference",
            ),
            models.CheckConstraint(
                condition=models.Q(n__gt=0), name="fairnessgroup_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.selection_rate:.3f}"


class LatestMonitoringReport(models.Model):
    """The latest performance report, or the latest fairness report per
    attribute, of a version in an environment, with its metric values: one
    row each, updated by ingestion, so the governance rules read every
    environment's latest numbers in one small query."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="latest_monitoring"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=ReportKind.choices)
    attribute = models.CharField(max_length=200, blank=True)
    performance_report = models.ForeignKey(
        PerformanceReport, on_delete=models.CASCADE, null=True, related_name="+"
    )
    fairness_report = models.ForeignKey(
        FairnessReport, on_delete=models.CASCADE, null=True, related_name="+"
    )
    reported_at = models.DateTimeField()
    window_end = models.DateTimeField()
    values = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "environment", "kind", "attribute"],
                name="latestmonitoring_one_per_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    kind=quality.PERFORMANCE,
                    performance_report__isnull=False,
                    fairness_report__isnull=True,
                    attribute="",
                )
                | models.Q(
                    kind=quality.FAIRNESS,
                    performance_report__isnull=True,
                    fairness_report__isnull=False,
                ),
                name="latestmonitoring_report_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"latest {self.kind} of {self.version_id} in {self.environment_id}"


class MonitoringAlert(AlertLifecycle):
    """A monitored metric of a version in an environment past its limit,
    until someone resolves it: the alert lifecycle drift's alerts follow
    too (at most one unresolved per version, environment and subject;
    later reports update it, never close it), for performance and fairness."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="monitoring_alerts"
    )
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, related_name="monitoring_alerts"
    )
    kind = models.CharField(max_length=12, choices=ReportKind.choices)
    metric = models.CharField(max_length=40, choices=METRIC_CHOICES)
    attribute = models.CharField(max_length=200, blank=True)
    value = models.FloatField(null=True)
    limit = models.FloatField()
    latest_performance_report = models.ForeignKey(
        PerformanceReport, on_delete=models.PROTECT, null=True, related_name="alerts"
    )
    latest_fairness_report = models.ForeignKey(
        FairnessReport, on_delete=models.PROTECT, null=True, related_name="alerts"
    )
    acknowledged_by = reviewer("acknowledged_monitoring_alerts")
    resolved_by = reviewer("resolved_monitoring_alerts")

    class Meta(AlertLifecycle.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["version", "environment", "kind", "metric", "attribute"],
                condition=~models.Q(status=constants.ALERT_RESOLVED),
                name="monitoringalert_one_unresolved_per_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    kind=quality.PERFORMANCE,
                    latest_performance_report__isnull=False,
                    latest_fairness_report__isnull=True,
                )
                | models.Q(
                    kind=quality.FAIRNESS,
                    latest_performance_report__isnull=True,
                    latest_fairness_report__isnull=False,
                ),
                name="monitoringalert_report_matches_kind",
            ),
            *AlertLifecycle.Meta.constraints,
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.severity}, {self.status})"

    @property
    def subject(self) -> str:
        return f"{self.metric} by {self.attribute}" if self.attribute else self.metric

    @property
    def limit_is_maximum(self) -> bool:
        """Whether `limit` is a maximum (ece, the fairness gaps), not a floor."""
        return self.metric in quality.LOWER_IS_BETTER

    @property
    def latest_report_id(self) -> int | None:
        return self.latest_performance_report_id or self.latest_fairness_report_id


auditlog.register(MonitoringThreshold)
auditlog.register(PerformanceReport)
auditlog.register(FairnessReport)
auditlog.register(MonitoringAlert)
