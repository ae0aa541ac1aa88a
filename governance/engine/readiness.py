"""The 0-100 readiness score of a version, and its four parts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from governance.engine.constants import DRIFT_HEALTH, ENFORCE, MODEL_CARD_FIELDS
from governance.engine.evaluation import Verdict
from governance.engine.facts import VersionFacts
from governance.engine.rules import (
    MIN_APPROVALS,
    count_independent_approvals,
    is_filled,
    worst_drift_severity,
)

READINESS_WEIGHTS: Mapping[str, int] = {
    "rules": 40,
    "approvals": 20,
    "model_card": 15,
    "drift": 25,
}
# Where an enabled obligation framework applies to the model, its coverage
# (met 1, partly met 0.5, over the applicable obligations) takes this many
# points and the four parts above share the rest in their proportions.
OBLIGATIONS_WEIGHT = 20
OBLIGATIONS = "obligations"


def readiness_weights(*, with_obligations: bool) -> dict[str, float]:
    """The points each part is worth: READINESS_WEIGHTS, or, when obligation
    coverage counts, those scaled to make room for OBLIGATIONS_WEIGHT."""
    if not with_obligations:
        return dict(READINESS_WEIGHTS)
    scale = (100 - OBLIGATIONS_WEIGHT) / 100
    weights = {name: weight * scale for name, weight in READINESS_WEIGHTS.items()}
    weights[OBLIGATIONS] = OBLIGATIONS_WEIGHT
    return weights


@dataclass(frozen=True, slots=True)
class ReadinessBreakdown:
    """Each part's share (0-1), its points, and the rounded total.
    `obligations_share` is None where no enabled framework applies."""

    rules_share: float
    approvals_share: float
    card_share: float
    drift_health: float
    obligations_share: float | None = None

    def _shares(self) -> dict[str, float]:
        shares = {
            "rules": self.rules_share,
            "approvals": self.approvals_share,
            "model_card": self.card_share,
            "drift": self.drift_health,
        }
        if self.obligations_share is not None:
            shares[OBLIGATIONS] = self.obligations_share
        return shares

    @property
    def weights(self) -> dict[str, float]:
        """The points each part is worth here (`readiness_weights`)."""
        return readiness_weights(with_obligations=self.obligations_share is not None)

    @property
    def points(self) -> dict[str, float]:
        """Points per part, by the names of `weights`, one decimal."""
        weights = self.weights
        return {
            name: round(weights[name] * share, 1)
            for name, share in self._shares().items()
        }

    @property
    def score(self) -> float:
        """The 0-100 score, rounded to one decimal."""
        weights = self.weights
        total = sum(weights[name] * share for name, share in self._shares().items())
        return round(total, 1)

    def with_obligations(self, share: float | None) -> ReadinessBreakdown:
        """The same parts with obligation coverage counted (None: not)."""
        return replace(self, obligations_share=share)


def readiness_breakdown(
    *,
    verdict: Verdict,
    approvals_required: int,
    independent_approvals: int,
    model_card: Mapping[str, str],
    worst_open_drift: str | None,
    review_overdue: bool = False,
) -> ReadinessBreakdown:
    """The four parts of the readiness score (DESIGN §2). While the version's
    review is overdue its approvals part scores nothing: the approvals it
    lacks are late, not merely pending (docs/decisions.md)."""
    enforced = [r for r in verdict.results if r.enforcement == ENFORCE]
    if enforced:
        rules_share = sum(r.passed or r.waived for r in enforced) / len(enforced)
    else:
        rules_share = 1.0
    if review_overdue:
        approvals_share = 0.0
    elif approvals_required > 0:
        approvals_share = min(max(independent_approvals, 0) / approvals_required, 1.0)
    else:
        approvals_share = 1.0
    filled = sum(is_filled(model_card.get(name)) for name in MODEL_CARD_FIELDS)
    card_share = filled / len(MODEL_CARD_FIELDS)
    if worst_open_drift is None:
        drift_health = 1.0
    else:
        drift_health = DRIFT_HEALTH.get(worst_open_drift, 0.0)
    return ReadinessBreakdown(rules_share, approvals_share, card_share, drift_health)


def readiness_score(
    *,
    verdict: Verdict,
    approvals_required: int,
    independent_approvals: int,
    model_card: Mapping[str, str],
    worst_open_drift: str | None,
    review_overdue: bool = False,
) -> float:
    """A 0-100 readiness score: rules 40, approvals 20, model card 15, drift 25."""
    return readiness_breakdown(
        verdict=verdict,
        approvals_required=approvals_required,
        independent_approvals=independent_approvals,
        model_card=model_card,
        worst_open_drift=worst_open_drift,
        review_overdue=review_overdue,
    ).score


def approvals_required(verdict: Verdict) -> int:
    """The most approvals an enforced, unwaived `min_approvals` rule of the
    verdict asks for: a waived rule asks for none (docs/decisions.md)."""
    return max(
        (
            int(result.params.get("count", 0))
            for result in verdict.results
            if result.kind == MIN_APPROVALS
            and result.enforcement == ENFORCE
            and not result.waived
        ),
        default=0,
    )


def version_readiness(
    facts: VersionFacts, verdict: Verdict, *, review_overdue: bool = False
) -> ReadinessBreakdown:
    """The readiness of a version from its facts, its verdict and whether its
    review is past its deadline (`review_sla.review_clock`)."""
    return readiness_breakdown(
        verdict=verdict,
        approvals_required=approvals_required(verdict),
        independent_approvals=count_independent_approvals(
            facts.approver_ids, facts.creator_id, facts.submitter_id
        ),
        model_card=facts.model_card,
        worst_open_drift=worst_drift_severity(facts.open_drift),
        review_overdue=review_overdue,
    )
