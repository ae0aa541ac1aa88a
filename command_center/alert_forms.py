"""The form a reviewer acknowledges or resolves an alert with, drift and
monitoring alike: input validation only; drift's alert services decide
whether the move is allowed (and the page shows their refusal on a field)."""

from django import forms

from drift import constants as drift_vocabulary
from drift.services import ACKNOWLEDGE, RESOLVE


class AlertMoveForm(forms.Form):
    """A note, which button was pressed, and the status the page showed (so
    a move someone else made meanwhile is refused, not overwritten)."""

    note = forms.CharField(
        max_length=drift_vocabulary.ALERT_NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 1}),
        label="Note",
        error_messages={"required": "Say what was found or done."},
    )
    move = forms.ChoiceField(
        choices=[(ACKNOWLEDGE, "Acknowledge"), (RESOLVE, "Resolve")],
        label="Action",
        widget=forms.HiddenInput,
        error_messages={"required": "Choose acknowledge or resolve."},
    )
    seen_status = forms.ChoiceField(
        choices=[(status, status) for status in drift_vocabulary.ALERT_STATUSES],
        label="Status",
        widget=forms.HiddenInput,
    )
