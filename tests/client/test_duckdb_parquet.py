"""Histograms computed by DuckDB over Parquet files: a few million rows, the
same payload as in memory, and the server reads it."""

import duckdb
import numpy as np
import pytest

from drift.stats import analyse_feature, parse_feature
from mlgov_client.duckdb_features import relation_features
from mlgov_client.histograms import feature_payload

REFERENCE_ROWS, CURRENT_ROWS = 2_000_000, 1_000_000


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    """Two Parquet files: income (skewed, some nulls), tenure (whole months)
    and plan (text)."""
    folder = tmp_path_factory.mktemp("lake")
    connection = duckdb.connect()
    connection.execute("SELECT setseed(0.23)")
    for name, rows, drift in (
        ("reference", REFERENCE_ROWS, 0.0),
        ("current", CURRENT_ROWS, 0.4),
    ):
        connection.execute(
            f"""
            COPY (
                SELECT
                    CASE WHEN random() < 0.01 THEN NULL
                         ELSE exp(random() * 2 + random() * 2 + {drift}) * 1000
                    END AS income,
                    CAST(floor(random() * 48 + {drift} * 10) AS INTEGER) AS tenure,
                    ['basic', 'pro', 'team'][CAST(floor(random() * 3) AS INT) + 1]
                        AS plan
                FROM range({rows})
            ) TO '{folder}/{name}.parquet' (FORMAT parquet)
            """
        )
    return folder


def test_duckdb_over_parquet_gives_the_in_memory_payload(parquet):
    connection = duckdb.connect()
    reference = connection.read_parquet(str(parquet / "reference.parquet"))
    current = connection.read_parquet(str(parquet / "current.parquet"))

    features = relation_features(reference, current)

    reference_columns, current_columns = reference.fetchnumpy(), current.fetchnumpy()
    assert [f["name"] for f in features] == ["income", "tenure", "plan"]
    for feature in features:
        name = feature["name"]
        reference_values = np.asarray(reference_columns[name])
        current_values = np.asarray(current_columns[name])
        if name == "income":  # nulls arrive as a masked array
            reference_values = np.ma.filled(
                reference_columns[name].astype(float), np.nan
            )
            current_values = np.ma.filled(current_columns[name].astype(float), np.nan)
        assert feature == feature_payload(name, reference_values, current_values)
    income, tenure, plan = features
    assert income["reference"]["bin_edges"][0] >= 1000
    assert len(income["reference"]["counts"]) == 23  # Sturges on 2.97 M values
    assert sum(tenure["current"]["counts"]) == CURRENT_ROWS
    assert set(plan["reference"]["categories"]) == {"basic", "pro", "team"}


def test_the_server_reads_the_duckdb_payload(parquet):
    connection = duckdb.connect()
    reference = connection.read_parquet(str(parquet / "reference.parquet"))
    current = connection.read_parquet(str(parquet / "current.parquet"))

    results = {
        feature["name"]: analyse_feature(parse_feature(feature))
        for feature in relation_features(reference, current)
    }

    assert results["income"].drifted
    assert results["income"].n_reference == pytest.approx(REFERENCE_ROWS * 0.99, 0.01)
    assert results["tenure"].drifted
    assert results["tenure"].n_current == CURRENT_ROWS
    assert not results["plan"].drifted
