"""Errors the deployment services raise."""

from mlgov.exceptions import DomainError


class InvalidDeploymentMoveError(DomainError):
    """The deployment's status does not allow the requested move."""

    code = "invalid_transition"

    def __init__(self, deployment, action: str, allowed: list[str]) -> None:
        moves = ", ".join(allowed) if allowed else "none (its status is final)"
        super().__init__(
            f"Deployment {deployment.pk} is {deployment.status}; it cannot "
            f"{action}. Allowed moves: {moves}.",
            details={
                "status": deployment.status,
                "action": action,
                "allowed": allowed,
            },
        )


class ConcurrentRolloutError(DomainError):
    """Another move of the same model in the same environment got there first."""

    code = "concurrent_rollout"

    def __init__(self, deployment, message: str) -> None:
        super().__init__(
            f"Deployment {deployment.pk}: {message}",
            details={"status": deployment.status},
        )


class NothingToRollBackError(DomainError):
    """A primary that replaced nothing has no deployment to return to."""

    code = "nothing_to_roll_back_to"

    def __init__(self, deployment, message: str) -> None:
        super().__init__(
            f"Deployment {deployment.pk} cannot be rolled back: {message}",
            details={"status": deployment.status},
        )


class NotACanaryError(DomainError):
    """Only a canary below 100 % can be promoted."""

    code = "not_a_canary"

    def __init__(self, deployment) -> None:
        super().__init__(
            f"Deployment {deployment.pk} already serves 100 % of traffic; only a "
            "canary can be promoted.",
            details={"traffic_percent": deployment.traffic_percent},
        )


class MoveRefusedError(DomainError):
    """A move the gate refuses at the moment it is asked for. Carries the
    unsaved record of the refusal, which the service writes once the move's
    own transaction has rolled back."""

    def __init__(self, message: str, *, refusal, details: dict) -> None:
        super().__init__(message, details=details)
        self.refusal = refusal


class GateRecheckError(MoveRefusedError):
    """A move that puts a version into service failed a gate check that the
    request had passed: the environment froze, or the verdict changed."""

    code = "gate_check_failed"

    def __init__(self, refusal) -> None:
        super().__init__(
            f"Deployment {refusal.deployment.pk} cannot {refusal.action}: "
            f"{refusal.detail}.",
            refusal=refusal,
            details={
                "status": refusal.status,
                "action": refusal.action,
                "check": refusal.failed_check,
            },
        )


class ApprovalExpiredError(MoveRefusedError):
    """An approved request was not started within its lifetime."""

    code = "approval_expired"

    def __init__(self, refusal) -> None:
        super().__init__(
            f"Deployment {refusal.deployment.pk} cannot {refusal.action}: "
            f"{refusal.detail}; request the deployment again.",
            refusal=refusal,
            details={
                "status": refusal.status,
                "action": refusal.action,
                "check": refusal.failed_check,
            },
        )
