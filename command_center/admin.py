from django.contrib import admin

from command_center.models import PortfolioSnapshot, SavedSimulation
from mlgov.admin_tools import ReadOnlyAdminMixin


@admin.register(PortfolioSnapshot)
class PortfolioSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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


@admin.register(SavedSimulation)
class SavedSimulationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Saved what-if runs, read-only: the simulation page saves them."""

    list_display = ("name", "created_by", "created_at")
    list_select_related = ("created_by",)
    search_fields = ("name",)
