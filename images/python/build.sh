#!/usr/bin/env bash
# The python:<version>-slim-<suite> stand-in: Debian's own Python on the base (see Dockerfile).
set -euo pipefail
. "$OBSLAB_ROOT/scripts/lib.sh"
docker_build --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$1" "$(dirname "$0")"
