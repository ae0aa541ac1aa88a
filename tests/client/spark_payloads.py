"""Run under the Spark virtualenv (.ci-spark-venv/bin/python), not pytest:
reads a JSON list of jobs on stdin, each {"reference": path, "current": path}
to Parquet files, computes each job's drift payload with
mlgov_client.spark_features in one local Spark session, and prints the
payloads (a JSON list of lists) as the last line of stdout."""

import json
import sys
import time

from pyspark.sql import SparkSession

from mlgov_client.spark_features import spark_features


def main() -> None:
    jobs = json.load(sys.stdin)
    started = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("mlgov-client-test")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(f"spark session: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    payloads = []
    try:
        for job in jobs:
            started = time.perf_counter()
            reference = spark.read.parquet(job["reference"])
            current = spark.read.parquet(job["current"])
            payloads.append(spark_features(reference, current))
            seconds = time.perf_counter() - started
            print(f"{job['reference']}: {seconds:.1f} s", file=sys.stderr)
    finally:
        spark.stop()
    print(json.dumps(payloads))


if __name__ == "__main__":
    main()
