from django.apps import AppConfig


class MlgovConfig(AppConfig):
    name = "mlgov"
    verbose_name = "Accounts and API access"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from mlgov import checks  # noqa: F401  (registers the system checks)
        from mlgov.metrics import subscribe_event_counters
        from mlgov.roles import sync_role_permissions
        from mlgov.sentry import init_sentry

        post_migrate.connect(
            sync_role_permissions, dispatch_uid="mlgov-role-permissions"
        )
        subscribe_event_counters()
        init_sentry()
