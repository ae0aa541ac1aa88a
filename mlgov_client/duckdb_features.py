"""Drift payloads computed inside DuckDB, so a billion rows travel as kilobytes.

    import duckdb
    from mlgov_client.duckdb_features import relation_features
    reference = duckdb.read_parquet("s3://lake/churn/2026-10/*.parquet")
    current = duckdb.sql("SELECT * FROM 'lake/churn/2026-11/*.parquet'")
    features = relation_features(reference, current, columns=["age", "plan"])

The values never leave DuckDB: per side one aggregate (count, minimum,
maximum, approximate distinct count), then one grouped count per feature
for the histogram and PSI's bins together; PSI's bins are the reference's
deciles, from its order statistics at the deciles' ranks (`quantile_disc`,
exact).
The bins are the server's (`mlgov_client.binning`): the same edges, a value
counted in `[edge, next edge)` with the last bin closed, so the payload is
the one `mlgov_client.histograms` computes from the same values in memory.

Needs `pip install "mlgov[duckdb]"`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from mlgov_client.binning import (
    CATEGORICAL,
    NUMERIC,
    VALUE_BINS_MAX_DISTINCT,
    category_label,
    decile_edges,
    histogram_payload,
    merge_labels,
    plan_numeric,
    psi_bins_payload,
)
from mlgov_client.types import FeaturePayload

# HyperLogLog is close to exact at small counts; above this estimate a side
# surely has more than VALUE_BINS_MAX_DISTINCT distinct values, and below it
# they are counted exactly.
_SURELY_MANY_DISTINCT = 5 * VALUE_BINS_MAX_DISTINCT

_NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)


@dataclass(frozen=True)
class _Side:
    relation: duckdb.DuckDBPyRelation
    n: int
    low: float | None
    high: float | None
    approx_distinct: int


def relation_feature(
    name: str,
    reference: duckdb.DuckDBPyRelation,
    current: duckdb.DuckDBPyRelation,
    *,
    column: str | None = None,
    kind: str | None = None,
    method: str | None = None,
    threshold: float | None = None,
) -> FeaturePayload:
    """One feature's summary from a column (default: `name`) of two relations.

    `kind` defaults to numeric for integer, decimal and floating columns and
    to categorical for any other type."""
    column = column or name
    kind = kind or _infer_kind(reference, current, column)
    if kind not in (NUMERIC, CATEGORICAL):
        raise ValueError(f"kind must be numeric or categorical, not {kind!r}")
    if kind == CATEGORICAL:
        payload: FeaturePayload = {
            "name": name,
            "kind": CATEGORICAL,
            "reference": {"categories": _label_counts(reference, column)},
            "current": {"categories": _label_counts(current, column)},
        }
    else:
        payload = _numeric_payload(name, reference, current, column)
    if method is not None:
        payload["method"] = method
    if threshold is not None:
        payload["threshold"] = threshold
    return payload


def relation_features(
    reference: duckdb.DuckDBPyRelation,
    current: duckdb.DuckDBPyRelation,
    *,
    columns: Iterable[str] | None = None,
    kinds: Mapping[str, str] | None = None,
) -> list[FeaturePayload]:
    """A payload per column (by default every column both relations have)."""
    kinds = kinds or {}
    if columns is None:
        columns = [c for c in reference.columns if c in current.columns]
    return [
        relation_feature(column, reference, current, kind=kinds.get(column))
        for column in columns
    ]


def _numeric_payload(
    name: str,
    reference: duckdb.DuckDBPyRelation,
    current: duckdb.DuckDBPyRelation,
    column: str,
) -> Any:
    sides = [_numbers(relation, column) for relation in (reference, current)]
    reference_side, current_side = sides
    reference_counts = _few_value_counts(reference_side)
    present = [side for side in sides if side.n]
    plan = plan_numeric(
        reference_distinct=(
            None if reference_counts is None else np.array(sorted(reference_counts))
        ),
        union=lambda: np.union1d(
            np.array(sorted(reference_counts or {}), dtype=np.float64),
            np.array(sorted(_value_counts(current_side)), dtype=np.float64),
        ),
        low=min(
            (float(side.low) for side in present if side.low is not None), default=0.0
        ),
        high=max(
            (float(side.high) for side in present if side.high is not None),
            default=0.0,
        ),
        size=reference_side.n + current_side.n,
    )
    if plan.categories is not None:
        values = plan.categories.tolist()
        return {
            "name": name,
            "kind": CATEGORICAL,
            "reference": {
                "categories": _by_label(values, _value_counts(reference_side))
            },
            "current": {"categories": _by_label(values, _value_counts(current_side))},
        }
    assert plan.edges is not None  # a numeric plan always has edges
    inner = None
    if reference_side.n:  # PSI's bins: the reference's deciles
        inner = decile_edges(
            reference_side.n, lambda ranks: _order_statistics(reference_side, ranks)
        )
    payload: dict[str, Any] = {"name": name, "kind": NUMERIC}
    for key, side in (("reference", reference_side), ("current", current_side)):
        counts, psi_counts = _histogram(side, plan.edges, inner)
        payload[key] = histogram_payload(plan.edges, counts)
        if inner is not None:
            payload[key].update(psi_bins_payload(inner, psi_counts))
    return payload


def _order_statistics(side: _Side, ranks: np.ndarray) -> np.ndarray:
    """The side's values at these 0-based ranks of its sorted order, exactly.

    `quantile_disc(x, p)` reads the value at rank floor(n·p) (rounding up
    from ceil(n·p) - 1 would read the same): p = (rank + ½) / n is half a
    rank away from either edge, safe from rounding."""
    probabilities = ", ".join(
        _sql_float((rank + 0.5) / side.n) for rank in ranks.tolist()
    )
    ((values,),) = _query(
        side.relation,
        "mlgov_numbers",
        f"SELECT quantile_disc(x, [{probabilities}]) FROM mlgov_numbers",
    ).fetchall()
    return np.array(values, dtype=np.float64)


def _numbers(relation: duckdb.DuckDBPyRelation, column: str) -> _Side:
    """The side's finite values as `x`, with their count, range and an
    estimate of how many distinct values there are."""
    numbers = _query(
        relation,
        "mlgov_side",
        f"SELECT x FROM (SELECT CAST({_quoted(column)} AS DOUBLE) AS x "
        "FROM mlgov_side) WHERE isfinite(x)",
    )
    ((n, low, high, approx_distinct),) = _query(
        numbers,
        "mlgov_numbers",
        "SELECT count(*), min(x), max(x), approx_count_distinct(x) FROM mlgov_numbers",
    ).fetchall()
    return _Side(numbers, int(n), low, high, int(approx_distinct or 0))


def _few_value_counts(side: _Side) -> dict[float, int] | None:
    """Count per distinct value, or None when there are more than 20."""
    if side.approx_distinct > _SURELY_MANY_DISTINCT:
        return None
    counts = _value_counts(side, limit=VALUE_BINS_MAX_DISTINCT + 1)
    return None if len(counts) > VALUE_BINS_MAX_DISTINCT else counts


def _value_counts(side: _Side, limit: int | None = None) -> dict[float, int]:
    sql = "SELECT x, count(*) FROM mlgov_numbers GROUP BY x"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = _query(side.relation, "mlgov_numbers", sql).fetchall()
    return {float(value): int(count) for value, count in rows}


def _by_label(values: list[float], counts: dict[float, int]) -> dict[str, int]:
    return {str(category_label(value)): counts.get(value, 0) for value in values}


def _histogram(
    side: _Side, edges: np.ndarray, inner: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Counts per bin as `numpy.histogram` gives them for these edges, and in
    PSI's open-ended bins on the `inner` edges, from one grouped count: the
    histogram's bin is estimated by arithmetic, then moved by one where
    rounding put a value on the wrong side of an edge (NumPy does the same)."""
    n_bins = edges.size - 1
    counts = np.zeros(n_bins, dtype=np.int64)
    psi_inner = np.empty(0) if inner is None else inner
    psi_counts = np.zeros(psi_inner.size + 1, dtype=np.int64)
    if side.n == 0:
        return counts, psi_counts
    if not np.isfinite(edges[-1]):  # one bin per distinct value: count them
        positions = {value: index for index, value in enumerate(edges[:-1].tolist())}
        for value, count in _value_counts(side).items():
            counts[positions[value]] += count
            psi_counts[int(np.searchsorted(psi_inner, value, side="right"))] += count
        return counts, psi_counts
    first, last = float(edges[0]), float(edges[-1])
    scale = n_bins / (last - first)
    edge_list = "[" + ", ".join(_sql_float(edge) for edge in edges.tolist()) + "]"
    # PSI's bin: after the last inner edge at or below the value.
    psi_bin = " + ".join(
        ["0"]
        + [
            f"CASE WHEN x >= {_sql_float(edge)} THEN 1 ELSE 0 END"
            for edge in psi_inner.tolist()
        ]
    )
    rows = _query(
        side.relation,
        "mlgov_numbers",
        f"""
        SELECT bin, psi_bin, count(*) FROM (
            SELECT k
                - CASE WHEN x < e[k + 1] THEN 1 ELSE 0 END
                + CASE WHEN k < {n_bins - 1} AND x >= e[k + 2] THEN 1 ELSE 0 END
                AS bin,
                {psi_bin} AS psi_bin
            FROM (
                SELECT x, {edge_list}::DOUBLE[] AS e, least(greatest(
                    CAST(floor((x - {_sql_float(first)}) * {_sql_float(scale)})
                         AS BIGINT), 0), {n_bins - 1}) AS k
                FROM mlgov_numbers
            )
        ) GROUP BY bin, psi_bin
        """,
    ).fetchall()
    for index, psi_index, count in rows:
        counts[int(index)] += int(count)
        psi_counts[int(psi_index)] += int(count)
    return counts, psi_counts


def _label_counts(relation: duckdb.DuckDBPyRelation, column: str) -> dict[str, int]:
    rows = _query(
        relation,
        "mlgov_side",
        f"SELECT {_quoted(column)}, count(*) FROM mlgov_side GROUP BY 1",
    ).fetchall()
    counts, _missing = merge_labels(rows)
    return counts


def _infer_kind(
    reference: duckdb.DuckDBPyRelation, current: duckdb.DuckDBPyRelation, column: str
) -> str:
    types = [
        str(relation.types[relation.columns.index(column)]).upper()
        for relation in (reference, current)
    ]
    is_numeric = all(kind.startswith(_NUMERIC_TYPES) for kind in types)
    return NUMERIC if is_numeric else CATEGORICAL


def _query(
    relation: duckdb.DuckDBPyRelation, name: str, sql: str
) -> duckdb.DuckDBPyRelation:
    """`relation.query`: SQL over the relation, which it names `name`."""
    result = relation.query(name, sql)
    assert result is not None  # None only for statements that return no rows
    return result


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _sql_float(value: float) -> str:
    """A DOUBLE literal that reads back as exactly this float (an exponent
    makes DuckDB parse it as DOUBLE, not DECIMAL)."""
    text = repr(float(value))
    return f"({text if 'e' in text else text + 'e0'})"
