"""The lifecycle every alert shares, drift, performance and fairness alike:
reviewers acknowledge or resolve it with a note, under a row lock, along
ALERT_TRANSITIONS, and the move is announced."""

from datetime import datetime
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from drift.constants import SEVERITY_RANK
from drift.exceptions import AlertMovedError, InvalidAlertTransitionError
from drift.models import ALERT_TRANSITIONS, AlertLifecycle, DriftAlert, MonitoringAlert
from mlgov.actors import Actor
from mlgov.events import announce
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_handle_alerts

Alert = TypeVar("Alert", DriftAlert, MonitoringAlert)

# Per kind of alert: the area its events are named in (`drift.alert_resolved`)
# and the field naming its subject in them.
_EVENTS: dict[type[AlertLifecycle], tuple[str, str]] = {
    DriftAlert: ("drift", "feature"),
    MonitoringAlert: ("monitoring", "metric"),
}


def move_alert(
    *,
    actor: Actor,
    alert: Alert,
    to: str,
    note: str,
    at: datetime | None,
    seen_status: str | None = None,
) -> Alert:
    """Move `alert` to `to`. The event is `<area>.alert_<to>`, naming the
    alert's subject (a drift alert's feature, a monitoring alert's metric).
    With `seen_status` (what the actor's page showed), a move someone else
    made meanwhile is refused rather than overwritten. Call inside a
    transaction."""
    event_area, subject_field = _EVENTS[type(alert)]
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
    if to == AlertLifecycle.Status.ACKNOWLEDGED:
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


def severity_rose(before: str, after: str) -> bool:
    """Whether an unresolved alert updated from `before` to `after`
    escalated: its severity rose (ok, warning, critical)."""
    return SEVERITY_RANK[after] > SEVERITY_RANK[before]


@transaction.atomic
def acknowledge_alert(
    *,
    actor: Actor,
    alert: Alert,
    note: str,
    at: datetime | None = None,
    seen_status: str | None = None,
) -> Alert:
    """Someone is on it: the alert stays unresolved (a drift alert keeps
    blocking). `at` is for the demo loader's past; a person acknowledges now."""
    return move_alert(
        actor=actor,
        alert=alert,
        to=AlertLifecycle.Status.ACKNOWLEDGED,
        note=note,
        at=at,
        seen_status=seen_status,
    )


@transaction.atomic
def resolve_alert(
    *,
    actor: Actor,
    alert: Alert,
    note: str,
    at: datetime | None = None,
    seen_status: str | None = None,
) -> Alert:
    """Close the alert; its subject seen past its limit again later opens a
    new one. `at` is for the demo loader's past; a person resolves now."""
    return move_alert(
        actor=actor,
        alert=alert,
        to=AlertLifecycle.Status.RESOLVED,
        note=note,
        at=at,
        seen_status=seen_status,
    )


# The moves a person makes on an alert, by the name the API and the pages
# give them.
ACKNOWLEDGE = "acknowledge"
RESOLVE = "resolve"
ALERT_MOVES = {ACKNOWLEDGE: acknowledge_alert, RESOLVE: resolve_alert}
