"""Stored policy values: RuleSpec, PolicySpec and WaiverSpec."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from governance.engine.constants import ENFORCEMENTS
from governance.engine.validation import CompiledRule, compile_rule


@dataclass(frozen=True)
class RuleSpec:
    """One rule of a policy as stored: its position, kind and parameters."""

    position: int
    kind: str
    params: Mapping[str, Any]

    @cached_property
    def compiled(self) -> CompiledRule:
        """This rule validated once, on first use."""
        return compile_rule(position=self.position, kind=self.kind, params=self.params)


@dataclass(frozen=True)
class PolicySpec:
    """A policy revision: enforcement, scope (empty means all) and its rules."""

    name: str
    revision: int
    enforcement: str
    risk_tiers: frozenset[str]
    environments: frozenset[str]
    tags: frozenset[str]
    model_kinds: frozenset[str]
    rules: tuple[RuleSpec, ...]

    def __post_init__(self) -> None:
        if self.enforcement not in ENFORCEMENTS:
            raise ValueError(
                f"Unknown enforcement {self.enforcement!r}; "
                f"use one of {', '.join(ENFORCEMENTS)}."
            )

    @cached_property
    def compiled_rules(self) -> tuple[CompiledRule, ...]:
        """The rules in position order, each compiled once."""
        ordered = sorted(self.rules, key=operator.attrgetter("position"))
        return tuple(rule.compiled for rule in ordered)


@dataclass(frozen=True)
class WaiverSpec:
    """A time-bound exception to one rule of one policy for one version."""

    policy: str
    rule_position: int
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        """Whether the waiver applies at `now`: before expiry and not revoked."""
        if now >= self.expires_at:
            return False
        return self.revoked_at is None or now < self.revoked_at
