"""The 0-100 readiness score of a version."""

from __future__ import annotations

from collections.abc import Mapping

from governance.engine.constants import DRIFT_HEALTH, ENFORCE, MODEL_CARD_FIELDS
from governance.engine.evaluation import Verdict
from governance.engine.rules import is_filled


def readiness_score(
    *,
    verdict: Verdict,
    approvals_required: int,
    independent_approvals: int,
    model_card: Mapping[str, str],
    worst_open_drift: str | None,
) -> float:
    """A 0-100 readiness score: rules 40, approvals 20, model card 15, drift 25."""
    enforced = [r for r in verdict.results if r.enforcement == ENFORCE]
    if enforced:
        rules_share = sum(r.passed or r.waived for r in enforced) / len(enforced)
    else:
        rules_share = 1.0
    if approvals_required > 0:
        approvals_share = min(max(independent_approvals, 0) / approvals_required, 1.0)
    else:
        approvals_share = 1.0
    filled = sum(is_filled(model_card.get(name)) for name in MODEL_CARD_FIELDS)
    card_share = filled / len(MODEL_CARD_FIELDS)
    if worst_open_drift is None:
        drift_health = 1.0
    else:
        drift_health = DRIFT_HEALTH.get(worst_open_drift, 0.0)
    score = (
        40 * rules_share + 20 * approvals_share + 15 * card_share + 25 * drift_health
    )
    return round(score, 1)
