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
# The release's own version, stamped as upstream's Makefile does: `jaeger version` reports it.
stamped() { "$bin" version 2>/dev/null | grep -q "\"gitVersion\":\"v$JAEGER_VERSION\""; }
if [ ! -x "$bin" ] || ! stamped; then
  info "compiling jaeger (a few minutes on a cold Go cache)"
  mkdir -p "$(dirname "$bin")"
  version="github.com/jaegertracing/jaeger/internal/version"
  (cd "$src" && go build -trimpath -ldflags "-s -w -X $version.latestVersion=v$JAEGER_VERSION" \
    -o "$bin.tmp" ./cmd/jaeger) && mv "$bin.tmp" "$bin"
  stamped || die "$bin does not report version v$JAEGER_VERSION"
fi
ctx=$(context_dir jaeger)
cp "$bin" "$ctx/jaeger"
cp "$src/cmd/jaeger/sampling-strategies.json" "$ctx/"
mkdir -p "$ctx/rootfs" && mkdir -m 1777 "$ctx/rootfs/tmp"
docker_build --build-arg "CERTS_IMAGE=$BASE_IMAGE" -t "$1" -f "$(dirname "$0")/Dockerfile" "$ctx"
