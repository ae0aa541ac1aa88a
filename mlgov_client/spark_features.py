"""Drift payloads computed by Spark, so a billion rows travel as kilobytes.

    from pyspark.sql import SparkSession
    from mlgov_client.spark_features import spark_features
    spark = SparkSession.builder.getOrCreate()
    reference = spark.read.parquet("s3a://lake/churn/2026-10/")
    current = spark.read.parquet("s3a://lake/churn/2026-11/")
    features = spark_features(reference, current, columns=["age", "plan"])

The rows never leave Spark: only aggregates come back. Per side, one
aggregate over every numeric column (count, minimum, maximum, approximate
distinct count); for the reference one more for PSI's deciles
(`percentile_approx`, then the exact order statistics from the values in a
narrow bracket around each); then one grouped count per feature and side
for the histogram and PSI's bins together, and one per categorical feature.
The bins are the server's (`mlgov_client.binning`), counted exactly, so the
payload is the one `mlgov_client.histograms` computes from the same values
in memory and `mlgov_client.duckdb_features` computes in DuckDB.

Needs `pip install "mlgov[spark]"` (pyspark 4) and Java 17 or newer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from mlgov_client.binning import (
    CATEGORICAL,
    NUMERIC,
    VALUE_BINS_MAX_DISTINCT,
    category_label,
    decile_edges,
    decile_positions,
    histogram_payload,
    merge_labels,
    plan_numeric,
    psi_bins_payload,
)
from mlgov_client.types import FeaturePayload

# HyperLogLog is close to exact at small counts; above this estimate a side
# surely has more than VALUE_BINS_MAX_DISTINCT distinct values, and below it
# they are counted exactly (as in duckdb_features).
_SURELY_MANY_DISTINCT = 5 * VALUE_BINS_MAX_DISTINCT
# percentile_approx's rank error is at most n / accuracy; the brackets around
# each decile's ranks are that wide and a little more.
_QUANTILE_ACCURACY = 10_000
_BRACKET_ATTEMPTS = 4
# Around each decile k/10, the probabilities k/10 ∓ two rank errors: brackets
# that hold the decile's ranks when the side has 20,000 values or more.
_DECILE_BRACKETS = np.clip(
    np.repeat(np.arange(1, 10) / 10, 2) + np.tile([-2, 2], 9) / _QUANTILE_ACCURACY,
    0.0,
    1.0,
)

_NUMERIC_TYPES = (
    T.ByteType,
    T.ShortType,
    T.IntegerType,
    T.LongType,
    T.FloatType,
    T.DoubleType,
    T.DecimalType,
)


@dataclass(frozen=True)
class _Side:
    """One side's finite values of a column, as `x` in `frame`."""

    frame: DataFrame
    n: int
    low: float | None
    high: float | None
    approx_distinct: int
    around_deciles: list[tuple[float, float]] | None = None


def spark_feature(
    name: str,
    reference: DataFrame,
    current: DataFrame,
    *,
    column: str | None = None,
    kind: str | None = None,
    method: str | None = None,
    threshold: float | None = None,
) -> FeaturePayload:
    """One feature's summary from a column (default: `name`) of two frames."""
    (payload,) = spark_features(
        reference,
        current,
        columns=[column or name],
        kinds={column or name: kind} if kind else None,
    )
    payload["name"] = name
    if method is not None:
        payload["method"] = method
    if threshold is not None:
        payload["threshold"] = threshold
    return payload


def spark_features(
    reference: DataFrame,
    current: DataFrame,
    *,
    columns: Iterable[str] | None = None,
    kinds: Mapping[str, str] | None = None,
) -> list[FeaturePayload]:
    """A payload per column (by default every column both frames have).

    `kinds` defaults to numeric for integer, decimal and floating columns and
    to categorical for any other type (text, booleans, dates)."""
    kinds = dict(kinds or {})
    if columns is None:
        columns = [c for c in reference.columns if c in current.columns]
    columns = list(columns)
    for column in columns:
        kinds.setdefault(column, _infer_kind(reference, current, column))
        if kinds[column] not in (NUMERIC, CATEGORICAL):
            raise ValueError(
                f"kind must be numeric or categorical, not {kinds[column]!r}"
            )
    numeric = [column for column in columns if kinds[column] == NUMERIC]
    reference_sides = _numbers(reference, numeric, with_deciles=True)
    current_sides = _numbers(current, numeric)
    payloads: list[FeaturePayload] = []
    for column in columns:
        if kinds[column] == CATEGORICAL:
            payloads.append(
                {
                    "name": column,
                    "kind": CATEGORICAL,
                    "reference": {"categories": _label_counts(reference, column)},
                    "current": {"categories": _label_counts(current, column)},
                }
            )
        else:
            payloads.append(
                _numeric_payload(
                    column,
                    reference_sides[column],
                    current_sides[column],
                    _decile_edges_of(reference_sides[column]),
                )
            )
    return payloads


def _numeric_payload(
    name: str, reference: _Side, current: _Side, inner: np.ndarray | None
) -> Any:
    reference_counts = _few_value_counts(reference)
    present = [side for side in (reference, current) if side.n]
    plan = plan_numeric(
        reference_distinct=(
            None if reference_counts is None else np.array(sorted(reference_counts))
        ),
        union=lambda: np.union1d(
            np.array(sorted(reference_counts or {}), dtype=np.float64),
            np.array(sorted(_value_counts(current)), dtype=np.float64),
        ),
        low=min((float(s.low) for s in present if s.low is not None), default=0.0),
        high=max((float(s.high) for s in present if s.high is not None), default=0.0),
        size=reference.n + current.n,
    )
    if plan.categories is not None:
        values = plan.categories.tolist()
        return {
            "name": name,
            "kind": CATEGORICAL,
            "reference": {"categories": _by_label(values, _value_counts(reference))},
            "current": {"categories": _by_label(values, _value_counts(current))},
        }
    assert plan.edges is not None  # a numeric plan always has edges
    payload: dict[str, Any] = {"name": name, "kind": NUMERIC}
    for key, side in (("reference", reference), ("current", current)):
        counts, psi_counts = _bin_counts(side, plan.edges, inner)
        payload[key] = histogram_payload(plan.edges, counts)
        if inner is not None:
            payload[key].update(psi_bins_payload(inner, psi_counts))
    return payload


def _finite(column: str) -> Column:
    """The column as a double, null where it is missing, NaN or infinite."""
    x = F.col(_quoted(column)).cast("double")
    return F.when(~F.isnan(x) & (F.abs(x) != math.inf), x)


def _numbers(
    frame: DataFrame, columns: list[str], *, with_deciles: bool = False
) -> dict[str, _Side]:
    """Count, range and distinct estimate of each column's finite values, in
    one aggregate over the frame; `with_deciles` adds values around each
    decile (`percentile_approx`), where PSI's edges will be pinned down."""
    if not columns:
        return {}
    aggregates = []
    for index, column in enumerate(columns):
        x = _finite(column)
        aggregates += [
            F.count(x).alias(f"n{index}"),
            F.min(x).alias(f"low{index}"),
            F.max(x).alias(f"high{index}"),
            F.approx_count_distinct(x).alias(f"distinct{index}"),
        ]
        if with_deciles:
            aggregates.append(
                F.percentile_approx(
                    x, _DECILE_BRACKETS.tolist(), _QUANTILE_ACCURACY
                ).alias(f"around{index}")
            )
    (row,) = frame.agg(*aggregates).collect()
    return {
        column: _Side(
            frame.select(_finite(column).alias("x")).where(F.col("x").isNotNull()),
            int(row[f"n{index}"]),
            row[f"low{index}"],
            row[f"high{index}"],
            int(row[f"distinct{index}"] or 0),
            _pairs(row[f"around{index}"]) if with_deciles else None,
        )
        for index, column in enumerate(columns)
    }


def _decile_edges_of(side: _Side) -> np.ndarray | None:
    """PSI's inner edges: the side's exact deciles, as `numpy.quantile` gives
    them; None for a side with no values."""
    if side.n == 0:
        return None
    positions = decile_positions(side.n)
    ranks = positions.ranks
    brackets = None
    if side.around_deciles is not None:
        # Both ranks a decile interpolates between lie in that decile's bracket.
        by_rank: dict[int, tuple[float, float]] = {}
        for decile, pair in enumerate(side.around_deciles):
            by_rank.setdefault(int(positions.lower[decile]), pair)
            by_rank.setdefault(int(positions.upper[decile]), pair)
        brackets = [by_rank[rank] for rank in ranks.tolist()]
    values = _order_statistics(side, ranks, brackets)
    return decile_edges(side.n, lambda wanted: values[np.searchsorted(ranks, wanted)])


def _order_statistics(
    side: _Side, ranks: np.ndarray, brackets: list[tuple[float, float]] | None
) -> np.ndarray:
    """The side's values at these 0-based ranks of its sorted order, exactly.

    percentile_approx gives, for each rank, a value a little below it and one
    a little above (its rank error is bounded); the values between are few,
    and one grouped count gives them with how many values lie below, which
    pins each rank. `brackets` (one per rank, from the first aggregate) are
    around the deciles; where one misses its rank (a side too small for
    them) they are asked again around the ranks themselves, wider each time."""
    margin = 2
    for _attempt in range(_BRACKET_ATTEMPTS):
        if brackets is not None:
            below, counts = _bracket_counts(side, brackets)
            answer = _pin_ranks(ranks, brackets, below, counts)
            if answer is not None:
                return answer
        brackets = _brackets(side, ranks, margin)
        margin *= 8
    raise RuntimeError(
        "the deciles could not be pinned down: percentile_approx answered "
        "outside its error bound"
    )


def _pairs(values: list[float]) -> list[tuple[float, float]]:
    numbers = [float(value) for value in values]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def _brackets(side: _Side, ranks: np.ndarray, margin: int) -> list[tuple[float, float]]:
    """For each rank, values surely at or below it and at or above it (by
    percentile_approx's bound)."""
    n = side.n
    width = math.ceil(n / _QUANTILE_ACCURACY) + margin
    probabilities = []
    for rank in ranks.tolist():
        probabilities += [
            max(0.0, (rank - width) / n),
            min(1.0, (rank + 1 + width) / n),
        ]
    (row,) = side.frame.agg(
        F.percentile_approx("x", probabilities, _QUANTILE_ACCURACY).alias("q")
    ).collect()
    return _pairs(row["q"])


def _bracket_counts(
    side: _Side, brackets: list[tuple[float, float]]
) -> tuple[list[int], dict[float, int]]:
    """How many values lie below each bracket, and the count per distinct
    value inside any bracket, from one grouped count: rows are grouped by
    how many bracket lower ends are at or below them, and by their value
    when it is inside a bracket."""
    x = F.col("x")
    inside = None
    for low, high in brackets:
        condition = (x >= F.lit(low)) & (x <= F.lit(high))
        inside = condition if inside is None else inside | condition
    lows = np.array([low for low, _high in brackets])
    rows = (
        side.frame.select(
            _edges_at_or_below(x, lows).alias("segment"),
            F.when(inside, x).alias("value"),
        )
        .groupBy("segment", "value")
        .count()
        .collect()
    )
    below = [0] * len(brackets)
    counts: dict[float, int] = {}
    for segment, value, count in rows:
        # x < low k exactly when fewer than k + 1 lower ends are at or below x
        # (the lower ends ascend with the ranks).
        for position in range(int(segment), len(brackets)):
            below[position] += int(count)
        if value is not None:
            counts[float(value)] = counts.get(float(value), 0) + int(count)
    return below, counts


def _pin_ranks(
    ranks: np.ndarray,
    brackets: list[tuple[float, float]],
    below: list[int],
    counts: Mapping[float, int],
) -> np.ndarray | None:
    """The value at each rank (rank i in bracket i), or None when a bracket
    does not hold its rank."""
    values = np.array(sorted(counts), dtype=np.float64)
    tallies = np.array([counts[value] for value in values.tolist()], dtype=np.int64)
    answers = []
    for rank, (low, high), n_below in zip(ranks.tolist(), brackets, below, strict=True):
        first = int(np.searchsorted(values, low, side="left"))
        last = int(np.searchsorted(values, high, side="right"))
        cumulative = n_below + np.cumsum(tallies[first:last])
        position = int(np.searchsorted(cumulative, rank, side="right"))
        if n_below > rank or position >= cumulative.size:
            return None
        answers.append(values[first + position])
    return np.array(answers, dtype=np.float64)


def _bin_counts(
    side: _Side, edges: np.ndarray, inner: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Counts on the histogram's edges (`[edge, next edge)`, last bin closed)
    and in PSI's open-ended bins, from one grouped count."""
    n_bins = edges.size - 1
    counts = np.zeros(n_bins, dtype=np.int64)
    psi_counts = np.zeros(0 if inner is None else inner.size + 1, dtype=np.int64)
    if side.n == 0:
        return counts, psi_counts
    x = F.col("x")
    # Every value lies within the outer edges, so its bin is the number of
    # inner edges at or below it: the last bin holds the top edge too.
    histogram_bin = _edges_at_or_below(x, edges[1:-1])
    psi_bin = _edges_at_or_below(x, np.empty(0) if inner is None else inner)
    rows = (
        side.frame.select(histogram_bin.alias("h"), psi_bin.alias("p"))
        .groupBy("h", "p")
        .count()
        .collect()
    )
    for histogram_index, psi_index, count in rows:
        counts[int(histogram_index)] += int(count)
        if inner is not None:
            psi_counts[int(psi_index)] += int(count)
    return counts, psi_counts


def _edges_at_or_below(x: Column, edges: np.ndarray) -> Column:
    total: Column = F.lit(0)
    for edge in edges.tolist():
        total = total + F.when(x >= F.lit(float(edge)), 1).otherwise(0)
    return total


def _few_value_counts(side: _Side) -> dict[float, int] | None:
    """Count per distinct value, or None when there are more than 20."""
    if side.approx_distinct > _SURELY_MANY_DISTINCT:
        return None
    counts = _value_counts(side, limit=VALUE_BINS_MAX_DISTINCT + 1)
    return None if len(counts) > VALUE_BINS_MAX_DISTINCT else counts


def _value_counts(side: _Side, limit: int | None = None) -> dict[float, int]:
    grouped = side.frame.groupBy("x").count()
    if limit is not None:
        grouped = grouped.limit(limit)
    return {float(value): int(count) for value, count in grouped.collect()}


def _by_label(values: list[float], counts: dict[float, int]) -> dict[str, int]:
    return {str(category_label(value)): counts.get(value, 0) for value in values}


def _label_counts(frame: DataFrame, column: str) -> dict[str, int]:
    rows = frame.groupBy(F.col(_quoted(column))).count().collect()
    counts, _missing = merge_labels((row[0], row[1]) for row in rows)
    return counts


def _infer_kind(reference: DataFrame, current: DataFrame, column: str) -> str:
    types = [frame.schema[column].dataType for frame in (reference, current)]
    is_numeric = all(isinstance(kind, _NUMERIC_TYPES) for kind in types)
    return NUMERIC if is_numeric else CATEGORICAL


def _quoted(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"
