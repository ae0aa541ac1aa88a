from django.contrib import admin

from command_center.models import PortfolioSnapshot, SavedSimulation


@admin.register(PortfolioSnapshot)
class PortfolioSnapshotAdmin(admin.ModelAdmin):
    """Daily snapshots, read-only: `manage.py snapshot_portfolio` writes them."""

    list_display = (
        "day",
        "model_count",
        "models_compliance_rate",
        "production_compliance_rate",
        "drift_alerts_critical",
        "overdue_reviews",
    )
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SavedSimulation)
class SavedSimulationAdmin(admin.ModelAdmin):
    """Saved what-if runs, read-only: the simulation page saves them."""

    list_display = ("name", "created_by", "created_at")
    list_select_related = ("created_by",)
    search_fields = ("name",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
