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
