"""Each user's notification preferences: validated, audited, their own."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry

from integrations.models import NotificationPreference
from integrations.selectors import notification_preference
from integrations.services import set_notification_preferences
from mlgov.exceptions import FieldError

pytestmark = pytest.mark.django_db


def test_without_a_choice_a_user_receives_every_kind_at_once(viewer):
    preference = notification_preference(user=viewer)

    assert preference.pk is None
    assert preference.delivery == "immediate"
    assert preference.receives("gate_blocked")


def test_saving_mutes_what_was_left_out_and_is_audited(reviewer):
    with set_actor(reviewer):
        set_notification_preferences(
            actor=reviewer, kinds=["review_assigned"], delivery="digest"
        )

    stored = NotificationPreference.objects.get(user=reviewer)
    assert stored.delivery == "digest"
    assert stored.receives("review_assigned")
    assert not stored.receives("review_waiting")
    entry = LogEntry.objects.get_for_object(stored).get()
    assert entry.actor == reviewer


def test_saving_again_updates_the_one_row(reviewer):
    set_notification_preferences(actor=reviewer, kinds=[], delivery="digest")
    set_notification_preferences(
        actor=reviewer, kinds=["gate_blocked"], delivery="immediate"
    )

    (stored,) = NotificationPreference.objects.all()
    assert stored.delivery == "immediate"
    assert stored.receives("gate_blocked")


@pytest.mark.parametrize(
    ("kinds", "delivery", "field"),
    [
        (["carrier_pigeon"], "immediate", "kinds"),
        (["gate_blocked"], "weekly", "delivery"),
    ],
)
def test_unknown_choices_are_refused_naming_the_field(reviewer, kinds, delivery, field):
    with pytest.raises(FieldError) as refused:
        set_notification_preferences(actor=reviewer, kinds=kinds, delivery=delivery)

    assert refused.value.field == field
    assert not NotificationPreference.objects.exists()
