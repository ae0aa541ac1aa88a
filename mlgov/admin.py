from django.contrib import admin

from mlgov.admin_tools import ReadOnlyAdminMixin, run_service_on_each
from mlgov.models import APIToken, AuditChainHead, AuditRetention, AuditSeal
from mlgov.services import revoke_token


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "key_hint",
        "created_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at", "expires_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "key_hint"]
    readonly_fields = [
        "user",
        "name",
        "key_hint",
        "created_at",
        "expires_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # Raw tokens are shown once, by `manage.py issue_token`.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        run_service_on_each(
            request,
            queryset,
            lambda token: revoke_token(token=token),
            ("token revoked", "tokens revoked"),
        )


class AuditChainAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the database writes these rows and refuses changes."""


@admin.register(AuditSeal)
class AuditSealAdmin(AuditChainAdmin):
    list_display = ["position", "entry_id", "entry_hash"]
    search_fields = ["=entry_id", "entry_hash"]


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(AuditChainAdmin):
    list_display = ["position", "last_hash"]


@admin.register(AuditRetention)
class AuditRetentionAdmin(AuditChainAdmin):
    list_display = [
        "performed_at",
        "cutoff",
        "entries_deleted",
        "through_position",
        "through_hash",
    ]
    list_filter = ["performed_at"]
    search_fields = ["through_hash"]
