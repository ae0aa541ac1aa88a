"""integrations.hot: the compiled query of active subscriptions gives the
instances of its ORM twin, whole."""

import pytest

from integrations import hot
from integrations.models import WebhookSubscription
from tests.twins import assert_same_instances

pytestmark = pytest.mark.django_db


def test_the_active_subscriptions_are_the_orm_instances(governance_admin):
    for name, active in (("ci", True), ("pager", True), ("old", False)):
        WebhookSubscription.objects.create(
            name=name,
            url=f"https://{name}.example.com/hook",
            secret="s" * 32,
            event_types=["deployment.requested"],
            is_active=active,
            created_by=governance_admin,
        )

    found = hot.active_subscriptions()

    assert_same_instances(found, hot.active_subscriptions_query.orm_rows())
    assert [s.name for s in found] == ["ci", "pager"]
