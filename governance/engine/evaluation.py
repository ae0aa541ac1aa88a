"""Evaluating versions against policies: rule results, verdicts, PolicySet."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from governance.engine.constants import ADVISORY, DISABLED, ENFORCE
from governance.engine.facts import VersionFacts
from governance.engine.specs import PolicySpec, WaiverSpec


# A NamedTuple rather than a frozen dataclass: a simulation builds millions of
# these, and a frozen dataclass's __init__ costs three times as much.
class RuleResult(NamedTuple):
    """The outcome of one rule for one version, as stored and shown."""

    policy: str
    revision: int
    rule: int
    kind: str
    params: Mapping[str, Any]
    passed: bool
    waived: bool
    enforcement: str
    detail: str

    @property
    def is_blocking(self) -> bool:
        """Whether this result fails the verdict: enforced, failing, not waived."""
        return not self.passed and not self.waived and self.enforcement == ENFORCE

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dict with DESIGN's field names."""
        return {
            "policy": self.policy,
            "revision": self.revision,
            "rule": self.rule,
            "kind": self.kind,
            "params": {
                key: list(value) if isinstance(value, list | tuple) else value
                for key, value in self.params.items()
            },
            "passed": self.passed,
            "waived": self.waived,
            "enforcement": self.enforcement,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleResult:
        """Read back a result stored with `as_dict`."""
        return cls(**{name: data[name] for name in cls._fields})


@dataclass(frozen=True, slots=True)
class Verdict:
    """Every rule result of an evaluation and whether the version passes."""

    passed: bool
    results: tuple[RuleResult, ...]

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        """Enforced rules that fail and are not waived."""
        return tuple(result for result in self.results if result.is_blocking)

    @property
    def warnings(self) -> tuple[RuleResult, ...]:
        """Advisory rules that fail and are not waived."""
        return tuple(
            result
            for result in self.results
            if not result.passed
            and not result.waived
            and result.enforcement == ADVISORY
        )

    @property
    def reasons(self) -> tuple[str, ...]:
        """The detail sentences of the failures, in evaluation order."""
        return tuple(result.detail for result in self.results if result.is_blocking)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dict with DESIGN's field names."""
        return {
            "passed": self.passed,
            "results": [result.as_dict() for result in self.results],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        """Read back a verdict stored with `as_dict`."""
        results = tuple(RuleResult.from_dict(item) for item in data["results"])
        return cls(passed=data["passed"], results=results)


def policy_applies(
    policy: PolicySpec, facts: VersionFacts, *, environment: str | None
) -> bool:
    """Whether a policy is enabled and its scope covers this version and environment."""
    if policy.enforcement == DISABLED:
        return False
    if policy.risk_tiers and facts.risk_tier not in policy.risk_tiers:
        return False
    if policy.model_kinds and facts.model_kind not in policy.model_kinds:
        return False
    if policy.environments and (
        environment is None or environment not in policy.environments
    ):
        return False
    return not policy.tags or not policy.tags.isdisjoint(facts.tags)


_by_name = operator.attrgetter("name")
# What decides a policy's scope: risk tier, model kind, tags and environment.
_ScopeKey = tuple[str, str, frozenset[str], str | None]
# The NamedTuple constructor is a Python-level wrapper around this.
_new_result = tuple.__new__


class PolicySet:
    """Policies prepared once for many evaluations: the enabled ones, by name."""

    def __init__(self, policies: Iterable[PolicySpec]) -> None:
        enabled = (p for p in policies if p.enforcement != DISABLED)
        self.policies: tuple[PolicySpec, ...] = tuple(sorted(enabled, key=_by_name))
        # Scope depends only on these four values, and a portfolio has few
        # distinct combinations of them, so a simulation decides each once.
        self._applicable: dict[_ScopeKey, tuple[PolicySpec, ...]] = {}
        self._applicable_names: dict[_ScopeKey, tuple[str, ...]] = {}

    def applicable(
        self, facts: VersionFacts, *, environment: str | None
    ) -> tuple[PolicySpec, ...]:
        """The policies whose scope covers this version and environment, by name."""
        key = (facts.risk_tier, facts.model_kind, facts.tags, environment)
        found = self._applicable.get(key)
        if found is None:
            found = tuple(
                policy
                for policy in self.policies
                if policy_applies(policy, facts, environment=environment)
            )
            self._applicable[key] = found
        return found

    def applicable_names(
        self, facts: VersionFacts, *, environment: str | None
    ) -> tuple[str, ...]:
        """The names of `applicable`'s policies: the same tuple for versions
        and environments the same policies cover."""
        key = (facts.risk_tier, facts.model_kind, facts.tags, environment)
        names = self._applicable_names.get(key)
        if names is None:
            applicable = self.applicable(facts, environment=environment)
            names = tuple(policy.name for policy in applicable)
            self._applicable_names[key] = names
        return names


def evaluate(
    facts: VersionFacts,
    policies: PolicySet | Iterable[PolicySpec],
    *,
    environment: str | None,
    now: datetime,
    waivers: Sequence[WaiverSpec] = (),
) -> Verdict:
    """Evaluate a version in an environment; None evaluates the approval policies."""
    if not isinstance(policies, PolicySet):
        policies = PolicySet(policies)
    waived_rules = {
        (waiver.policy, waiver.rule_position)
        for waiver in waivers
        if waiver.is_active(now)
    }
    results: list[RuleResult] = []
    passed = True
    for policy in policies.applicable(facts, environment=environment):
        name = policy.name
        revision = policy.revision
        enforcement = policy.enforcement
        is_enforced = enforcement == ENFORCE
        for position, kind, params, evaluate_rule in policy.compiled_rules:
            rule_passed, detail = evaluate_rule(params, facts, environment, now)
            waived = False
            if not rule_passed:
                if waived_rules and (name, position) in waived_rules:
                    waived = True
                elif is_enforced:
                    passed = False
            results.append(
                _new_result(
                    RuleResult,
                    (
                        name,
                        revision,
                        position,
                        kind,
                        params,
                        rule_passed,
                        waived,
                        enforcement,
                        detail,
                    ),
                )
            )
    return Verdict(passed, tuple(results))
