"""Every state change of integrations, by subject."""

from integrations.services.email_delivery import send_due_emails
from integrations.services.mlflow_import import (
    ImportRefusedError,
    ImportRow,
    import_mlflow_models,
)
from integrations.services.mlflow_sync import (
    FOLLOWED_EVENTS,
    MlflowEvent,
    ReplayedDeliveryError,
    WebhookRefusedError,
    check_mlflow_delivery,
    mlflow_client,
    mlflow_sent_at,
    models_to_reconcile,
    read_mlflow_event,
    receive_mlflow_webhook,
)
from integrations.services.mlflow_write_back import push_due_write_backs
from integrations.services.notifications import (
    enqueue_notification,
    send_digests,
    set_notification_preferences,
)
from integrations.services.waivers import notify_expiring_waivers
from integrations.services.webhooks import (
    allowed_networks,
    backoff,
    check_subscription,
    create_subscription,
    deliver_due,
    deliver_next,
    update_subscription,
)

__all__ = [
    "FOLLOWED_EVENTS",
    "ImportRefusedError",
    "ImportRow",
    "MlflowEvent",
    "ReplayedDeliveryError",
    "WebhookRefusedError",
    "allowed_networks",
    "backoff",
    "check_mlflow_delivery",
    "check_subscription",
    "create_subscription",
    "deliver_due",
    "deliver_next",
    "enqueue_notification",
    "import_mlflow_models",
    "mlflow_client",
    "mlflow_sent_at",
    "models_to_reconcile",
    "notify_expiring_waivers",
    "push_due_write_backs",
    "read_mlflow_event",
    "receive_mlflow_webhook",
    "send_digests",
    "send_due_emails",
    "set_notification_preferences",
    "update_subscription",
]
