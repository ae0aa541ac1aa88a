from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from integrations.metrics import WebhookQueueCollector
        from integrations.outbox import subscribe_to_domain_events
        from mlgov.metrics import register_state_collector

        subscribe_to_domain_events()
        register_state_collector("integrations.webhook_queue", WebhookQueueCollector())
