"""The client bins as the server does. Both call mlgov_client.binning (the
server's drift engine imports it: one writing of the rules), but each counts
on its own (NumPy in memory, SQL in DuckDB, Spark aggregations), so on many
random inputs the payload the client computes from raw values gives the
server the same kind and the same counts on the same bins as the raw values
themselves (so chi-square, Jensen-Shannon and PSI agree exactly), and the
DuckDB path gives the same payload as the in-memory path. The rules
themselves are checked against NumPy, which DESIGN.md §5 names."""

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from drift.stats import analyse_feature, analysis, parse_feature, parsing, preparation
from drift.stats.preparation import prepare
from mlgov_client import binning
from mlgov_client.binning import category_label, decile_edges, sturges_edges
from mlgov_client.duckdb_features import relation_feature, relation_features
from mlgov_client.histograms import dataframe_features, feature_payload


def random_sides(rng: np.random.Generator, shape: int) -> tuple[np.ndarray, ...]:
    n, m = int(rng.integers(1, 4000)), int(rng.integers(1, 4000))
    if shape == 0:  # continuous, shifted
        reference, current = rng.normal(0, 1, n), rng.normal(0.3, 1.4, m)
    elif shape == 1:  # few to a few dozen whole numbers
        reference = rng.integers(0, rng.integers(1, 30), n).astype(float)
        current = rng.integers(0, rng.integers(1, 30), m).astype(float)
    elif shape == 2:  # large, skewed, negative and positive
        reference = rng.exponential(5, n) * 1e6 - 3e6
        current = rng.exponential(6, m) * 1e6
    else:  # rounded: many ties
        reference = np.round(rng.normal(0, 3, n), 1)
        current = np.round(rng.normal(0.5, 3, m), 1)
    reference[rng.random(n) < 0.05] = np.nan
    current[rng.random(m) < 0.02] = np.inf
    return reference, current


def raw_feature(reference: np.ndarray, current: np.ndarray) -> dict:
    def values(side):
        return [None if not math.isfinite(x) else x for x in side.tolist()]

    return {
        "name": "f",
        "kind": "numeric",
        "reference": {"values": values(reference)},
        "current": {"values": values(current)},
    }


@pytest.mark.parametrize("seed", range(8))
def test_the_server_sees_the_same_bins_from_the_payload_as_from_raw_values(seed):
    rng = np.random.default_rng(seed)
    for case in range(40):
        reference, current = random_sides(rng, case % 4)

        from_raw = prepare(parse_feature(raw_feature(reference, current)))
        from_payload = prepare(parse_feature(feature_payload("f", reference, current)))

        assert from_payload.kind == from_raw.kind
        for bins in ("shared_counts", "psi_counts"):
            raw_bins = getattr(from_raw, bins)()
            payload_bins = getattr(from_payload, bins)()
            assert np.array_equal(payload_bins.reference, raw_bins.reference)
            assert np.array_equal(payload_bins.current, raw_bins.current)
        assert from_payload.n_reference == from_raw.n_reference
        assert from_payload.n_current == from_raw.n_current


@pytest.mark.parametrize("seed", range(4))
def test_jensen_shannon_and_chi_square_agree_exactly(seed):
    rng = np.random.default_rng(100 + seed)
    for case in range(20):
        reference, current = random_sides(rng, case % 4)
        for method in ("jensenshannon", "chisquare", "psi"):
            raw = {**raw_feature(reference, current), "method": method}
            payload = {**feature_payload("f", reference, current), "method": method}

            expected = analyse_feature(parse_feature(raw))
            actual = analyse_feature(parse_feature(payload))

            assert actual.statistic == pytest.approx(expected.statistic, abs=1e-12)
            assert actual.drifted == expected.drifted


def test_sturges_edges_are_numpys_for_any_range_and_size():
    rng = np.random.default_rng(7)
    compared = 0
    for _ in range(2000):
        size = int(rng.integers(1, 100_000))
        low = float(rng.normal(0, 10.0 ** rng.integers(-3, 9)))
        high = low + float(rng.exponential(10.0 ** rng.integers(-6, 9)))
        values = np.full(size, low)
        values[-1] = high

        try:
            expected = np.histogram_bin_edges(values, bins="sturges")
        except ValueError:  # a range too narrow for its magnitude: NumPy refuses
            continue
        compared += 1

        assert np.array_equal(sturges_edges(low, high, size), expected)
    assert compared > 1500


def test_decile_edges_are_numpys_quantiles_to_the_bit():
    rng = np.random.default_rng(11)
    for case in range(3000):
        size = int(rng.integers(1, 30 if case % 3 == 0 else 5000))
        if case % 4 == 0:
            values = rng.normal(0, 10.0 ** rng.integers(-6, 9), size)
        elif case % 4 == 1:
            values = rng.integers(0, 40, size).astype(float)
        elif case % 4 == 2:
            values = np.round(rng.exponential(3, size), 2)
        else:
            values = rng.lognormal(0, 3, size) - 5
        ordered = np.sort(values)

        edges = decile_edges(size, lambda ranks, ordered=ordered: ordered[ranks])

        expected = np.unique(np.quantile(values, np.arange(1, 10) / 10))
        assert np.array_equal(edges, expected), (size, edges, expected)


def test_the_server_bins_with_the_clients_rules():
    assert preparation.plan_numeric is binning.plan_numeric
    assert preparation.decile_edges is binning.decile_edges
    assert preparation.sturges_edges is binning.sturges_edges
    assert analysis.histogram_sorted is binning.histogram_sorted
    assert parsing.category_label is binning.category_label


def test_category_labels_follow_the_server():
    values = ["DE", True, False, 1, 1.0, 2.5, None, float("nan"), np.int64(3)]

    labels = [category_label(value) for value in values]

    assert labels == ["DE", "true", "false", "1", "1", "2.5", None, None, "3"]


def test_categorical_columns_merge_values_that_share_a_label():
    payload = feature_payload(
        "plan",
        np.array(["basic", "pro", None, "pro"], dtype=object),
        np.array([1, 1.0, "1", True], dtype=object),
    )

    assert payload["kind"] == "categorical"
    assert payload["reference"] == {"categories": {"basic": 1, "pro": 2}}
    assert payload["current"] == {"categories": {"1": 3, "true": 1}}


def test_a_numeric_column_with_few_values_is_sent_as_categories():
    payload = feature_payload("rooms", [1, 2, 2, 3], [3, 3, 4])

    assert payload["kind"] == "categorical"
    assert payload["reference"]["categories"] == {"1": 1, "2": 2, "3": 1, "4": 0}
    assert payload["current"]["categories"] == {"1": 0, "2": 0, "3": 2, "4": 1}


def test_dataframes_give_one_feature_per_shared_column():
    reference = pd.DataFrame(
        {
            "age": pd.array([30, None, 41] * 20, dtype="Int64"),
            "plan": ["a", "b", "c"] * 20,
        }
    )
    current = pd.DataFrame(
        {"age": [33.0, 47.5, np.nan] * 20, "plan": ["a", "a", "d"] * 20, "x": 1}
    )

    features = dataframe_features(reference, current)

    assert [(f["name"], f["kind"]) for f in features] == [
        ("age", "categorical"),
        ("plan", "categorical"),
    ]
    assert features[0]["reference"]["categories"] == {
        "30": 20,
        "33": 0,
        "41": 20,
        "47.5": 0,
    }
    assert features[1]["current"]["categories"] == {"a": 40, "d": 20}


@pytest.mark.parametrize("seed", range(3))
def test_duckdb_gives_the_in_memory_payload(seed):
    rng = np.random.default_rng(200 + seed)
    connection = duckdb.connect()
    for case in range(24):
        reference, current = random_sides(rng, case % 4)
        reference_relation = connection.from_df(pd.DataFrame({"f": reference}))
        current_relation = connection.from_df(pd.DataFrame({"f": current}))

        assert relation_feature("f", reference_relation, current_relation) == (
            feature_payload("f", reference, current)
        )


def test_duckdb_counts_text_booleans_and_nulls_as_the_server_labels_them():
    connection = duckdb.connect()
    reference = connection.sql(
        "SELECT * FROM (VALUES ('DE', true), ('FR', false), (NULL, NULL), ('DE', true))"
        " AS t(country, churned)"
    )
    current = connection.sql(
        "SELECT * FROM (VALUES ('IT', true), ('DE', true)) AS t(country, churned)"
    )

    features = {f["name"]: f for f in relation_features(reference, current)}

    assert features["country"]["reference"] == {"categories": {"DE": 2, "FR": 1}}
    assert features["churned"]["kind"] == "categorical"
    assert features["churned"]["current"] == {"categories": {"true": 2}}
