from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from integrations.outbox import record_domain_event
        from mlgov.events import subscribe_in_transaction

        subscribe_in_transaction(record_domain_event)
