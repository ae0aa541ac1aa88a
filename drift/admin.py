from django.contrib import admin

from drift import services
from drift.models import DriftAlert, DriftReport, FeatureDrift
from mlgov.admin_tools import NoteActionForm, run_service_on_each


class ReadOnlyAdminMixin:
    """Computed records: shown, never edited or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FeatureDriftInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FeatureDrift
    fields = [
        "feature",
        "kind",
        "method",
        "statistic",
        "p_value",
        "psi",
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


@admin.register(DriftReport)
class DriftReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "version",
        "environment",
        "window_end",
        "severity",
        "drift_share",
        "dataset_drift",
        "submitted_by",
    ]
    list_filter = ["severity", "dataset_drift", "environment"]
    list_select_related = ["version__model", "environment", "submitted_by"]
    search_fields = ["version__model__name"]
    inlines = [FeatureDriftInline]


@admin.register(DriftAlert)
class DriftAlertAdmin(admin.ModelAdmin):
    action_form = NoteActionForm
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
    list_select_related = ["version__model", "environment"]
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
        "acknowledged_by",
        "acknowledged_at",
        "acknowledgement_note",
        "resolved_by",
        "resolved_at",
        "resolution_note",
    ]
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
            "alerts acknowledged",
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
            "alerts resolved",
        )
