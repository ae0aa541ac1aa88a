"""Every state change of integrations, by subject."""

from integrations.services.mlflow_import import (
    ImportRefusedError,
    ImportRow,
    import_mlflow_models,
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
    "import_mlflow_models",
    "notify_expiring_waivers",
    "update_subscription",
]
