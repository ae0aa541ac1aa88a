"""How exposed a model is: a 0-100 score from what it risks in production
now, and the one sentence that says why. Pure: no Django, no database, no
clock; the rows (command_center.portfolio) pass the facts in.

The weights live here and only here; docs/design.md ("Readiness and
exposure") states them and docs/decisions.md gives the reasons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from registry import constants as registry_vocabulary

# How much more a model's trouble weighs, by its risk tier.
TIER_WEIGHTS: Mapping[str, int] = {
    registry_vocabulary.RISK_CRITICAL: 4,
    registry_vocabulary.RISK_HIGH: 3,
    registry_vocabulary.RISK_MEDIUM: 2,
    registry_vocabulary.RISK_LOW: 1,
}
# Points per 100% of production traffic the model serves, trouble or not.
SERVING_POINTS = 10
# Points per failing enforced rule, counting at most FAILING_RULES_COUNTED.
FAILING_RULE_POINTS = 20
FAILING_RULES_COUNTED = 3
# Points for any open critical drift alert, and for a review past its deadline.
CRITICAL_DRIFT_POINTS = 25
OVERDUE_REVIEW_POINTS = 15
# Points per unmet obligation of an enabled framework (compliance), counting
# at most UNMET_OBLIGATIONS_COUNTED: a gap an examiner would ask about.
UNMET_OBLIGATION_POINTS = 5
UNMET_OBLIGATIONS_COUNTED = 4
# Trouble on a version serving all of production counts this many times over
# (failing rules by the share the failing versions serve; drift and a late
# review by the model's share): what serves reaches customers.
SERVING_REACH = 1.0

_MOST_POINTS = max(TIER_WEIGHTS.values()) * (
    SERVING_POINTS
    + (
        FAILING_RULE_POINTS * FAILING_RULES_COUNTED
        + CRITICAL_DRIFT_POINTS
        + OVERDUE_REVIEW_POINTS
        + UNMET_OBLIGATION_POINTS * UNMET_OBLIGATIONS_COUNTED
    )
    * (1 + SERVING_REACH)
)

RULES = "failing_rules"
DRIFT = "critical_drift"
REVIEW = "overdue_review"
OBLIGATIONS = "unmet_obligations"


class ExposureFacts(NamedTuple):
    """What the score reads about one model. Shares are percentages of the
    model's production traffic: `serving_share` what its versions serve,
    `failing_share` what the versions failing enforced rules serve (the
    canary's share when only the canary fails)."""

    risk_tier: str
    serving_share: int = 0
    failing_share: int = 0
    failing_rules: int = 0
    only_canary_fails: bool = False
    open_critical_alerts: int = 0
    overdue_review_version: int | None = None
    overdue_review_days: int = 0
    unmet_obligations: int = 0


class Exposure(NamedTuple):
    """A model's exposure score (0-100) and its top reason as a sentence."""

    score: float
    reason: str


def _parts(facts: ExposureFacts) -> tuple[float, float, float, float, float]:
    """The points of serving, failing rules, critical drift, a late review and
    unmet obligations."""
    serving = facts.serving_share / 100
    reach = 1 + SERVING_REACH * serving
    rules = min(facts.failing_rules, FAILING_RULES_COUNTED)
    return (
        SERVING_POINTS * serving,
        FAILING_RULE_POINTS * rules * (1 + SERVING_REACH * facts.failing_share / 100),
        CRITICAL_DRIFT_POINTS * reach if facts.open_critical_alerts else 0.0,
        OVERDUE_REVIEW_POINTS * reach
        if facts.overdue_review_version is not None
        else 0.0,
        UNMET_OBLIGATION_POINTS
        * min(facts.unmet_obligations, UNMET_OBLIGATIONS_COUNTED)
        * reach,
    )


def exposure_score(facts: ExposureFacts) -> float:
    """The 0-100 score alone: what the lists sort by."""
    points = sum(_parts(facts))
    return round(100 * TIER_WEIGHTS[facts.risk_tier] * points / _MOST_POINTS, 1)


def exposure(facts: ExposureFacts) -> Exposure:
    """The score and the sentence of its largest part."""
    _serving, *trouble = _parts(facts)
    largest = max(trouble)
    # Equal parts are named in this order: rules, drift, the review, obligations.
    top = (
        (RULES, DRIFT, REVIEW, OBLIGATIONS)[trouble.index(largest)] if largest else None
    )
    return Exposure(exposure_score(facts), _sentence(facts, top))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _trouble_phrase(facts: ExposureFacts, part: str) -> str:
    if part == RULES:
        rules = _plural(facts.failing_rules, "enforced rule")
        if facts.only_canary_fails:
            return f"its canary at {facts.failing_share}% fails {rules}"
        return f"fails {rules}"
    if part == DRIFT:
        return f"has {_plural(facts.open_critical_alerts, 'open critical drift alert')}"
    if part == OBLIGATIONS:
        return f"has {_plural(facts.unmet_obligations, 'unmet obligation')}"
    days = _plural(facts.overdue_review_days, "day")
    return f"has v{facts.overdue_review_version} in review {days} past its deadline"


def _sentence(facts: ExposureFacts, top: str | None) -> str:
    if facts.serving_share:
        serves = f"Serves {facts.serving_share}% of production"
        if top is None:
            return (
                f"{serves}; no failing rule, critical drift, overdue review "
                "or unmet obligation"
            )
        return f"{serves} and {_trouble_phrase(facts, top)}"
    if top is None:
        return "Serves no production traffic; nothing fails"
    phrase = _trouble_phrase(facts, top)
    if top == RULES:
        phrase += " for production"
    return f"{phrase[0].upper()}{phrase[1:]}; serves no production traffic"
