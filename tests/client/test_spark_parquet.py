"""Histograms computed by Spark (local mode) over Parquet files: the payload
DuckDB computes, and the server's statistics from it agree with those from
the raw values (docs/integrations.md states the tolerances).

pyspark lives in its own virtualenv (scripts/spark-venv.sh builds
.ci-spark-venv, with Debian's Java), so the Spark side runs as a subprocess
under that interpreter (tests/client/spark_payloads.py), once for every
dataset. .ci/run sets MLGOV_TEST_SPARK_PYTHON: then a missing interpreter or
Java fails the test. Without it the test uses .ci-spark-venv when it is
there and skips only when it (or Java) is missing."""

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from drift.stats import analyse_feature, compute_statistics, parse_feature
from mlgov_client.duckdb_features import relation_features
from mlgov_client.histograms import feature_payload

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("spark_payloads.py")
REFERENCE_ROWS, CURRENT_ROWS = 1_500_000, 1_000_000


def spark_python() -> Path:
    """The Spark virtualenv's interpreter; a failure when CI asked for it."""
    configured = os.environ.get("MLGOV_TEST_SPARK_PYTHON")
    python = Path(configured or ROOT / ".ci-spark-venv" / "bin" / "python")
    problem = None
    if not python.exists():
        problem = f"no Spark virtualenv: {python} is missing (scripts/spark-venv.sh)"
    elif shutil.which("java") is None:
        problem = "no Java for Spark (apt-get install openjdk-17-jre-headless)"
    if problem and configured:
        pytest.fail(f"MLGOV_TEST_SPARK_PYTHON is set but {problem}")
    if problem:
        pytest.skip(f"{problem}; .ci/run always builds it")
    return python


def write_lake(folder: Path) -> dict[str, str]:
    """income (skewed, some nulls), tenure (whole months, shifted past the
    reference's range) and plan (text), as tests/client/test_duckdb_parquet.py."""
    connection = duckdb.connect()
    connection.execute("SELECT setseed(0.31)")
    paths = {}
    for name, rows, drift in (
        ("reference", REFERENCE_ROWS, 0.0),
        ("current", CURRENT_ROWS, 0.3),
    ):
        paths[name] = str(folder / f"{name}.parquet")
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
            ) TO '{paths[name]}' (FORMAT parquet)
            """
        )
    return paths


def edge_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Sides the binning rules treat apart: few values (categorical), one bin
    per value, ties, NaN and ±inf, a side too small for the decile brackets
    from the first pass, an empty current side."""
    rng = np.random.default_rng(41)
    few = rng.integers(0, 4, 3000).astype(float), rng.integers(1, 5, 2000).astype(float)
    valued = rng.integers(0, 15, 5000).astype(float), rng.integers(3, 18, 4000) * 1.0
    tied = np.round(rng.normal(0, 3, 8000), 1), np.round(rng.normal(0.5, 3, 6000), 1)
    tied[0][::7] = np.nan
    tied[1][::11] = np.inf
    small = rng.normal(0, 1, 37), rng.normal(0.2, 1, 29)
    empty = rng.exponential(5, 500), np.full(10, np.nan)
    return [few, valued, tied, small, empty]


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory):
    """Every dataset's Spark payload, from one Spark session."""
    python = spark_python()
    folder = tmp_path_factory.mktemp("spark-lake")
    lake = write_lake(folder)
    cases = edge_cases()
    # One column per case, padded with nulls (missing values, left out).
    edges_job = {}
    connection = duckdb.connect()
    for side in (0, 1):
        name = ("reference", "current")[side]
        length = max(case[side].size for case in cases)
        frame = pd.DataFrame(
            {
                f"f{index}": np.concatenate(
                    (case[side], np.full(length - case[side].size, np.nan))
                )
                for index, case in enumerate(cases)
            }
        )
        edges_job[name] = str(folder / f"cases-{name}.parquet")
        connection.from_df(frame).write_parquet(edges_job[name])
    jobs = [lake, edges_job]
    finished = subprocess.run(
        [str(python), str(SCRIPT)],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        timeout=900,
        cwd=folder,
        check=False,
    )
    if finished.returncode != 0:
        sys.stderr.write(finished.stderr[-5000:])
    assert finished.returncode == 0, finished.stderr[-2000:]
    payloads = json.loads(finished.stdout.strip().splitlines()[-1])
    return lake, cases, payloads


def test_spark_gives_the_duckdb_payload_and_the_server_agrees_with_raw_values(
    spark_run,
):
    lake, cases, payloads = spark_run
    connection = duckdb.connect()
    reference = connection.read_parquet(lake["reference"])
    current = connection.read_parquet(lake["current"])

    assert payloads[0] == relation_features(reference, current)
    assert payloads[1] == [
        feature_payload(f"f{index}", reference_values, current_values)
        for index, (reference_values, current_values) in enumerate(cases)
    ]

    reference_columns, current_columns = reference.fetchnumpy(), current.fetchnumpy()
    for feature in payloads[0]:
        name, kind = feature["name"], feature["kind"]

        def raw(columns, name=name, kind=kind):
            if kind == "numeric":
                return np.ma.filled(columns[name].astype(float), np.nan)
            return columns[name].astype(object)

        raw_feature = parse_feature(
            {
                "name": name,
                "kind": kind,
                "reference": {"values": raw(reference_columns)},
                "current": {"values": raw(current_columns)},
            }
        )
        from_payload = parse_feature(feature)
        expected, actual = (
            compute_statistics(raw_feature),
            compute_statistics(from_payload),
        )
        for method in ("jensenshannon", "chisquare", "psi"):
            assert actual[method].statistic == pytest.approx(
                expected[method].statistic, rel=1e-9
            ), (name, method)
        if kind == "numeric":
            assert actual["wasserstein"].statistic == pytest.approx(
                expected["wasserstein"].statistic, rel=0.10
            )
            assert actual["ks"].statistic == pytest.approx(
                expected["ks"].statistic, rel=0.15
            )
        raw_result, payload_result = (
            analyse_feature(raw_feature),
            analyse_feature(from_payload),
        )
        assert payload_result.drifted == raw_result.drifted, name
        assert payload_result.severity == raw_result.severity, name
        assert math.isclose(payload_result.psi, raw_result.psi, rel_tol=1e-9)
