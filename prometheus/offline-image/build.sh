#!/usr/bin/env bash
# prom/prometheus:v<PROMETHEUS_VERSION> compiled from the Go module (Prometheus 3.x.y is module
# version v0.3xx.y), with its web UI built from the module's own npm lockfile when npm is here,
# in a FROM scratch image laid out like upstream's.
set -euo pipefail
. "$OBSLAB_ROOT/scripts/lib.sh"
need_go "$1"
here="$(cd "$(dirname "$0")" && pwd)"
IFS=. read -r major minor patch <<<"$PROMETHEUS_VERSION"
module_version="v0.$((major * 100 + minor)).$patch"
src="$OBSLAB_CACHE/src/prometheus-$module_version" bin="$OBSLAB_CACHE/bin/prometheus-$PROMETHEUS_VERSION"
go_module_source "github.com/prometheus/prometheus@$module_version" "$src"
grep -qx "$PROMETHEUS_VERSION" "$src/VERSION" || die "$module_version is not Prometheus $PROMETHEUS_VERSION"

if [ ! -x "$bin/prometheus" ]; then
  tags=""
  if command -v npm >/dev/null; then
    # The UI (React, Mantine) from web/ui's package-lock.json, through the npm registry.
    info "building the web UI with npm (about a minute)"
    (
      cd "$src/web/ui"
      npm ci --no-audit --no-fund --loglevel=error
      for workspace in lezer-promql codemirror-promql mantine-ui; do
        npm run build --silent -w "@prometheus-io/$workspace" >/dev/null
      done
      rm -rf static/mantine-ui && mkdir -p static && mv mantine-ui/dist static/mantine-ui
    )
    (cd "$src" && bash scripts/compress_assets.sh)
    tags="builtinassets"
  else
    warn "npm not found: Prometheus is built without its web UI (the API and the tests work)"
  fi
  info "compiling prometheus and promtool (a few minutes on a cold Go cache)"
  mkdir -p "$bin.tmp"
  (cd "$src" && go build -trimpath -tags "$tags" -ldflags "-s -w \
      -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
      -o "$bin.tmp/" ./cmd/prometheus ./cmd/promtool)
  rm -rf "$bin" && mv "$bin.tmp" "$bin"
fi
ctx=$(context_dir prometheus)
cp "$bin/prometheus" "$bin/promtool" "$src/documentation/examples/prometheus.yml" "$src/LICENSE" "$src/NOTICE" "$ctx/"
mkdir -p "$ctx/rootfs/prometheus"
docker_build --build-arg "CERTS_IMAGE=$BASE_IMAGE" -t "$1" -f "$here/Dockerfile" "$ctx"
