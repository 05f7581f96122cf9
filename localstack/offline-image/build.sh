#!/usr/bin/env bash
# localstack/localstack:<version> from PyPI (fully pinned in constraints.txt), on the Python image.
set -euo pipefail
. "$OBSLAB_ROOT/scripts/lib.sh"
docker_build --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" -t "$1" "$(dirname "$0")"
