"""Errors the governance services raise."""

from mlgov.exceptions import DomainError


class SelfApprovalError(DomainError):
    """Four eyes: a version's creator or submitter cannot decide on it."""

    code = "self_approval"

    def __init__(self, version) -> None:
        super().__init__(
            f"You created or submitted {version}; an independent reviewer must "
            "decide on it."
        )


class NotInReviewError(DomainError):
    """Only versions in review take approvals or rejections."""

    code = "not_in_review"

    def __init__(self, version) -> None:
        super().__init__(
            f"{version} is {version.get_status_display().lower()}, not in review.",
            details={"status": version.status},
        )


class AlreadyDecidedError(DomainError):
    """One decision per reviewer and version."""

    code = "already_decided"

    def __init__(self, version, decision: str) -> None:
        super().__init__(
            f"You already decided on {version} ({decision}).",
            details={"decision": decision},
        )


class WaiverNotAllowedError(DomainError):
    """The waiver breaks a rule of waivers (who grants, for how long, on what)."""

    code = "waiver_not_allowed"


class WaiverRevokedError(DomainError):
    """A revoked waiver stays revoked."""

    code = "waiver_revoked"


class PolicyInUseError(DomainError):
    """Policies with waivers are disabled, not deleted, to keep the record."""

    code = "policy_in_use"


class ReviewerNotIndependentError(DomainError):
    """Four eyes: a version's creator or submitter is never its reviewer."""

    code = "reviewer_not_independent"

    def __init__(self, version, reviewer) -> None:
        super().__init__(
            f"{reviewer} created or submitted {version}; assign an independent "
            "reviewer.",
            details={"reviewer": [f"{reviewer} created or submitted {version}."]},
        )


class PolicyChangedError(DomainError):
    """No lost update: the policy moved on since the editor read it."""

    code = "policy_changed"

    def __init__(self, policy, expected_revision: int) -> None:
        super().__init__(
            f"{policy.name} changed since you opened it: it is at revision "
            f"{policy.revision}, your edit started from revision "
            f"{expected_revision}. Reload it, then make your change again.",
            details={"revision": policy.revision, "expected": expected_revision},
        )
