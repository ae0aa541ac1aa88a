"""Errors the registry's services raise."""

from mlgov.exceptions import DomainError


class VersionNotEditableError(DomainError):
    """Only a draft may be edited: submitted evidence is frozen."""

    code = "version_frozen"

    def __init__(self, version) -> None:
        super().__init__(
            f"{version} is {version.get_status_display().lower()}; only a draft may "
            "be edited. New evidence means a new version.",
            details={"status": version.status},
        )


class InvalidTransitionError(DomainError):
    """The version's status does not allow the requested move."""

    code = "invalid_transition"

    def __init__(self, version, target: str) -> None:
        super().__init__(
            f"{version} cannot move from {version.status} to {target}.",
            details={"status": version.status, "target": target},
        )


class ModelArchivedError(DomainError):
    """Archived models take no new versions."""

    code = "model_archived"

    def __init__(self, model) -> None:
        super().__init__(
            f"Model {model.name} is archived; unarchive it before adding versions."
        )


class EnvironmentFreezeError(DomainError):
    """Freezing a frozen environment, or unfreezing an open one."""

    code = "environment_freeze_state"

    def __init__(self, environment, *, frozen: bool) -> None:
        state = "already frozen" if frozen else "not frozen"
        super().__init__(
            f"Environment {environment.name} is {state}.",
            details={"frozen": environment.frozen},
        )


class RiskClassChangeRequiredError(DomainError):
    """A lower risk tier is never set directly: it is asked for, and a
    governance admin who did not ask decides (four eyes)."""

    code = "risk_class_change_required"
    status_code = 400

    def __init__(self, model, to_tier: str) -> None:
        message = (
            f"lowering {model.name} from {model.risk_tier} to {to_tier} "
            "needs a governance admin's approval; ask for it with POST "
            f"/api/v1/models/{model.name}/risk-class-changes/."
        )
        super().__init__(
            f"risk_tier: {message}",
            details={
                "risk_tier": [message],
                "request_endpoint": f"/api/v1/models/{model.name}/risk-class-changes/",
            },
        )


class RiskClassChangePendingError(DomainError):
    """A model has at most one pending risk class change."""

    code = "risk_class_change_pending"

    def __init__(self, change) -> None:
        super().__init__(
            f"{change.model.name} already has a pending risk class change "
            f"(#{change.pk}); it is decided or withdrawn first.",
            details={"pending": change.pk},
        )


class RiskClassChangeDecidedError(DomainError):
    """Only a pending request is approved or rejected."""

    code = "risk_class_change_decided"

    def __init__(self, change) -> None:
        super().__init__(
            f"Risk class change #{change.pk} is {change.status}; only a pending "
            "one can be decided.",
            details={"status": change.status},
        )


class FourEyesError(DomainError):
    """The person who asked for a risk class change cannot decide it."""

    code = "four_eyes"

    def __init__(self, change) -> None:
        super().__init__(
            f"You asked for risk class change #{change.pk}; another governance "
            "admin decides it.",
        )
