from django.contrib import admin

from drift import services
from drift.constants import ALERT_SEVERITIES
from drift.models import (
    DriftAlert,
    DriftReport,
    FairnessGroup,
    FairnessReport,
    FeatureDrift,
    MonitoringAlert,
    MonitoringThreshold,
    PerformanceReport,
)
from drift.selectors import with_open_alert_counts
from mlgov.admin_tools import NoteActionForm, ReadOnlyAdminMixin, run_service_on_each
from registry.admin import extend_model_admin, extend_version_admin


def rounded(value: float | None) -> str:
    """A statistic for reading: four significant digits."""
    return "—" if value is None else f"{value:.4g}"


class FeatureDriftInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FeatureDrift
    fields = [
        "feature",
        "kind",
        "method",
        "statistic_",
        "p_value_",
        "psi_",
        "threshold",
        "drifted",
        "severity",
        "n_reference",
        "n_current",
        "excluded",
        "reason",
    ]
    readonly_fields = fields
    extra = 0

    @admin.display(description="statistic")
    def statistic_(self, feature):
        return rounded(feature.statistic)

    @admin.display(description="p-value")
    def p_value_(self, feature):
        return rounded(feature.p_value)

    @admin.display(description="PSI")
    def psi_(self, feature):
        return rounded(feature.psi)


def report_title(report: DriftReport) -> str:
    """A report as people name it: model, version, environment and week."""
    return (
        f"{report.version.model.name} v{report.version.version} in "
        f"{report.environment.name}, window to {report.window_end:%Y-%m-%d}"
    )


@admin.register(DriftReport)
class DriftReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "window_end",
        "severity",
        "drift_share_",
        "dataset_drift",
        "submitted_by",
    ]
    list_filter = ["severity", "dataset_drift", "environment"]
    list_select_related = ["version__model", "environment", "submitted_by"]
    search_fields = ["version__model__name"]
    inlines = [FeatureDriftInline]

    @admin.display(description="report", ordering="-id")
    def title(self, report):
        return report_title(report)

    @admin.display(description="drift share", ordering="drift_share")
    def drift_share_(self, report):
        return f"{report.drift_share:.0%}"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("version__model", "environment", "submitted_by")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        if report is not None:
            extra_context = {**(extra_context or {}), "subtitle": report_title(report)}
        return super().change_view(request, object_id, form_url, extra_context)


class OpenAlertInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A version's unresolved drift alerts, on the version page."""

    model = DriftAlert
    fields = ["feature", "environment", "severity", "status", "last_seen_at"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "open drift alerts"

    def get_queryset(self, request):
        return super().get_queryset(request).unresolved().select_related("environment")


extend_version_admin(inlines=[OpenAlertInline])


@admin.display(description="open drift alerts", ordering="-open_critical_alerts")
def open_drift_alerts(model) -> str:
    """A model's unresolved alerts, worst first: "1 critical, 2 warning"."""
    counts = [
        f"{count} {severity}"
        for severity in reversed(ALERT_SEVERITIES)
        if (count := getattr(model, f"open_{severity}_alerts"))
    ]
    return ", ".join(counts) or "none"


extend_model_admin(columns=[open_drift_alerts], annotate=with_open_alert_counts)


class AlertAdminMixin:
    """What the drift and the monitoring alert admins share: alerts are
    opened by reports, never added or deleted by hand, and move only by
    the acknowledge and resolve actions, through the alert services."""

    # What a reviewer recorded, last on an alert's page.
    review_fields = [
        "acknowledged_by",
        "acknowledged_at",
        "acknowledgement_note",
        "resolved_by",
        "resolved_at",
        "resolution_note",
    ]
    action_form = NoteActionForm
    list_select_related = ["version__model", "environment"]
    actions = ["acknowledge", "resolve"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Acknowledge the selected alerts (note required)")
    def acknowledge(self, request, queryset):
        note = request.POST.get("note", "")
        run_service_on_each(
            request,
            queryset,
            lambda alert: services.acknowledge_alert(
                actor=request.user, alert=alert, note=note
            ),
            ("alert acknowledged", "alerts acknowledged"),
        )

    @admin.action(description="Resolve the selected alerts (note required)")
    def resolve(self, request, queryset):
        note = request.POST.get("note", "")
        run_service_on_each(
            request,
            queryset,
            lambda alert: services.resolve_alert(
                actor=request.user, alert=alert, note=note
            ),
            ("alert resolved", "alerts resolved"),
        )


@admin.register(DriftAlert)
class DriftAlertAdmin(AlertAdminMixin, admin.ModelAdmin):
    list_display = [
        "feature",
        "version",
        "environment",
        "severity",
        "status",
        "first_seen_at",
        "last_seen_at",
    ]
    list_filter = ["status", "severity", "environment"]
    search_fields = ["feature", "version__model__name"]
    readonly_fields = [
        "version",
        "environment",
        "feature",
        "severity",
        "status",
        "first_seen_at",
        "last_seen_at",
        "latest_report",
        *AlertAdminMixin.review_fields,
    ]


# --- performance and fairness -----------------------------------------------------


@admin.register(MonitoringThreshold)
class MonitoringThresholdAdmin(admin.ModelAdmin):
    """The limits each environment sets on the monitored metrics: a floor,
    or a maximum for ece and the fairness differences."""

    list_display = ["environment", "metric", "warning", "critical", "direction"]
    list_filter = ["environment", "metric"]
    list_select_related = ["environment"]
    search_fields = ["metric", "environment__name"]

    @admin.display(description="alerts when the value is")
    def direction(self, threshold):
        return "above" if threshold.is_maximum else "below"


@admin.register(PerformanceReport)
class PerformanceReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "version",
        "environment",
        "window_end",
        "sample_size",
        "auc",
        "f1",
        "ece",
        "submitted_by",
    ]
    list_filter = ["environment", "input_kind"]
    list_select_related = ["version__model", "environment", "submitted_by"]
    search_fields = ["version__model__name"]


class FairnessGroupInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FairnessGroup
    fields = [
        "group",
        "n",
        "selection_rate",
        "tpr",
        "fpr",
        "selection_rate_ratio",
        "is_reference",
        "fails_four_fifths",
    ]
    readonly_fields = fields
    extra = 0


@admin.register(FairnessReport)
class FairnessReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "version",
        "environment",
        "attribute",
        "window_end",
        "disparate_impact_ratio",
        "four_fifths_passed",
        "submitted_by",
    ]
    list_filter = ["environment", "four_fifths_passed"]
    list_select_related = ["version__model", "environment", "submitted_by"]
    search_fields = ["version__model__name", "attribute"]
    inlines = [FairnessGroupInline]


@admin.register(MonitoringAlert)
class MonitoringAlertAdmin(AlertAdminMixin, admin.ModelAdmin):
    list_display = [
        "subject",
        "kind",
        "version",
        "environment",
        "severity",
        "status",
        "value",
        "limit",
        "last_seen_at",
    ]
    list_filter = ["status", "severity", "kind", "environment"]
    search_fields = ["metric", "attribute", "version__model__name"]
    readonly_fields = [
        "version",
        "environment",
        "kind",
        "metric",
        "attribute",
        "severity",
        "value",
        "limit",
        "status",
        "first_seen_at",
        "last_seen_at",
        "latest_performance_report",
        "latest_fairness_report",
        *AlertAdminMixin.review_fields,
    ]
