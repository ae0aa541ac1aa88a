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


class PayloadTooLargeError(DomainError):
    """More raw values than the server accepts; summaries are the way."""

    code = "payload_too_large"
    status_code = 413
