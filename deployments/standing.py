"""Which version speaks for a model in an environment, and what it is judged
to be there (DESIGN §2, "the subject of every verdict"). Pure values, tuples
because a portfolio holds tens of thousands of them: no Django, no database.
`deployments.selectors.model_standings` fills them; the command center, the
admin and the API only show them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from governance.engine import ReadinessBreakdown, Verdict, VersionFacts
from registry.refs import VersionRef

SERVING = "serving"
CANDIDATE = "candidate"


def subject_label(version: int, *, serving: bool) -> str:
    """How pages name the version a verdict is about: "v3 serving", "v5
    candidate"."""
    return f"v{version} {SERVING if serving else CANDIDATE}"


def canary_label(version: int, traffic_percent: int) -> str:
    """How pages name a canary beside the primary: "v4 canary at 10%"."""
    return f"v{version} canary at {traffic_percent}%"


class Canary(NamedTuple):
    """An active canary beside the primary, with its traffic share."""

    version: VersionRef
    traffic_percent: int


class VerdictSubject(NamedTuple):
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
        return subject_label(self.version.version, serving=self.is_serving)


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


class EnvironmentStanding(NamedTuple):
    """A model in one environment: its subject, the subject's verdict there,
    the verdict of a canary serving beside it, and the subject's facts the
    verdict was computed from (compliance's coverage reads them again)."""

    subject: VerdictSubject
    verdict: Verdict
    canary_verdict: Verdict | None = None
    facts: VersionFacts | None = None

    @property
    def passed(self) -> bool:
        """Whether the subject passes the evaluation for this environment."""
        return self.verdict.passed

    @property
    def label(self) -> str:
        return self.subject.label


class ModelStanding(NamedTuple):
    """A model in every environment where a version speaks for it, and its
    readiness, judged on the version that speaks in production (else its
    candidate's approval verdict where there is no production environment)."""

    versions: int
    environments: Mapping[str, EnvironmentStanding]
    readiness_subject: VerdictSubject | None
    readiness: ReadinessBreakdown | None
