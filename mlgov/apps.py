from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class MlgovAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with mlgov's admin site as the default site."""

    default = False
    default_site = "mlgov.admin_site.MlgovAdminSite"


class MlgovConfig(AppConfig):
    name = "mlgov"
    verbose_name = "Accounts and API access"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from mlgov import checks  # noqa: F401  (registers the system checks)
        from mlgov.api.authentication import connect_token_cache_invalidation
        from mlgov.audit_chain import register_sqlite_functions
        from mlgov.metrics import (
            AuditVerificationCollector,
            register_state_collector,
            subscribe_event_counters,
        )
        from mlgov.roles import sync_role_permissions
        from mlgov.sentry import init_sentry
        from mlgov.session_age import stamp_sign_in

        post_migrate.connect(
            sync_role_permissions, dispatch_uid="mlgov-role-permissions"
        )
        subscribe_event_counters()
        register_state_collector(
            "mlgov.audit_verification", AuditVerificationCollector()
        )
        connection_created.connect(
            register_sqlite_functions, dispatch_uid="mlgov-audit-sqlite-functions"
        )
        init_sentry()
        connect_token_cache_invalidation()
        user_logged_in.connect(stamp_sign_in, dispatch_uid="mlgov-session-sign-in")
