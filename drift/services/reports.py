"""What posting any report shares, drift, performance or fairness."""

from datetime import datetime

from mlgov.actors import Actor
from mlgov.exceptions import FieldError, PermissionDeniedError
from mlgov.permissions import can_write_model
from registry.models import ModelVersion


def check_report_post(
    *,
    actor: Actor,
    version: ModelVersion,
    window_start: datetime,
    window_end: datetime,
    reports: str,
) -> None:
    """Refuse a report on `version` from someone outside its team, or over a
    window that ends before it starts; `reports` names what is posted
    ("drift reports") in the refusal."""
    if not can_write_model(actor, version.model):
        raise PermissionDeniedError(
            f"Only {version.model.team} may post {reports} for {version.model}."
        )
    if window_end <= window_start:
        raise FieldError("window_end", "Must be after window_start.")
