"""What-if simulation: the portfolio evaluated under today's policies and under
a proposal, compared. Pure computation on facts; it writes nothing, and the
service that feeds it (governance.services.simulations) reads only."""

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic
from typing import Any

from governance.engine import PolicySet, PolicySpec, VersionFacts, WaiverSpec, evaluate


class SimulationBudgetExceeded(Exception):
    """The simulation ran past its deadline and stopped."""


def _counters() -> dict[str, int]:
    return {"evaluated": 0, "newly_failing": 0, "newly_passing": 0}


@dataclass
class SimulationResult:
    """Summary counts and the list of verdicts that change."""

    evaluated: int = 0
    newly_failing: int = 0
    newly_passing: int = 0
    active_deployments_out_of_compliance: int = 0
    by_risk_tier: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(_counters)
    )
    by_environment: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(_counters)
    )
    changes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self, *, max_changes: int) -> dict[str, Any]:
        """The API's answer: summary, and changes (at most `max_changes`)."""
        return {
            "summary": {
                "evaluated": self.evaluated,
                "newly_failing": self.newly_failing,
                "newly_passing": self.newly_passing,
                "by_risk_tier": dict(self.by_risk_tier),
                "by_environment": dict(self.by_environment),
                "active_deployments_out_of_compliance": (
                    self.active_deployments_out_of_compliance
                ),
            },
            "changes": self.changes[:max_changes],
            "changes_total": len(self.changes),
            "changes_truncated": len(self.changes) > max_changes,
        }


def proposed_policies(
    current: Sequence[PolicySpec],
    upserts: Sequence[PolicySpec],
    removals: Collection[str],
) -> list[PolicySpec]:
    """Today's specs with upserts replacing by name and removals dropped.

    Untouched policies keep their very objects, which lets `simulate` skip
    every pair whose applicable policies are the same objects on both sides."""
    replaced = {spec.name: spec for spec in upserts}
    kept = [
        replaced.pop(spec.name, spec) for spec in current if spec.name not in removals
    ]
    return kept + list(replaced.values())


def simulate(
    *,
    facts: Mapping[int, VersionFacts],
    waivers: Mapping[int, Sequence[WaiverSpec]],
    current: Sequence[PolicySpec],
    proposed: Sequence[PolicySpec],
    environments: Sequence[str],
    active_deployments: Collection[tuple[int, str]],
    now: datetime,
    deadline: float | None = None,
) -> SimulationResult:
    """Evaluate every (version, environment) pair under both policy sets.

    `deadline` is a time.monotonic() value: past it, SimulationBudgetExceeded
    is raised between two versions, so one request's work stays bounded."""
    before_set, after_set = PolicySet(current), PolicySet(proposed)
    result = SimulationResult()
    for version_id, version_facts in facts.items():
        if deadline is not None and monotonic() > deadline:
            raise SimulationBudgetExceeded
        version_waivers = waivers.get(version_id, ())
        tier = version_facts.risk_tier
        for environment in environments:
            result.evaluated += 1
            result.by_risk_tier[tier]["evaluated"] += 1
            result.by_environment[environment]["evaluated"] += 1
            before_policies = before_set.applicable(
                version_facts, environment=environment
            )
            after_policies = after_set.applicable(
                version_facts, environment=environment
            )
            if before_policies == after_policies:
                continue
            before = evaluate(
                version_facts,
                before_set,
                environment=environment,
                now=now,
                waivers=version_waivers,
            )
            after = evaluate(
                version_facts,
                after_set,
                environment=environment,
                now=now,
                waivers=version_waivers,
            )
            if before.passed == after.passed:
                continue
            change = "newly_passing" if after.passed else "newly_failing"
            setattr(result, change, getattr(result, change) + 1)
            result.by_risk_tier[tier][change] += 1
            result.by_environment[environment][change] += 1
            is_active = (version_id, environment) in active_deployments
            if is_active and not after.passed:
                result.active_deployments_out_of_compliance += 1
            result.changes.append(
                {
                    "model": version_facts.model,
                    "version": version_facts.version,
                    "environment": environment,
                    "before": before.passed,
                    "after": after.passed,
                    "active_deployment": is_active,
                    "reasons": list(
                        after.reasons if not after.passed else before.reasons
                    ),
                }
            )
    result.changes.sort(
        key=lambda c: (c["after"], c["model"], c["version"], c["environment"])
    )
    return result


def _pair(change: Mapping[str, Any]) -> tuple[str, int, str]:
    return (change["model"], change["version"], str(change["environment"]))


def compare_outcomes(
    first: Sequence[Mapping[str, Any]], second: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Where two runs' proposals disagree, per version and environment:
    whether each passes, and the reasons of the side that fails.

    A run lists only the verdicts its proposal changes; a pair it does not
    list kept the verdict of the day, read from the other run's `before`."""
    by_first = {_pair(change): change for change in first}
    by_second = {_pair(change): change for change in second}
    rows = []
    for pair in sorted(set(by_first) | set(by_second)):
        one, other = by_first.get(pair), by_second.get(pair)
        listed = one or other
        assert listed is not None
        first_passes = one["after"] if one else listed["before"]
        second_passes = other["after"] if other else listed["before"]
        if first_passes == second_passes:
            continue
        # The failing side's own change says why; when it lists none, it kept
        # today's failing verdict, which the other side's change explains.
        failing = (one or other) if not first_passes else (other or one)
        assert failing is not None
        rows.append(
            {
                "model": pair[0],
                "version": pair[1],
                "environment": listed["environment"],
                "first_passes": first_passes,
                "second_passes": second_passes,
                "reasons": list(failing["reasons"]),
            }
        )
    return rows
