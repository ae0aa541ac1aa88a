"""The client's drift histograms over a Parquet dataset, in DuckDB and Spark.

Writes a synthetic dataset (--rows in all, 60 % reference and 40 % current,
columns income (skewed, 1 % null), tenure (whole months) and plan (text)) to
--folder unless it is there already, computes the drift payload with
mlgov_client.duckdb_features and, with --spark, with
mlgov_client.spark_features (local mode, --threads cores, run under the
Spark virtualenv's interpreter, scripts/spark-venv.sh), and prints rows per
second, whether Spark's payload equals DuckDB's, the bytes the payload posts
against the Parquet files and the raw values as JSON, and, with --compare,
the server's statistics from the payload against those from the raw values
(drift.stats on the same data, in memory: needs the RAM), PSI also as it
was computed before payloads carried PSI's bins (on the histogram's bins).
With --url and MLGOV_TOKEN it also posts the report.

    .venv/bin/python bench/bench_client_histograms.py --rows 50000000 --spark --compare
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def spark_worker(folder: Path, threads: int) -> None:
    """Under the Spark virtualenv: the payload and its timing, as JSON."""
    from pyspark.sql import SparkSession

    from mlgov_client.spark_features import spark_features

    started = time.perf_counter()
    spark = (
        SparkSession.builder.master(f"local[{threads}]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(threads))
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    session = time.perf_counter() - started
    started = time.perf_counter()
    features = spark_features(
        spark.read.parquet(str(folder / "reference.parquet")),
        spark.read.parquet(str(folder / "current.parquet")),
    )
    seconds = time.perf_counter() - started
    spark.stop()
    print(json.dumps({"session": session, "seconds": seconds, "features": features}))


def run_spark(folder: Path, threads: int, python: Path) -> dict:
    finished = subprocess.run(
        [str(python), __file__, "--spark-worker", str(folder), str(threads)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(finished.stdout.strip().splitlines()[-1])


if len(sys.argv) == 4 and sys.argv[1] == "--spark-worker":
    spark_worker(Path(sys.argv[2]), int(sys.argv[3]))
    sys.exit(0)

import duckdb  # noqa: E402  (not in the Spark virtualenv)
import numpy as np  # noqa: E402

from mlgov_client import Client  # noqa: E402
from mlgov_client.duckdb_features import relation_features  # noqa: E402


def write_dataset(folder: Path, rows: int, threads: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute(f"SET threads = {threads}")
    connection.execute("SELECT setseed(0.5)")
    for name, share, drift in (("reference", 0.6, 0.0), ("current", 0.4, 0.3)):
        target = folder / f"{name}.parquet"
        if target.exists():
            continue
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
                FROM range({int(rows * share)})
            ) TO '{target}' (FORMAT parquet)
            """
        )


def raw_json_bytes(relation: duckdb.DuckDBPyRelation, rows: int) -> int:
    """The raw values as a JSON body would carry them, measured on a
    1,000,000-row sample and scaled."""
    sample_rows = min(rows, 1_000_000)
    columns = relation.limit(sample_rows).fetchnumpy()
    size = 0
    for values in columns.values():
        filled = (
            values.tolist()
            if not np.ma.isMaskedArray(values)
            else [
                None if masked else value
                for value, masked in zip(
                    values.data.tolist(), values.mask.tolist(), strict=True
                )
            ]
        )
        size += len(json.dumps(filled))
    return int(size * rows / sample_rows)


def compare(reference, current, features) -> None:
    from drift.stats import compute_statistics, parse_feature

    reference_columns, current_columns = reference.fetchnumpy(), current.fetchnumpy()
    for feature in features:
        name = feature["name"]

        def side(columns, name=name, kind=feature["kind"]):
            values = columns[name]
            if kind == "numeric":
                return np.ma.filled(values.astype(float), np.nan)
            return values.astype(object)

        raw = parse_feature(
            {
                "name": name,
                "kind": feature["kind"],
                "reference": {"values": side(reference_columns)},
                "current": {"values": side(current_columns)},
            }
        )
        started = time.perf_counter()
        expected = compute_statistics(raw)
        raw_seconds = time.perf_counter() - started
        actual = compute_statistics(parse_feature(feature))
        for method, statistic in expected.items():
            print(
                f"  {name:7} {method:14} raw {statistic.statistic:10.6f}"
                f"  payload {actual[method].statistic:10.6f}"
            )
        if feature["kind"] == "numeric":
            histogram_only = {
                **feature,
                **{
                    side: {
                        "bin_edges": feature[side]["bin_edges"],
                        "counts": feature[side]["counts"],
                    }
                    for side in ("reference", "current")
                },
            }
            before = compute_statistics(parse_feature(histogram_only), ["psi"])
            print(
                f"  {name:7} psi, histogram bins only (before) "
                f"{before['psi'].statistic:10.6f}"
            )
        print(f"  {name:7} raw statistics took {raw_seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/mlgov-client-bench"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--spark", action="store_true")
    parser.add_argument(
        "--spark-python", type=Path, default=ROOT / ".ci-spark-venv" / "bin" / "python"
    )
    parser.add_argument("--url", default=os.environ.get("MLGOV_URL", ""))
    args = parser.parse_args()

    folder = args.folder / str(args.rows)
    started = time.perf_counter()
    write_dataset(folder, args.rows, args.threads)
    print(f"dataset: {time.perf_counter() - started:.1f} s (skipped when present)")

    connection = duckdb.connect()
    connection.execute(f"SET threads = {args.threads}")
    reference = connection.read_parquet(str(folder / "reference.parquet"))
    current = connection.read_parquet(str(folder / "current.parquet"))
    rows = sum(r.aggregate("count(*)").fetchall()[0][0] for r in (reference, current))

    started = time.perf_counter()
    features = relation_features(reference, current)
    seconds = time.perf_counter() - started
    posted = len(json.dumps(features).encode())
    parquet_bytes = sum(path.stat().st_size for path in folder.glob("*.parquet"))
    raw = raw_json_bytes(reference, rows)

    print(f"rows: {rows:,} ({len(features)} features, {args.threads} threads)")
    print(f"histograms: {seconds:.1f} s, {rows / seconds:,.0f} rows/s")
    print(f"payload: {posted:,} bytes; Parquet files {parquet_bytes:,} bytes")
    print(f"raw values as JSON (estimated): {raw:,} bytes ({raw / posted:,.0f}x)")
    for feature in features:
        print(f"  {feature['name']}: {feature['kind']}, {len(json.dumps(feature))} B")
    if args.spark:
        spark = run_spark(folder, args.threads, args.spark_python)
        print(
            f"spark: session {spark['session']:.1f} s; histograms "
            f"{spark['seconds']:.1f} s, {rows / spark['seconds']:,.0f} rows/s; "
            f"payload equals DuckDB's: {spark['features'] == features}"
        )

    if args.compare:
        compare(reference, current, features)
    if args.url:
        report = Client(args.url, os.environ["MLGOV_TOKEN"]).post_drift_report(
            model=os.environ.get("MLGOV_MODEL", "churn"),
            version=int(os.environ.get("MLGOV_VERSION", "1")),
            environment="production",
            window_start="2026-11-01T00:00:00Z",
            window_end="2026-11-08T00:00:00Z",
            features=features,
        )
        print(f"posted: report {report['id']}, severity {report['severity']}")


if __name__ == "__main__":
    main()
