"""The server's binning rules (DESIGN.md §5), written once for the client.

A drift feature sent as a summary must be binned the way mlgov bins raw
values, or the statistics computed from it answer a different question. The
rules, as `drift/stats/preparation.py` applies them to cleaned values (NaN,
null and ±inf dropped):

- at most 5 distinct values over both sides: the feature is categorical and
  each value a category, labelled as `category_label` says;
- more than 20 distinct reference values: equal-width bins from
  `numpy.histogram_bin_edges(concat(reference, current), bins="sturges")`,
  which depend only on the combined minimum, maximum and size
  (`sturges_edges`), a value counted in `[edge, next edge)` and the last
  bin closed;
- otherwise one bin per distinct value of either side (`value_edges`).

This module imports nothing from the server; tests/client checks that both
agree on many random inputs. Pure computation: NumPy arrays in and out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

NUMERIC = "numeric"
CATEGORICAL = "categorical"
CATEGORICAL_MAX_DISTINCT = 5
VALUE_BINS_MAX_DISTINCT = 20


def category_label(value: object) -> str | None:
    """The label a raw value counts under; None when the value is missing."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if not math.isfinite(number):
            return None
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def sturges_edges(low: float, high: float, size: int) -> np.ndarray:
    """`numpy.histogram_bin_edges(x, bins="sturges")` for float values x with
    this minimum, maximum and size, without the values."""
    first, last = float(low), float(high)
    if size == 0:
        first, last = 0.0, 1.0
    if first == last:
        first, last = first - 0.5, last + 0.5
    n_bins = 1
    if size:
        width = (float(high) - float(low)) / (np.log2(size) + 1.0)
        if width:
            n_bins = int(np.ceil((last - first) / width))
    return np.linspace(first, last, n_bins + 1, endpoint=True, dtype=np.float64)


def value_edges(distinct: np.ndarray) -> np.ndarray:
    """Edges with one bin per distinct value: each value opens its bin, and
    the last bin is open above (sent as null), so it holds the largest value."""
    return np.append(np.asarray(distinct, dtype=np.float64), math.inf)


@dataclass(frozen=True)
class NumericPlan:
    """How a numeric feature is summarised: as categories (`categories` is
    the sorted distinct values) or as a histogram on `edges`."""

    kind: str
    bins: str
    edges: np.ndarray | None = None
    categories: np.ndarray | None = None


def plan_numeric(
    *,
    reference_distinct: np.ndarray | None,
    union: Callable[[], np.ndarray],
    low: float,
    high: float,
    size: int,
) -> NumericPlan:
    """The server's choice of bins for a numeric feature.

    `reference_distinct` is the reference's sorted distinct values, or None
    when it has more than VALUE_BINS_MAX_DISTINCT; `union` gives the sorted
    distinct values of both sides (asked only when the reference has few);
    `low`, `high` and `size` describe both sides together."""
    if reference_distinct is None:
        edges = sturges_edges(low, high, size)
        return NumericPlan(NUMERIC, f"sturges:{edges.size - 1}", edges=edges)
    values = union()
    if values.size <= CATEGORICAL_MAX_DISTINCT:
        return NumericPlan(CATEGORICAL, f"categories:{values.size}", categories=values)
    return NumericPlan(NUMERIC, f"values:{values.size}", edges=value_edges(values))


def histogram_payload(edges: np.ndarray, counts: np.ndarray) -> dict[str, Any]:
    """One side as the API takes it: infinite outer edges become null."""
    return {
        "bin_edges": [edge if math.isfinite(edge) else None for edge in edges.tolist()],
        "counts": [int(count) for count in counts],
    }


def merge_labels(pairs: Any) -> tuple[dict[str, int], int]:
    """Counts per label from (value, count) pairs, and the missing count;
    values that share a label (1, 1.0 and "1") are one category."""
    counts: dict[str, int] = {}
    missing = 0
    for value, count in pairs:
        label = category_label(value)
        if label is None:
            missing += int(count)
        else:
            counts[label] = counts.get(label, 0) + int(count)
    return counts, missing
