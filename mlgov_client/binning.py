"""mlgov's binning rules for drift (DESIGN.md §5), written once.

The server's drift engine (`drift/stats/preparation.py`) and the client's
histogram helpers (NumPy, DuckDB, Spark) all call this module, so a summary
the client sends is binned the way the server bins raw values. The rules,
for cleaned values (NaN, null and ±inf dropped):

- at most 5 distinct values over both sides: the feature is categorical and
  each value a category, labelled as `category_label` says;
- more than 20 distinct reference values: equal-width bins from
  `numpy.histogram_bin_edges(concat(reference, current), bins="sturges")`,
  which depend only on the combined minimum, maximum and size
  (`sturges_edges`), a value counted in `[edge, next edge)` and the last
  bin closed;
- otherwise one bin per distinct value of either side (`value_edges`);
- PSI's bins: the reference's deciles (`numpy.quantile`, linear), open at
  both ends, a value counted in `[edge, next edge)` (`decile_edges`, which
  needs only a few order statistics of the reference, so an engine that
  cannot sort its data in memory computes the same edges).

Pure computation, NumPy arrays in and out; it imports nothing from the
server (the server imports it).
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


def histogram_sorted(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``numpy.histogram(values, edges)`` for sorted values: counts in
    `[edge, next edge)`, the last bin closed."""
    below = np.searchsorted(sorted_values, edges, side="left")
    below[-1] = np.searchsorted(sorted_values, edges[-1], side="right")
    return np.diff(below)


DECILES = np.arange(1, 10) / 10


@dataclass(frozen=True)
class DecilePositions:
    """Where `numpy.quantile(values, DECILES)` (method "linear") reads a
    sorted sample of `size` values: between the order statistics at `lower`
    and `upper` (0-based ranks), a share `weight` of the way."""

    lower: np.ndarray
    upper: np.ndarray
    weight: np.ndarray

    @property
    def ranks(self) -> np.ndarray:
        """The distinct ranks whose values the deciles need, ascending."""
        return np.unique(np.concatenate((self.lower, self.upper)))


def decile_positions(size: int) -> DecilePositions:
    """NumPy's virtual indexes for the deciles of `size` values (size ≥ 1)."""
    virtual = (size - 1) * DECILES
    lower = np.floor(virtual)
    weight = virtual - lower
    lower_ranks = lower.astype(np.int64)
    upper_ranks = lower_ranks + 1
    at_top = virtual >= size - 1
    lower_ranks[at_top] = upper_ranks[at_top] = size - 1
    return DecilePositions(lower_ranks, upper_ranks, weight)


def decile_edges(
    size: int, order_statistics: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """PSI's inner edges: `unique(numpy.quantile(reference, DECILES))`.

    `order_statistics(ranks)` gives the reference's values at these 0-based
    ranks of its sorted order (for a sorted array, `values[ranks]`). The
    interpolation is NumPy's own float arithmetic, so the edges are the same
    bits as `numpy.quantile` gives."""
    positions = decile_positions(size)
    ranks = positions.ranks
    values = np.asarray(order_statistics(ranks), dtype=np.float64)
    lower = values[np.searchsorted(ranks, positions.lower)]
    upper = values[np.searchsorted(ranks, positions.upper)]
    step = upper - lower
    weight = positions.weight
    edges = np.where(weight >= 0.5, upper - step * (1 - weight), lower + step * weight)
    return np.unique(edges)


def counts_between(sorted_values: np.ndarray, inner_edges: np.ndarray) -> np.ndarray:
    """Counts per open-ended bin, a value going to bin
    `searchsorted(inner_edges, value, side="right")`."""
    below = np.searchsorted(sorted_values, inner_edges, side="left")
    return np.diff(np.concatenate(([0], below, [sorted_values.size])))


def psi_bins_payload(inner_edges: np.ndarray, counts: np.ndarray) -> dict[str, Any]:
    """PSI's bins for one side of a numeric summary: the reference's deciles,
    open at both ends (null), and this side's counts in them."""
    return {
        "psi_bin_edges": [None, *inner_edges.tolist(), None],
        "psi_counts": [int(count) for count in counts],
    }
