"""Model card fields, enforcements, operators and drift severities."""

from __future__ import annotations

MODEL_CARD_FIELDS: tuple[str, ...] = (
    "intended_use",
    "limitations",
    "training_data",
    "evaluation_data",
    "ethical_considerations",
    "caveats",
)
ENFORCEMENTS: tuple[str, ...] = ("enforce", "advisory", "disabled")
OPERATORS: tuple[str, ...] = (">=", ">", "<=", "<")
DRIFT_SEVERITIES: tuple[str, ...] = ("ok", "warning", "critical")

_SEVERITY_RANK = {"ok": 0, "warning": 1, "critical": 2}
# A severity the engine does not know ranks above critical, so a new or
# misspelt severity can only block a version, never let one through.
_UNKNOWN_SEVERITY_RANK = 3
_DRIFT_HEALTH = {"ok": 1.0, "warning": 0.5, "critical": 0.0}
