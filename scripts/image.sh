#!/usr/bin/env bash
# Build mlgov's OCI image and smoke-test it, on a machine where public image
# registries are unreachable and `podman run` cannot set up cgroups.
#
#   scripts/image.sh build   # local Debian base (mmdebstrap), then localhost/mlgov:dev
#   scripts/image.sh smoke   # the built image's filesystem under chroot, against
#                            # PostgreSQL and Redis on 127.0.0.1
#
# Environment: IMAGE (localhost/mlgov:dev), BASE_IMAGE (built here from Debian
# packages unless given, e.g. python:3.12-slim-bookworm where a registry is
# reachable), VERSION and REVISION (the OCI labels; git describe / HEAD),
# SMOKE_DATABASE_URL (postgres://postgres@127.0.0.1:5432/mlgov_image_smoke:
# created and dropped), SMOKE_REDIS_URL (redis://127.0.0.1:6379/13).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/mlgov:dev}
LOCAL_BASE=localhost/mlgov-base:bookworm
# Docker format keeps HEALTHCHECK (OCI has no field for it). The host's CA
# bundle: pip inside the build reaches the package index only with it.
BUILD_FLAGS=(--format=docker --isolation=chroot --network=host -v /etc/ssl/certs:/etc/ssl/certs:ro)

log() { echo "image.sh: $*" >&2; }

build_local_base() {
    # The same Debian release as python:3.12-slim-bookworm; its python3 is 3.11.
    if podman image exists "$LOCAL_BASE"; then
        log "base $LOCAL_BASE present (podman rmi it to rebuild)"
        return
    fi
    local work
    work=$(mktemp -d)
    # shellcheck disable=SC2064  # expand now: the trap must remove this directory
    trap "rm -rf '$work'" RETURN
    log "building $LOCAL_BASE with mmdebstrap"
    mmdebstrap --quiet --variant=minbase \
        --include=python3,python3-venv,ca-certificates \
        --aptopt='APT::Install-Recommends "false"' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        bookworm "$work/base.tar"
    podman import --quiet \
        --change 'CMD ["/bin/sh"]' --change 'ENV LANG=C.UTF-8' \
        "$work/base.tar" "$LOCAL_BASE" >/dev/null
}

cmd_build() {
    local base=${BASE_IMAGE:-}
    if [ -z "$base" ]; then
        build_local_base
        base=$LOCAL_BASE
    fi
    local version revision
    version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
    revision=${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
    log "building $IMAGE from $base (version $version, revision $revision)"
    podman build "${BUILD_FLAGS[@]}" \
        --build-arg "BASE_IMAGE=$base" \
        --build-arg "VERSION=$version" \
        --build-arg "REVISION=$revision" \
        --file deploy/Containerfile --tag "$IMAGE" .
    log "$IMAGE: $(podman image inspect --format '{{.Size}}' "$IMAGE" | numfmt --to=iec) uncompressed"
}

cmd_smoke() {
    exec "${PYTHON:-python3}" scripts/image_smoke.py "$IMAGE"
}

case "${1:-}" in
    build) cmd_build ;;
    smoke) cmd_smoke ;;
    *)
        echo "usage: scripts/image.sh build|smoke" >&2
        exit 64
        ;;
esac
