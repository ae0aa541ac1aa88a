"""Admin: read-only views of framework packs and custom obligations; they
change through the API's services (attributed, validated, audited)."""

from django.contrib import admin

import compliance.documentation.admin  # noqa: F401  (registers its models)
from compliance.models import CustomObligation, FrameworkPack
from mlgov.admin_tools import ReadOnlyAdminMixin


@admin.register(FrameworkPack)
class FrameworkPackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["framework", "enabled", "version", "changed_by", "changed_at"]
    list_filter = ["enabled"]
    search_fields = ["framework"]
    list_select_related = ["changed_by"]


@admin.register(CustomObligation)
class CustomObligationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["obligation_id", "framework", "reference", "title", "created_by"]
    list_filter = ["framework"]
    search_fields = ["obligation_id", "reference", "title"]
    list_select_related = ["created_by"]
