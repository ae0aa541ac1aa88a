"""Run under the Spark virtualenv (.ci-spark-venv/bin/python), not pytest:
reads a JSON list of jobs on stdin, each {"reference": path, "current": path}
to Parquet files, computes each job's drift payload with
mlgov_client.spark_features in one local Spark session, and prints the
payloads (a JSON list of lists) as the last line of stdout."""

import json
import sys

from pyspark.sql import SparkSession

from mlgov_client.spark_features import spark_features


def main() -> None:
    jobs = json.load(sys.stdin)
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
    try:
        payloads = [
            spark_features(
                spark.read.parquet(job["reference"]), spark.read.parquet(job["current"])
            )
            for job in jobs
        ]
    finally:
        spark.stop()
    print(json.dumps(payloads))


if __name__ == "__main__":
    main()
