#!/usr/bin/env bash
# Make sure every upstream image that compose.yaml runs (or builds FROM) exists locally.
# Present images are skipped; missing ones are pulled where a registry answers, and otherwise
# built from pinned upstream sources with the recipes under images/ (see images/README.md).
# Build outputs are cached under $OBSLAB_CACHE, so a rebuild after `docker image rm` is quick.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env

BASE_IMAGE="debian:${DEBIAN_SUITE}-slim"
LOCALSTACK_IMAGE="localstack/localstack:${LOCALSTACK_VERSION}"
JAEGER_IMAGE="jaegertracing/jaeger:${JAEGER_VERSION}"
COLLECTOR_IMAGE="otel/opentelemetry-collector-contrib:${OTELCOL_VERSION}"
XRAY_DAEMON_IMAGE="amazon/aws-xray-daemon:${XRAY_DAEMON_VERSION}"
REGISTRY=unknown # becomes "no" after the first failed pull: then everything is built

export CGO_ENABLED=0

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

# A short hash of the files (and settings) an image is built from. Images built here carry it
# as the label obslab.recipe, so a changed recipe (say, a component added to the collector's
# manifest) rebuilds the image. Pulled images (they have a registry digest) are kept as they are.
recipe_hash() {
  local version
  {
    cat "$@"
    for version in JAEGER_VERSION JAEGER_SOURCE_TAG OTELCOL_VERSION LOCALSTACK_VERSION XRAY_DAEMON_VERSION \
      PYTHON_IMAGE DEBIAN_SUITE; do
      echo "$version=${!version}"
    done
  } | sha256sum | cut -c1-16
}

# ensure IMAGE BUILD_FUNCTION RECIPE_FILE...: skip if present and current, else pull, else build (timed).
ensure() {
  local image="$1" build="$2" recipe label
  shift 2
  recipe=$(recipe_hash "$@")
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
  RECIPE="$recipe" timed "building $image" "$build" "$image"
}

# docker build, labelled with the recipe hash ensure() computed.
build() {
  docker build --label "obslab.recipe=$RECIPE" "$@"
}

need_go() {
  command -v go >/dev/null || die "Go is needed to build $1 from source (no registry reachable). Install Go 1.25+, or use Docker with registry access."
}

# A clean build context per image, under the cache.
context_dir() {
  local dir="$OBSLAB_CACHE/context/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "$dir"
}

# The Debian base every offline build starts from (directly or via the Python stand-in).
# Only built when something has to be built: machines with a registry never need it.
ensure_base() {
  image_present "$BASE_IMAGE" && return
  step "$BASE_IMAGE (base for the offline builds)"
  timed "building $BASE_IMAGE" build_base "$BASE_IMAGE"
}

build_base() {
  if ! command -v mmdebstrap >/dev/null; then
    [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null \
      || die "mmdebstrap is needed to build $1 (apt-get install mmdebstrap, as root)"
    info "installing mmdebstrap"
    apt_install mmdebstrap
  fi
  info "mmdebstrap $DEBIAN_SUITE (minbase) | docker import"
  # CA certificates added locally on this host (Debian's /usr/local/share/ca-certificates) go
  # into the base too: builds behind a TLS-inspecting proxy then trust what the host trusts.
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --customize-hook='if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
        cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/"
        chroot "$1" update-ca-certificates >/dev/null 2>&1; fi' \
    "$DEBIAN_SUITE" - http://deb.debian.org/debian \
    | docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - "$1" >/dev/null
}

build_python() {
  ensure_base
  build --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$1" "$OBSLAB_ROOT/images/python"
}

build_localstack() {
  build --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" -t "$1" "$OBSLAB_ROOT/images/localstack"
}

build_jaeger() {
  ensure_base
  need_go "$1"
  local src="$OBSLAB_CACHE/src/jaeger-$JAEGER_SOURCE_TAG" bin="$OBSLAB_CACHE/bin/jaeger-$JAEGER_VERSION"
  if [ ! -x "$bin" ]; then
    # Built as the main module from the proxy's source zip: its go.mod has a replace
    # directive, which `go install module@version` refuses.
    if [ ! -d "$src" ]; then
      info "downloading github.com/jaegertracing/jaeger@$JAEGER_SOURCE_TAG (= Jaeger v$JAEGER_VERSION)"
      local dir
      dir=$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_SOURCE_TAG" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
      [ -n "$dir" ] || die "could not download the Jaeger sources"
      mkdir -p "$(dirname "$src")"
      cp -r "$dir" "$src.tmp" && chmod -R u+w "$src.tmp" && mv "$src.tmp" "$src"
    fi
    info "compiling jaeger (a few minutes on a cold Go cache)"
    mkdir -p "$(dirname "$bin")"
    (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$bin.tmp" ./cmd/jaeger) && mv "$bin.tmp" "$bin"
  fi
  local ctx
  ctx=$(context_dir jaeger)
  cp "$bin" "$ctx/jaeger"
  cp "$src/cmd/jaeger/sampling-strategies.json" "$ctx/"
  mkdir -p "$ctx/rootfs" && mkdir -m 1777 "$ctx/rootfs/tmp"
  build --build-arg "CERTS_IMAGE=$BASE_IMAGE" -t "$1" -f "$OBSLAB_ROOT/images/jaeger/Dockerfile" "$ctx"
}

build_collector() {
  ensure_base
  need_go "$1"
  local manifest="$OBSLAB_ROOT/collector/builder-config.yaml"
  grep -q "version: $OTELCOL_VERSION\$" "$manifest" \
    || die "collector/builder-config.yaml does not build version $OTELCOL_VERSION (OTELCOL_VERSION in .env)"
  if grep -E 'gomod: .* v0\.' "$manifest" | grep -vq " v$OTELCOL_VERSION\$"; then
    die "collector/builder-config.yaml mixes component versions; all must be v$OTELCOL_VERSION"
  fi
  local ocb="$OBSLAB_CACHE/bin/ocb-$OTELCOL_VERSION" out="$OBSLAB_CACHE/src/otelcol-$OTELCOL_VERSION"
  if [ ! -x "$ocb" ]; then
    info "installing the OpenTelemetry Collector Builder v$OTELCOL_VERSION"
    mkdir -p "$OBSLAB_CACHE/gobin-ocb"
    GOBIN="$OBSLAB_CACHE/gobin-ocb" go install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION"
    mkdir -p "$(dirname "$ocb")"
    mv "$OBSLAB_CACHE/gobin-ocb/builder" "$ocb"
  fi
  info "generating and compiling the collector (a few minutes on a cold Go cache)"
  # The output path belongs to this machine, not to the manifest: add it to a copy.
  mkdir -p "$out"
  sed "s|^dist:|dist:\n  output_path: $out|" "$manifest" >"$out/builder-config.yaml"
  "$ocb" --config "$out/builder-config.yaml" --ldflags "-s -w"
  local ctx
  ctx=$(context_dir collector)
  cp "$out/otelcol-contrib" "$ctx/"
  cp "$OBSLAB_ROOT/images/collector/default-config.yaml" "$ctx/"
  build --build-arg "CERTS_IMAGE=$BASE_IMAGE" -t "$1" -f "$OBSLAB_ROOT/images/collector/Dockerfile" "$ctx"
}

build_xray_daemon() {
  ensure_base
  need_go "$1"
  local recipe="$OBSLAB_ROOT/images/xray-daemon" ctx
  ctx=$(context_dir xray-daemon)
  info "compiling the X-Ray daemon v$XRAY_DAEMON_VERSION (dependencies pinned in images/xray-daemon/go.mod)"
  (cd "$recipe" && go build -mod=readonly -trimpath -ldflags "-s -w" -o "$ctx/xray" github.com/aws/aws-xray-daemon/daemon)
  "$ctx/xray" --version | grep -q "version: $XRAY_DAEMON_VERSION\$" \
    || die "images/xray-daemon/go.mod does not build daemon $XRAY_DAEMON_VERSION (XRAY_DAEMON_VERSION in .env)"
  local src
  src=$(cd "$recipe" && go list -m -f '{{.Dir}}' github.com/aws/aws-xray-daemon)
  cp "$src/daemon/cfg.yaml" "$ctx/cfg.yaml"
  build --build-arg "CERTS_IMAGE=$BASE_IMAGE" -t "$1" -f "$recipe/Dockerfile" "$ctx"
}

command -v docker >/dev/null && docker info >/dev/null 2>&1 || die "Docker is not running: run 'make provision' first"
step "Images (present ones are skipped)"
start=$(date +%s)
# Order matters: LocalStack builds FROM the Python stand-in. After each function: its recipe.
images="$OBSLAB_ROOT/images"
ensure "$PYTHON_IMAGE" build_python "$images/python/Dockerfile"
ensure "$LOCALSTACK_IMAGE" build_localstack "$images"/localstack/*
ensure "$JAEGER_IMAGE" build_jaeger "$images/jaeger/Dockerfile"
ensure "$COLLECTOR_IMAGE" build_collector "$images"/collector/* "$OBSLAB_ROOT/collector/builder-config.yaml"
ensure "$XRAY_DAEMON_IMAGE" build_xray_daemon "$images"/xray-daemon/*
info "all images ready in $(($(date +%s) - start))s"
