#!/usr/bin/env bash
# A separate virtualenv with the MLflow server, for the import tests and the
# import benchmark only: mlflow is not a dependency of mlgov. Sourced by
# .ci/run; run it by hand to build .ci-mlflow-venv locally.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
stamp=.ci-mlflow-venv/.installed
digest=$(sha256sum .ci/mlflow-requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    "$PYTHON" -m venv .ci-mlflow-venv
    .ci-mlflow-venv/bin/python -m pip install --quiet --upgrade pip
    .ci-mlflow-venv/bin/python -m pip install --quiet -r .ci/mlflow-requirements.txt
    echo "$digest" > "$stamp"
fi
