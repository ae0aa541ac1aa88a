"""The lifecycle every alert shares, drift, performance and fairness alike:
reviewers acknowledge or resolve it with a note, under a row lock, along
ALERT_TRANSITIONS, and the move is announced."""

from datetime import datetime
from typing import TypeVar

from django.utils import timezone

from drift.exceptions import AlertMovedError, InvalidAlertTransitionError
from drift.models import ALERT_TRANSITIONS, DriftAlert, MonitoringAlert
from mlgov.actors import Actor
from mlgov.events import announce
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_handle_alerts

Alert = TypeVar("Alert", DriftAlert, MonitoringAlert)


def move_alert(
    *,
    actor: Actor,
    alert: Alert,
    to: str,
    note: str,
    at: datetime | None,
    event_area: str,
    subject_field: str,
    seen_status: str | None = None,
) -> Alert:
    """Move `alert` to `to`. The event is `<event_area>.alert_<to>`, naming
    the alert's `subject_field` (a drift alert's feature, a monitoring
    alert's metric). With `seen_status` (what the actor's page showed), a
    move someone else made meanwhile is refused rather than overwritten.
    Call inside a transaction."""
    if not can_handle_alerts(actor):
        raise PermissionDeniedError(
            f"{event_area.capitalize()} alerts are handled by reviewers."
        )
    if not note.strip():
        raise FieldError("note", "Say what was found or done.")
    locked = type(alert).objects.select_for_update().get(pk=alert.pk)
    if seen_status is not None and locked.status != seen_status:
        raise AlertMovedError(locked, seen_status)
    if to not in ALERT_TRANSITIONS[locked.status]:
        raise InvalidAlertTransitionError(locked, to)
    now = at or timezone.now()
    locked.status = to
    if to == DriftAlert.Status.ACKNOWLEDGED:
        locked.acknowledged_by, locked.acknowledged_at = actor, now
        locked.acknowledgement_note = note
    else:
        locked.resolved_by, locked.resolved_at = actor, now
        locked.resolution_note = note
    locked.save()
    announce(
        f"{event_area}.alert_{to}",
        alert_id=locked.pk,
        severity=locked.severity,
        actor_id=actor.pk,
        **{subject_field: getattr(locked, subject_field)},
    )
    return locked
