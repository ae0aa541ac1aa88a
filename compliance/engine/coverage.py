"""Coverage: every obligation of a framework judged on one model's facts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from compliance.engine.evidence import EVIDENCE_REGISTRY, EvidenceLink
from compliance.engine.facts import CoverageFacts
from compliance.engine.schema import (
    AppliesTo,
    EvidenceSpec,
    FrameworkSpec,
    ObligationSpec,
)

MET = "met"
PARTLY_MET = "partly_met"
UNMET = "unmet"
NOT_APPLICABLE = "not_applicable"
STATUSES: tuple[str, ...] = (MET, PARTLY_MET, UNMET, NOT_APPLICABLE)
STATUS_LABELS: Mapping[str, str] = {
    MET: "Met",
    PARTLY_MET: "Partly met",
    UNMET: "Unmet",
    NOT_APPLICABLE: "Not applicable",
}


@dataclass(frozen=True, slots=True)
class EvidenceResult:
    """One evidence requirement judged: met or the gap, and where to look."""

    kind: str
    params: Mapping[str, Any]
    met: bool
    detail: str
    link: EvidenceLink | None


@dataclass(frozen=True, slots=True)
class ObligationResult:
    """One obligation judged on one model."""

    obligation: ObligationSpec
    status: str
    evidence: tuple[EvidenceResult, ...]

    @property
    def gaps(self) -> tuple[EvidenceResult, ...]:
        return tuple(result for result in self.evidence if not result.met)


@dataclass(frozen=True, slots=True)
class CoverageCounts:
    """How many applicable obligations are met, partly met and unmet."""

    met: int = 0
    partly_met: int = 0
    unmet: int = 0

    @property
    def applicable(self) -> int:
        return self.met + self.partly_met + self.unmet

    @property
    def share(self) -> float | None:
        """Met counts 1 and partly met 0.5, over the applicable; None when
        nothing applies."""
        if not self.applicable:
            return None
        return (self.met + 0.5 * self.partly_met) / self.applicable

    def __add__(self, other: CoverageCounts) -> CoverageCounts:
        return CoverageCounts(
            self.met + other.met,
            self.partly_met + other.partly_met,
            self.unmet + other.unmet,
        )


@dataclass(frozen=True, slots=True)
class FrameworkCoverage:
    """A model's coverage under one framework: every obligation, applicable
    or not, in the pack's order."""

    framework: FrameworkSpec
    obligations: tuple[ObligationResult, ...]

    @property
    def applicable(self) -> tuple[ObligationResult, ...]:
        return tuple(r for r in self.obligations if r.status != NOT_APPLICABLE)

    @property
    def counts(self) -> CoverageCounts:
        statuses = [result.status for result in self.obligations]
        return CoverageCounts(
            statuses.count(MET), statuses.count(PARTLY_MET), statuses.count(UNMET)
        )


def judge_evidence(
    spec: EvidenceSpec, facts: CoverageFacts, now: datetime
) -> EvidenceResult:
    """One evidence requirement judged by its kind's evaluator."""
    outcome = EVIDENCE_REGISTRY[spec.kind].evaluate(spec.params, facts, now)
    return EvidenceResult(
        spec.kind, spec.params, outcome.met, outcome.detail, outcome.link
    )


def judge_obligation(
    obligation: ObligationSpec, facts: CoverageFacts, now: datetime
) -> ObligationResult:
    """Met when all its evidence is met, partly met when some, unmet when
    none; not applicable (and not judged) outside its `applies_to`."""
    if not obligation.applies_to.matches(
        category=facts.ai_act_category, tier=facts.risk_tier
    ):
        return ObligationResult(obligation, NOT_APPLICABLE, ())
    evidence = tuple(judge_evidence(spec, facts, now) for spec in obligation.evidence)
    met = sum(result.met for result in evidence)
    if met == len(evidence):
        status = MET
    elif met:
        status = PARTLY_MET
    else:
        status = UNMET
    return ObligationResult(obligation, status, evidence)


def framework_coverage(
    framework: FrameworkSpec, facts: CoverageFacts, now: datetime
) -> FrameworkCoverage:
    """Every obligation of `framework` judged on one model."""
    return FrameworkCoverage(
        framework,
        tuple(judge_obligation(spec, facts, now) for spec in framework.obligations),
    )


def model_coverage(
    frameworks: Iterable[FrameworkSpec], facts: CoverageFacts, now: datetime
) -> tuple[FrameworkCoverage, ...]:
    """A model's coverage under each framework, in the given order."""
    return tuple(framework_coverage(spec, facts, now) for spec in frameworks)


def total_counts(coverages: Iterable[FrameworkCoverage]) -> CoverageCounts:
    """The counts over several frameworks."""
    total = CoverageCounts()
    for coverage in coverages:
        total = total + coverage.counts
    return total


def _params_key(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


# Per framework id, its applicable obligations' requirement indices; and every
# index they cite.
_Applicable = tuple[
    tuple[tuple[str, tuple[tuple[int, ...], ...]], ...], tuple[int, ...]
]


class CountsPlan:
    """Frameworks compiled for counting: their evidence requirements told
    apart once, so each distinct one is judged once per model however many
    obligations cite it, by its kind's predicate alone (no sentence, link or
    result object is built), and models with the same category, tier and
    outcomes share one counting. The counts equal those of `model_coverage`
    (the rich path the pages read); build one per computation, not per
    model."""

    def __init__(self, frameworks: Iterable[FrameworkSpec]) -> None:
        distinct: dict[tuple[str, str], int] = {}
        self._specs: list[EvidenceSpec] = []
        self._frameworks: list[
            tuple[str, tuple[tuple[AppliesTo, tuple[int, ...]], ...]]
        ] = []
        for framework in frameworks:
            obligations = []
            for obligation in framework.obligations:
                indices = []
                for spec in obligation.evidence:
                    key = (spec.kind, _params_key(spec.params))
                    if key not in distinct:
                        distinct[key] = len(self._specs)
                        self._specs.append(spec)
                    indices.append(distinct[key])
                obligations.append((obligation.applies_to, tuple(indices)))
            self._frameworks.append((framework.id, tuple(obligations)))
        # Each distinct requirement's kind predicate and parameters: the
        # kind's rule without the sentence the rich path builds.
        self._checks = [
            (EVIDENCE_REGISTRY[spec.kind].is_met, spec.params) for spec in self._specs
        ]
        # Which obligations apply depends on the category and tier alone;
        # with them, the distinct requirements they cite, in index order.
        self._applicable: dict[tuple[str, str], _Applicable] = {}
        # The counts depend on the category, the tier and the outcomes of
        # those requirements alone: many models share them.
        self._counted: dict[
            tuple[str, str, tuple[bool, ...]], dict[str, CoverageCounts]
        ] = {}

    def _applicable_to(self, category: str, tier: str) -> _Applicable:
        found = self._applicable.get((category, tier))
        if found is None:
            frameworks = tuple(
                (
                    framework_id,
                    tuple(
                        indices
                        for applies_to, indices in obligations
                        if applies_to.matches(category=category, tier=tier)
                    ),
                )
                for framework_id, obligations in self._frameworks
            )
            cited = sorted(
                {
                    index
                    for _id, found_obligations in frameworks
                    for indices in found_obligations
                    for index in indices
                }
            )
            found = (frameworks, tuple(cited))
            self._applicable[(category, tier)] = found
        return found

    def counts(self, facts: CoverageFacts, now: datetime) -> dict[str, CoverageCounts]:
        """Per framework id, the counts `framework_coverage(...).counts` gives."""
        category, tier = facts.ai_act_category, facts.risk_tier
        frameworks, cited = self._applicable_to(category, tier)
        checks = self._checks
        outcomes = tuple(
            checks[index][0](checks[index][1], facts, now) for index in cited
        )
        key = (category, tier, outcomes)
        found = self._counted.get(key)
        if found is None:
            judged = dict(zip(cited, outcomes, strict=True))
            found = self._counted[key] = {
                framework_id: _count(obligations, judged)
                for framework_id, obligations in frameworks
            }
        return dict(found)


def _count(
    obligations: tuple[tuple[int, ...], ...], judged: Mapping[int, bool]
) -> CoverageCounts:
    """Met when all of an obligation's requirements are, partly met when some,
    unmet when none: `judge_obligation`'s rule on outcomes already judged."""
    met_count = partly = unmet = 0
    for indices in obligations:
        met = sum(judged[index] for index in indices)
        if met == len(indices):
            met_count += 1
        elif met:
            partly += 1
        else:
            unmet += 1
    return CoverageCounts(met_count, partly, unmet)
