"""The integrations app's models, by subject: webhooks, MLflow and e-mail
notifications."""

from integrations.models.mlflow import (
    MlflowModelLink as MlflowModelLink,
)
from integrations.models.mlflow import (
    MlflowSync as MlflowSync,
)
from integrations.models.mlflow import (
    MlflowSyncQuerySet as MlflowSyncQuerySet,
)
from integrations.models.mlflow import (
    MlflowVersionLink as MlflowVersionLink,
)
from integrations.models.mlflow import (
    MlflowWebhookReceipt as MlflowWebhookReceipt,
)
from integrations.models.mlflow import (
    MlflowWriteBack as MlflowWriteBack,
)
from integrations.models.mlflow import (
    MlflowWriteBackQuerySet as MlflowWriteBackQuerySet,
)
from integrations.models.mlflow import (
    UngovernedChange as UngovernedChange,
)
from integrations.models.mlflow import (
    UngovernedChangeQuerySet as UngovernedChangeQuerySet,
)
from integrations.models.notifications import (
    EmailNotification as EmailNotification,
)
from integrations.models.notifications import (
    EmailNotificationQuerySet as EmailNotificationQuerySet,
)
from integrations.models.notifications import (
    NotificationKind as NotificationKind,
)
from integrations.models.notifications import (
    NotificationPreference as NotificationPreference,
)
from integrations.models.webhooks import (
    DeliveryAttempt as DeliveryAttempt,
)
from integrations.models.webhooks import (
    WaiverExpiryNotice as WaiverExpiryNotice,
)
from integrations.models.webhooks import (
    WebhookDelivery as WebhookDelivery,
)
from integrations.models.webhooks import (
    WebhookDeliveryQuerySet as WebhookDeliveryQuerySet,
)
from integrations.models.webhooks import (
    WebhookEvent as WebhookEvent,
)
from integrations.models.webhooks import (
    WebhookEventType as WebhookEventType,
)
from integrations.models.webhooks import (
    WebhookSubscription as WebhookSubscription,
)
from integrations.models.webhooks import (
    WebhookSubscriptionQuerySet as WebhookSubscriptionQuerySet,
)
