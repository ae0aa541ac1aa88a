from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from integrations import mlflow_outbox, notifications, outbox
        from integrations.metrics import EmailQueueCollector, WebhookQueueCollector
        from mlgov.metrics import register_state_collector

        outbox.subscribe_to_domain_events()
        notifications.subscribe_to_domain_events()
        mlflow_outbox.subscribe_to_domain_events()
        register_state_collector("integrations.webhook_queue", WebhookQueueCollector())
        register_state_collector("integrations.email_queue", EmailQueueCollector())
