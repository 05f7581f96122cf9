#!/usr/bin/env bash
# jaegertracing/jaeger:<JAEGER_VERSION> compiled from the Go module at JAEGER_SOURCE_TAG (the
# same commit; see ../README.md for why), in a FROM scratch image laid out like upstream's.
set -euo pipefail
. "$OBSLAB_ROOT/scripts/lib.sh"
need_go "$1"
src="$OBSLAB_CACHE/src/jaeger-$JAEGER_SOURCE_TAG" bin="$OBSLAB_CACHE/bin/jaeger-$JAEGER_VERSION"
# Built as the main module from the proxy's source zip: its go.mod has a replace directive,
# which `go install module@version` refuses.
go_module_source "github.com/jaegertracing/jaeger@$JAEGER_SOURCE_TAG" "$src"
if [ ! -x "$bin" ]; then
  info "compiling jaeger (a few minutes on a cold Go cache)"
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$bin.tmp" ./cmd/jaeger) && mv "$bin.tmp" "$bin"
fi
ctx=$(context_dir jaeger)
cp "$bin" "$ctx/jaeger"
cp "$src/cmd/jaeger/sampling-strategies.json" "$ctx/"
mkdir -p "$ctx/rootfs" && mkdir -m 1777 "$ctx/rootfs/tmp"
docker_build --build-arg "CERTS_IMAGE=$BASE_IMAGE" -t "$1" -f "$(dirname "$0")/Dockerfile" "$ctx"
