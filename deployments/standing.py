"""Which version speaks for a model in an environment, and what it is judged
to be there (DESIGN §2, "the subject of every verdict"). Pure values: no
Django, no database. `deployments.selectors.model_standings` fills them; the
command center, the admin and the API only show them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from governance.engine import ReadinessBreakdown, Verdict
from registry.refs import VersionRef

SERVING = "serving"
CANDIDATE = "candidate"


@dataclass(frozen=True, slots=True)
class Canary:
    """An active canary beside the primary, with its traffic share."""

    version: VersionRef
    traffic_percent: int


@dataclass(frozen=True, slots=True)
class VerdictSubject:
    """The version that answers for a model in one environment: the version
    serving there (its active primary), else the model's candidate."""

    version: VersionRef
    role: str
    canary: Canary | None = None

    @property
    def is_serving(self) -> bool:
        return self.role == SERVING

    @property
    def label(self) -> str:
        """How pages name it: "v3 serving", "v5 candidate"."""
        return f"v{self.version.version} {self.role}"


def verdict_subject(
    *,
    primary: VersionRef | None,
    canary: Canary | None,
    candidate: VersionRef | None,
) -> VerdictSubject | None:
    """The rule of DESIGN §2: the active primary, with an active canary beside
    it; a canary alone serves all the traffic there is, so it answers; where
    nothing serves, the candidate; else nothing (a model of drafts)."""
    if primary is not None:
        return VerdictSubject(primary, SERVING, canary)
    if canary is not None:
        return VerdictSubject(canary.version, SERVING)
    if candidate is not None:
        return VerdictSubject(candidate, CANDIDATE)
    return None


@dataclass(frozen=True, slots=True)
class EnvironmentStanding:
    """A model in one environment: its subject, the subject's verdict there,
    and the verdict of a canary serving beside it."""

    subject: VerdictSubject
    verdict: Verdict
    canary_verdict: Verdict | None = None

    @property
    def passed(self) -> bool:
        """Whether the subject passes the evaluation for this environment."""
        return self.verdict.passed

    @property
    def label(self) -> str:
        return self.subject.label

    @property
    def serving_verdicts(self) -> tuple[bool, ...]:
        """Whether each version serving here passes, primary then canary:
        empty where only a candidate speaks."""
        if not self.subject.is_serving:
            return ()
        if self.canary_verdict is None:
            return (self.verdict.passed,)
        return (self.verdict.passed, self.canary_verdict.passed)


@dataclass(frozen=True, slots=True)
class ModelStanding:
    """A model in every environment where a version speaks for it, and its
    readiness, judged on the version that speaks in production (else its
    candidate's approval verdict where there is no production environment)."""

    versions: int
    environments: Mapping[str, EnvironmentStanding]
    readiness_subject: VerdictSubject | None
    readiness: ReadinessBreakdown | None
