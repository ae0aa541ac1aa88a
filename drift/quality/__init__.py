"""Monitoring beyond drift: classifier performance and group fairness from
ground truth that arrived after the predictions.

Pure computation (NumPy and SciPy, no Django, no I/O): ``parse_performance``
and ``parse_fairness`` check a JSON payload (or raise ``QualityInputError``
naming the field), ``compute_performance`` and ``compute_fairness`` give every
metric. The definitions, and which values are a defined null, are in the
docstrings of ``performance`` and ``fairness``; tests/drift/test_quality_engine.py
holds them to scikit-learn."""

from drift.quality.fairness import (
    FairnessInput,
    FairnessResult,
    GroupResult,
    compute_fairness,
    parse_fairness,
)
from drift.quality.inputs import (
    Confusion,
    QualityInputError,
    QualityPayloadTooLargeError,
    ScoreBins,
)
from drift.quality.performance import (
    PerformanceInput,
    PerformanceResult,
    compute_performance,
    parse_performance,
)

__all__ = [
    "Confusion",
    "FairnessInput",
    "FairnessResult",
    "GroupResult",
    "PerformanceInput",
    "PerformanceResult",
    "QualityInputError",
    "QualityPayloadTooLargeError",
    "ScoreBins",
    "compute_fairness",
    "compute_performance",
    "parse_fairness",
    "parse_performance",
]
