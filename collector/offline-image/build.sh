#!/usr/bin/env bash
# otel/opentelemetry-collector-contrib:<OTELCOL_VERSION> built by the OpenTelemetry Collector
# Builder (ocb) from builder-config.yaml beside this file: only the components ../config.yaml uses.
set -euo pipefail
. "$OBSLAB_ROOT/scripts/lib.sh"
need_go "$1"
here="$(cd "$(dirname "$0")" && pwd)"
manifest="$here/builder-config.yaml"
grep -q "version: $OTELCOL_VERSION\$" "$manifest" \
  || die "$manifest does not build version $OTELCOL_VERSION (OTELCOL_VERSION in .env)"
if grep -E 'gomod: .* v0\.' "$manifest" | grep -vq " v$OTELCOL_VERSION\$"; then
  die "$manifest mixes component versions; all must be v$OTELCOL_VERSION"
fi
ocb="$OBSLAB_CACHE/bin/ocb-$OTELCOL_VERSION" out="$OBSLAB_CACHE/src/otelcol-$OTELCOL_VERSION"
if [ ! -x "$ocb" ]; then
  info "installing the OpenTelemetry Collector Builder v$OTELCOL_VERSION"
  mkdir -p "$OBSLAB_CACHE/gobin-ocb" "$(dirname "$ocb")"
  GOBIN="$OBSLAB_CACHE/gobin-ocb" go install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION"
  mv "$OBSLAB_CACHE/gobin-ocb/builder" "$ocb"
fi
info "generating and compiling the collector (a few minutes on a cold Go cache)"
# The output path belongs to this machine, not to the manifest: add it to a copy.
mkdir -p "$out"
sed "s|^dist:|dist:\n  output_path: $out|" "$manifest" >"$out/builder-config.yaml"
"$ocb" --config "$out/builder-config.yaml" --ldflags "-s -w"
ctx=$(context_dir otel-collector)
cp "$out/otelcol-contrib" "$here/default-config.yaml" "$ctx/"
docker_build --build-arg "CERTS_IMAGE=$BASE_IMAGE" -t "$1" -f "$here/Dockerfile" "$ctx"
