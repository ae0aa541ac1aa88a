#!/usr/bin/env bash
# The deploy folder's offline checks (issue 21): the alert rules
# (promtool check rules, promtool test rules), the compose file
# (podman-compose config) and the Kubernetes manifests (kubernetes-validate
# against a pinned Kubernetes version). Installs what is missing: Debian's
# prometheus package for promtool, podman, and a virtualenv of its own
# (.ci-deploy-venv) with the pinned podman-compose and kubernetes-validate.
# Starts no server. The pytest side (tests/deploy) runs in the normal suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

KUBERNETES_VERSION=${KUBERNETES_VERSION:-1.31.0}
started=$(date +%s)

if ! command -v promtool >/dev/null; then
    echo "== installing promtool (Debian's prometheus package)"
    # The package's maintainer scripts would start a Prometheus server; a
    # policy-rc.d that refuses every start keeps them from doing so.
    policy=/usr/sbin/policy-rc.d
    had_policy=false
    [ -e "$policy" ] && had_policy=true
    if ! $had_policy; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        prometheus >/dev/null
    $had_policy || rm -f "$policy"
fi

# podman-compose asks `podman version` before it renders anything, so the
# config check needs podman itself even though it starts no container.
if ! command -v podman >/dev/null; then
    echo "== installing podman (podman-compose calls it)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o DPkg::Lock::Timeout=300 podman >/dev/null
fi

venv=.ci-deploy-venv
stamp=$venv/.installed
digest=$(sha256sum .ci/deploy-requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    echo "== installing podman-compose and kubernetes-validate ($venv)"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet -r .ci/deploy-requirements.txt
    echo "$digest" >"$stamp"
fi

echo "== promtool check rules / test rules"
promtool check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && promtool test rules alerts.test.yml)
promtool check config --syntax-only deploy/prometheus/prometheus.yml

echo "== podman-compose config"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Stand-in secrets: the real ones are in deploy/.env, which is never
# committed. Without them compose refuses (checked below).
cat >"$work/ci.env" <<ENV
MLGOV_HOSTNAME=mlgov.example.com
SECRET_KEY=ci-$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')
POSTGRES_PASSWORD=ci-postgres
METRICS_TOKEN=ci-metrics
GRAFANA_ADMIN_PASSWORD=ci-grafana
ENV
"$venv/bin/podman-compose" --env-file "$work/ci.env" -f deploy/compose.yaml config \
    >"$work/compose.rendered.yaml"
: >"$work/empty.env"
if "$venv/bin/podman-compose" --env-file "$work/empty.env" -f deploy/compose.yaml \
    config >/dev/null 2>&1; then
    echo "compose accepted an env file without the secrets" >&2
    exit 1
fi
echo "compose renders with the secrets and refuses without them"

echo "== kubernetes-validate (Kubernetes $KUBERNETES_VERSION)"
# Every base file is a whole object and validates alone.
base_files=()
for file in deploy/k8s/base/*.yaml; do
    [ "$(basename "$file")" = kustomization.yaml ] || base_files+=("$file")
done
"$venv/bin/kubernetes-validate" --quiet --strict -k "$KUBERNETES_VERSION" "${base_files[@]}"
echo "base: ${#base_files[@]} files valid"
# The overlay's patches are partial; its rendering is validated where a
# kustomize is at hand (kubectl kustomize, or kustomize itself).
render=""
if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
    render="kubectl kustomize"
elif command -v kustomize >/dev/null; then
    render="kustomize build"
fi
if [ -n "$render" ]; then
    for overlay in deploy/k8s/base deploy/k8s/overlays/production; do
        $render "$overlay" >"$work/rendered.yaml"
        "$venv/bin/kubernetes-validate" --quiet --strict -k "$KUBERNETES_VERSION" \
            "$work/rendered.yaml"
        echo "$overlay: rendered with $render, valid"
    done
else
    echo "no kustomize here: the overlay's rendering is not validated" \
        "(tests/deploy/test_manifests.py checks its patches name base objects)"
fi

echo "== deploy checks passed in $(($(date +%s) - started)) s"
