"""Integrations' compiled query (mlgov.db): the active webhook subscriptions,
which every announced domain event reads inside the transaction of the change
it reports (a deployment request's among them). tests/integrations/test_hot.py
holds it to its ORM twin."""

from integrations.models import WebhookSubscription
from mlgov.db import CompiledInstances

active_subscriptions_query: CompiledInstances[WebhookSubscription] = CompiledInstances(
    lambda: WebhookSubscription.objects.active().order_by("pk")
)


def active_subscriptions() -> list[WebhookSubscription]:
    """Every active subscription, whole, by id."""
    return active_subscriptions_query()
