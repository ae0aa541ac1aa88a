"""Drift payloads from NumPy arrays and pandas columns, binned as mlgov bins.

    from mlgov_client.histograms import dataframe_features
    features = dataframe_features(reference_df, current_df)
    mlgov.post_drift_report(..., features=features)

Each feature travels as `bin_edges` with `counts` (numeric, with PSI's bins,
the reference's deciles, as `psi_bin_edges` with `psi_counts`) or `categories`
(categorical, and numeric features with at most 5 distinct values, which
the server treats as categorical too), on the bins mlgov would have chosen
for the raw values (`mlgov_client.binning`). Missing values (null, NaN,
±inf) are left out, as the server leaves them out of raw values.

Needs NumPy; pandas objects are read through their `to_numpy`, so pandas
itself is never imported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from mlgov_client.binning import (
    CATEGORICAL,
    NUMERIC,
    VALUE_BINS_MAX_DISTINCT,
    category_label,
    counts_between,
    decile_edges,
    histogram_payload,
    histogram_sorted,
    merge_labels,
    plan_numeric,
    psi_bins_payload,
)
from mlgov_client.types import FeaturePayload


def feature_payload(
    name: str,
    reference: Any,
    current: Any,
    *,
    kind: str | None = None,
    method: str | None = None,
    threshold: float | None = None,
) -> FeaturePayload:
    """One feature's summary from two columns (arrays, lists or Series).

    `kind` defaults to numeric for integer and floating columns and to
    categorical for anything else (text, booleans, objects)."""
    reference_values, current_values = _as_array(reference), _as_array(current)
    kind = kind or _infer_kind(reference_values, current_values)
    if kind not in (NUMERIC, CATEGORICAL):
        raise ValueError(f"kind must be numeric or categorical, not {kind!r}")
    if kind == CATEGORICAL:
        payload: FeaturePayload = {
            "name": name,
            "kind": CATEGORICAL,
            "reference": {"categories": _label_counts(reference_values)},
            "current": {"categories": _label_counts(current_values)},
        }
    else:
        payload = _numeric_payload(name, reference_values, current_values)
    if method is not None:
        payload["method"] = method
    if threshold is not None:
        payload["threshold"] = threshold
    return payload


def dataframe_features(
    reference: Any,
    current: Any,
    *,
    columns: Iterable[str] | None = None,
    kinds: Mapping[str, str] | None = None,
) -> list[FeaturePayload]:
    """A payload per column (by default every column both frames have)."""
    kinds = kinds or {}
    if columns is None:
        columns = [column for column in reference.columns if column in current.columns]
    return [
        feature_payload(
            str(column), reference[column], current[column], kind=kinds.get(column)
        )
        for column in columns
    ]


def _numeric_payload(name: str, reference: np.ndarray, current: np.ndarray) -> Any:
    reference, current = _sorted_finite(reference), _sorted_finite(current)
    both = [side for side in (reference, current) if side.size]
    reference_distinct = _distinct_sorted(reference)
    plan = plan_numeric(
        reference_distinct=(
            reference_distinct
            if reference_distinct.size <= VALUE_BINS_MAX_DISTINCT
            else None
        ),
        union=lambda: np.union1d(reference_distinct, _distinct_sorted(current)),
        low=min((side[0] for side in both), default=0.0),
        high=max((side[-1] for side in both), default=0.0),
        size=reference.size + current.size,
    )
    if plan.categories is not None:
        labels = [category_label(value) for value in plan.categories.tolist()]
        return {
            "name": name,
            "kind": CATEGORICAL,
            "reference": {
                "categories": _counts_by_label(labels, reference, plan.categories)
            },
            "current": {
                "categories": _counts_by_label(labels, current, plan.categories)
            },
        }
    assert plan.edges is not None  # a numeric plan always has edges
    sides = {
        "reference": histogram_payload(
            plan.edges, histogram_sorted(reference, plan.edges)
        ),
        "current": histogram_payload(plan.edges, histogram_sorted(current, plan.edges)),
    }
    if reference.size:  # PSI's bins: the reference's deciles
        inner = decile_edges(reference.size, lambda ranks: reference[ranks])
        sides["reference"].update(
            psi_bins_payload(inner, counts_between(reference, inner))
        )
        sides["current"].update(psi_bins_payload(inner, counts_between(current, inner)))
    return {"name": name, "kind": NUMERIC, **sides}


def _counts_by_label(
    labels: list[str | None], sorted_values: np.ndarray, points: np.ndarray
) -> dict[str, int]:
    counts = np.searchsorted(sorted_values, points, side="right") - np.searchsorted(
        sorted_values, points, side="left"
    )
    return {str(label): int(count) for label, count in zip(labels, counts, strict=True)}


def _label_counts(values: np.ndarray) -> dict[str, int]:
    items = values.tolist()
    # Keyed by type too: True == 1 for a Counter, but they are different labels.
    pairs = Counter(zip(map(type, items), items, strict=True)).items()
    counts, _missing = merge_labels((value, count) for (_kind, value), count in pairs)
    return counts


def _as_array(values: Any) -> np.ndarray:
    dtype = getattr(values, "dtype", None)
    if hasattr(values, "to_numpy"):
        if getattr(dtype, "kind", "O") in "iuf":
            return np.asarray(values.to_numpy(dtype="float64", na_value=np.nan))
        return np.asarray(values.to_numpy(dtype=object, na_value=None))
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError("a column must be one-dimensional")
    return array


def _infer_kind(*sides: np.ndarray) -> str:
    return NUMERIC if all(side.dtype.kind in "iuf" for side in sides) else CATEGORICAL


def _sorted_finite(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind not in "iuf":
        raise ValueError("a numeric feature needs numbers (or NaN for missing)")
    numbers = values.astype(np.float64)
    numbers = numbers[np.isfinite(numbers)]
    numbers.sort()
    return numbers


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    distinct: np.ndarray = values[np.append(True, values[1:] != values[:-1])]
    return distinct
