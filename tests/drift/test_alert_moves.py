"""The alert lifecycle's guard against a concurrent move, for drift and
monitoring alerts alike: a move made on a page that showed an older status
is refused, naming who moved the alert meanwhile, and changes nothing."""

import pytest

from drift.exceptions import AlertMovedError
from drift.models import DriftAlert
from drift.services import (
    acknowledge_alert,
    resolve_alert,
)
from tests.drift.quality.test_admin import alert as monitoring_alert  # noqa: F401
from tests.drift.test_api import open_alert  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_drift_alert_moved_meanwhile_is_not_overwritten(
    reviewer,
    second_reviewer,
    open_alert,  # noqa: F811
):
    acknowledge_alert(actor=second_reviewer, alert=open_alert, note="Mine.")

    with pytest.raises(AlertMovedError) as refused:
        resolve_alert(
            actor=reviewer, alert=open_alert, note="Fixed.", seen_status="open"
        )

    assert refused.value.code == "alert_moved"
    assert "since been acknowledged by reviewer2" in refused.value.message
    assert DriftAlert.objects.get().status == "acknowledged"


def test_a_monitoring_alert_moves_when_the_page_was_current(
    reviewer,
    second_reviewer,
    monitoring_alert,  # noqa: F811
):
    acknowledged = acknowledge_alert(
        actor=reviewer, alert=monitoring_alert, note="On it.", seen_status="open"
    )
    with pytest.raises(AlertMovedError):
        acknowledge_alert(
            actor=second_reviewer,
            alert=monitoring_alert,
            note="Me too.",
            seen_status="open",
        )
    resolved = resolve_alert(
        actor=second_reviewer,
        alert=monitoring_alert,
        note="Done.",
        seen_status="acknowledged",
    )

    assert acknowledged.acknowledged_by == reviewer
    assert (resolved.status, resolved.resolved_by) == ("resolved", second_reviewer)
