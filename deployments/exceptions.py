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
