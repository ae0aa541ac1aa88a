"""Every state change of integrations, by subject."""

from integrations.services.email_delivery import send_due_emails
from integrations.services.mlflow_import import (
    ImportRefusedError,
    ImportRow,
    import_mlflow_models,
)
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
    "ImportRefusedError",
    "ImportRow",
    "allowed_networks",
    "backoff",
    "check_subscription",
    "create_subscription",
    "deliver_due",
    "deliver_next",
    "enqueue_notification",
    "import_mlflow_models",
    "notify_expiring_waivers",
    "send_digests",
    "send_due_emails",
    "set_notification_preferences",
    "update_subscription",
]
