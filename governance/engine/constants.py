"""Model card fields, enforcements, operators and drift severities, as the
engine sees them. The vocabularies are the apps' own (registry, drift and
governance `constants` modules, all pure); only the engine's numbers live here."""

from __future__ import annotations

from drift.constants import (
    SEVERITIES,
    SEVERITY_CRITICAL,
    SEVERITY_OK,
    SEVERITY_RANK,
    SEVERITY_WARNING,
)
from drift.quality.constants import (
    DEMOGRAPHIC_PARITY_DIFFERENCE,
    DISPARATE_IMPACT_RATIO,
    EQUAL_OPPORTUNITY_DIFFERENCE,
    FAIRNESS,
    PERFORMANCE,
    PERFORMANCE_METRICS,
)
from governance.constants import ADVISORY, DISABLED, ENFORCE, ENFORCEMENTS
from registry.constants import MODEL_CARD_FIELDS

__all__ = [
    "ADVISORY",
    "DISABLED",
    "DISPARATE_IMPACT_RATIO",
    "DRIFT_HEALTH",
    "DRIFT_SEVERITIES",
    "ENFORCE",
    "ENFORCEMENTS",
    "FAIRNESS",
    "FAIRNESS_RULE_METRICS",
    "MODEL_CARD_FIELDS",
    "OPERATORS",
    "PERFORMANCE",
    "PERFORMANCE_METRICS",
    "SEVERITY_LIMITS",
    "SEVERITY_OK",
    "SEVERITY_RANK",
    "UNKNOWN_SEVERITY_RANK",
]

OPERATORS: tuple[str, ...] = (">=", ">", "<=", "<")
DRIFT_SEVERITIES: tuple[str, ...] = SEVERITIES
# The limits a max_drift_severity rule may set: critical would let anything by.
SEVERITY_LIMITS: tuple[str, ...] = (SEVERITY_OK, SEVERITY_WARNING)

# A severity the engine does not know ranks above critical, so a new or
# misspelt severity can only block a version, never let one through.
UNKNOWN_SEVERITY_RANK = len(SEVERITIES)
# The drift part of the readiness score, by the worst open severity.
DRIFT_HEALTH = {SEVERITY_OK: 1.0, SEVERITY_WARNING: 0.5, SEVERITY_CRITICAL: 0.0}

# The fairness numbers a fairness_gap rule may bound: the gaps take a
# maximum, the disparate impact ratio a minimum.
FAIRNESS_RULE_METRICS: tuple[str, ...] = (
    DEMOGRAPHIC_PARITY_DIFFERENCE,
    EQUAL_OPPORTUNITY_DIFFERENCE,
    DISPARATE_IMPACT_RATIO,
)
