#!/usr/bin/env bash
# Make sure every upstream image that compose.yaml runs (or builds FROM) exists locally.
# Present images are skipped; missing ones are pulled where a registry answers, and otherwise
# built from pinned upstream sources by the component's recipe, `<component>/offline-image/`
# (a build.sh and what it builds from). See images/README.md.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env

# What compose runs, in build order (LocalStack builds FROM the Python image), and where each
# image's recipe is. One line per image.
IMAGES=(
  "$PYTHON_IMAGE                                            images/python"
  "localstack/localstack:$LOCALSTACK_VERSION                localstack/offline-image"
  "jaegertracing/jaeger:$JAEGER_VERSION                     jaeger/offline-image"
  "otel/opentelemetry-collector-contrib:$OTELCOL_VERSION    collector/offline-image"
  "amazon/aws-xray-daemon:$XRAY_DAEMON_VERSION              xray-daemon/offline-image"
  "prom/prometheus:v$PROMETHEUS_VERSION                     prometheus/offline-image"
  "apache/kafka:$KAFKA_VERSION                              kafka/offline-image"
  "opensearchproject/opensearch:$OPENSEARCH_VERSION         opensearch/offline-image"
)
# The Debian base the offline builds start from; only built when something has to be built.
export BASE_IMAGE="debian:${DEBIAN_SUITE}-slim"
REGISTRY=unknown # becomes "no" after the first failed pull: then everything is built

try_pull() {
  [ "$REGISTRY" != no ] || return 1
  if docker pull -q "$1" >/dev/null 2>&1; then
    REGISTRY=yes
    return 0
  fi
  REGISTRY=no
  info "could not pull $1: building it and the remaining images from pinned sources"
  return 1
}

# A short hash of an image's name (its version), its recipe folder and the base it starts
# from. Images built here carry it
# as the label obslab.recipe, so a changed recipe (say, a component added to the collector's
# manifest) rebuilds the image. Pulled images (they have a registry digest) are kept as they are.
recipe_hash() {
  {
    echo "$1 $DEBIAN_SUITE $PYTHON_IMAGE"
    (cd "$2" && find . -type f | LC_ALL=C sort | xargs cat)
  } | sha256sum | cut -c1-16
}

ensure_base() {
  image_present "$BASE_IMAGE" && return
  step "$BASE_IMAGE (base for the offline builds)"
  RECIPE=$(recipe_hash "$BASE_IMAGE" "$OBSLAB_ROOT/images/debian")
  export RECIPE
  timed "building $BASE_IMAGE" "$OBSLAB_ROOT/images/debian/build.sh" "$BASE_IMAGE"
}

# ensure IMAGE RECIPE_DIR: skip if present and current, else pull, else build (timed).
ensure() {
  local image="$1" recipe_dir="$OBSLAB_ROOT/$2" recipe label
  recipe=$(recipe_hash "$image" "$recipe_dir")
  if image_present "$image"; then
    label=$(docker image inspect -f '{{ if .RepoDigests }}pulled{{ else }}{{ index .Config.Labels "obslab.recipe" }}{{ end }}' "$image")
    if [ "$label" = pulled ] || [ "$label" = "$recipe" ]; then
      info "$image: present"
      return
    fi
    step "$image (recipe changed since it was built)"
  else
    step "$image"
    if try_pull "$image"; then
      info "pulled"
      return
    fi
  fi
  ensure_base
  export RECIPE="$recipe"
  timed "building $image" "$recipe_dir/build.sh" "$image"
}

if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
  die "Docker is not running: run 'make provision' first"
fi
step "Images (present ones are skipped)"
start=$(date +%s)
export OBSLAB_ROOT OBSLAB_CACHE CGO_ENABLED=0
for entry in "${IMAGES[@]}"; do
  # shellcheck disable=SC2086 # two words: the image and its recipe folder
  ensure $entry
done
info "all images ready in $(($(date +%s) - start))s"
