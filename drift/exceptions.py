"""Errors the drift services raise."""

from mlgov.exceptions import DomainError


class InvalidAlertTransitionError(DomainError):
    """The alert's status does not allow the requested move."""

    code = "invalid_transition"

    def __init__(self, alert, target: str) -> None:
        # A drift alert is about a feature, a monitoring alert about a subject.
        subject = getattr(alert, "subject", None) or alert.feature
        super().__init__(
            f"The alert on {subject} is {alert.status}; it cannot become {target}.",
            details={"status": alert.status, "target": target},
        )


class AlertMovedError(DomainError):
    """Someone moved the alert after the actor's page showed it."""

    code = "alert_moved"

    def __init__(self, alert, seen_status: str) -> None:
        subject = getattr(alert, "subject", None) or alert.feature
        mover = alert.resolved_by or alert.acknowledged_by
        by = f" by {mover.get_username()}" if mover else ""
        super().__init__(
            f"The alert on {subject} was {seen_status} on your page; it has "
            f"since been {alert.status}{by}. Reload to see it.",
            details={"status": alert.status, "seen_status": seen_status},
        )


class PayloadTooLargeError(DomainError):
    """More raw values than the server accepts; summaries are the way."""

    code = "payload_too_large"
    status_code = 413
