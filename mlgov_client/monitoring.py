"""Performance and fairness summaries from NumPy arrays and pandas columns:
a few numbers instead of millions of rows.

    from mlgov_client.monitoring import score_bins, group_counts
    mlgov.post_performance_report(
        model="churn", version=7, environment="production",
        window_start=start, window_end=end,
        score_bins=score_bins(df["label"], df["score"]),
    )
    mlgov.post_fairness_report(
        ..., attribute="sex",
        group_counts=group_counts(df["decision"], df["label"], df["sex"]),
    )

Labels and decisions are 0/1 (or booleans), scores probabilities in [0, 1].
A row with a missing label, decision, score or group is left out, as the
server refuses raw rows with one. Needs NumPy; pandas objects are read
through their `to_numpy`, so pandas itself is never imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlgov_client.binning import category_label
from mlgov_client.types import ConfusionCounts, ScoreBins

DEFAULT_EDGES: tuple[float, ...] = tuple(i / 10 for i in range(11))


def _array(values: Any) -> np.ndarray:
    to_numpy = getattr(values, "to_numpy", None)
    array = to_numpy() if callable(to_numpy) else values
    return np.asarray(array, dtype=object)


def _binary(values: np.ndarray, name: str) -> np.ndarray:
    out = np.zeros(values.size, dtype=bool)
    for index, value in enumerate(values):
        if value is True or value is False or value in (0, 1):
            out[index] = bool(value)
        else:
            raise ValueError(f"{name}[{index}] is {value!r}, not 0 or 1")
    return out


def _is_missing(value: object) -> bool:
    """None, NaN, or pandas' NA and NaT (known by name: pandas is not imported)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    return type(value).__name__ in ("NAType", "NaTType")


def _present(*columns: np.ndarray) -> np.ndarray:
    keep = np.ones(columns[0].size, dtype=bool)
    for column in columns:
        for index, value in enumerate(column):
            if _is_missing(value):
                keep[index] = False
    return keep


def _aligned(*columns: Any) -> list[np.ndarray]:
    arrays = [_array(column) for column in columns]
    if len({array.size for array in arrays}) != 1:
        raise ValueError("the columns have different lengths")
    keep = _present(*arrays)
    return [array[keep] for array in arrays]


def confusion_matrix(labels: Any, predictions: Any) -> ConfusionCounts:
    """{tp, fp, tn, fn} of 0/1 decisions against the ground truth."""
    label_values, decision_values = _aligned(labels, predictions)
    truth = _binary(label_values, "labels")
    decided = _binary(decision_values, "predictions")
    return {
        "tp": int(np.sum(decided & truth)),
        "fp": int(np.sum(decided & ~truth)),
        "tn": int(np.sum(~decided & ~truth)),
        "fn": int(np.sum(~decided & truth)),
    }


def score_bins(
    labels: Any, scores: Any, *, edges: Sequence[float] = DEFAULT_EDGES
) -> ScoreBins:
    """Per score bin [edges[i], edges[i+1]) (the last bin closed) the
    positive and negative counts. With the default tenths, the server's
    decisions at a threshold that is an edge (0.5) match raw scores'."""
    label_values, score_values = _aligned(labels, scores)
    truth = _binary(label_values, "labels")
    numbers = score_values.astype(float)
    bounds = np.asarray(edges, dtype=float)
    if bounds.size < 2 or np.any(np.diff(bounds) <= 0):
        raise ValueError("edges must be at least two, strictly ascending")
    if numbers.size and (numbers.min() < bounds[0] or numbers.max() > bounds[-1]):
        raise ValueError("a score lies outside the edges")
    ids = np.searchsorted(bounds[1:-1], numbers, side="right")
    bins = bounds.size - 1
    return {
        "bin_edges": [float(edge) for edge in bounds],
        "positives": np.bincount(ids[truth], minlength=bins).tolist(),
        "negatives": np.bincount(ids[~truth], minlength=bins).tolist(),
    }


def group_counts(
    predictions: Any, labels: Any, groups: Any
) -> dict[str, ConfusionCounts]:
    """Per group (labelled as the server labels them: strings as given,
    numbers in their shortest form) {tp, fp, tn, fn}."""
    decision_values, label_values, group_values = _aligned(predictions, labels, groups)
    decided = _binary(decision_values, "predictions")
    truth = _binary(label_values, "labels")
    names = np.array([category_label(value) for value in group_values], dtype=object)
    counts: dict[str, ConfusionCounts] = {}
    for name in sorted({name for name in names if name is not None}):
        mask = names == name
        counts[name] = {
            "tp": int(np.sum(decided[mask] & truth[mask])),
            "fp": int(np.sum(decided[mask] & ~truth[mask])),
            "tn": int(np.sum(~decided[mask] & ~truth[mask])),
            "fn": int(np.sum(~decided[mask] & truth[mask])),
        }
    return counts
