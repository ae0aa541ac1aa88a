#!/usr/bin/env bash
# A separate virtualenv with PySpark (local mode) for the client's Spark
# histogram helpers: their test and the bench. pyspark is not a dependency of
# mlgov; the client is installed from this checkout (editable, so the test
# always runs the code beside it). Spark needs Java: Debian's
# openjdk-17-jre-headless (.ci/run installs it). Sourced by .ci/run; run it by
# hand to build .ci-spark-venv locally.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
stamp=.ci-spark-venv/.installed
digest=$(cat .ci/spark-requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    "$PYTHON" -m venv .ci-spark-venv
    .ci-spark-venv/bin/python -m pip install --quiet --upgrade pip
    .ci-spark-venv/bin/python -m pip install --quiet -r .ci/spark-requirements.txt
    .ci-spark-venv/bin/python -m pip install --quiet --no-deps --editable .
    echo "$digest" > "$stamp"
fi
