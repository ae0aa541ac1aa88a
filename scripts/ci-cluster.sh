#!/usr/bin/env bash
# CI: the cluster suite (tests/cluster) on two mlgov instances behind HAProxy,
# on PgBouncer, PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379), which
# must be running. Installs HAProxy and PgBouncer when missing. The suite
# starts the cluster (scripts/cluster.sh up) and stops it; the trap stops it
# too if the run is cut short. Measured 54-73 s on 2 loaded cores (load 4-7).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pg_isready -q -h 127.0.0.1 -p 5432 || ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "ci-cluster: PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) must be up" >&2
    exit 1
fi
scripts/cluster.sh install

MLGOV_CLUSTER_DIR=$(mktemp -d /tmp/mlgov-cluster-ci.XXXXXX)
export MLGOV_CLUSTER_DIR
trap 'scripts/cluster.sh down >/dev/null 2>&1 || true; rm -rf "$MLGOV_CLUSTER_DIR"' EXIT

# The database and Redis database are the cluster's own (CLUSTER_DATABASE,
# CLUSTER_REDIS_URL in scripts/cluster.sh), never the main suite's. Generous
# deadlines for loaded machines: readiness polling up to 5 minutes.
export CLUSTER_READY_TIMEOUT=${CLUSTER_READY_TIMEOUT:-300}
echo "== cluster suite (two instances, HAProxy, PgBouncer, Redis)"
scripts/test.sh -m cluster tests/cluster -p no:cacheprovider "$@"
