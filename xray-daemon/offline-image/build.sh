#!/usr/bin/env bash
# amazon/aws-xray-daemon:<XRAY_DAEMON_VERSION> compiled from the daemon's Go sources, with the
# dependencies pinned in go.mod beside this file (see ../README.md for why this version).
set -euo pipefail
. "$OBSLAB_ROOT/scripts/lib.sh"
need_go "$1"
here="$(cd "$(dirname "$0")" && pwd)"
ctx=$(context_dir xray-daemon)
info "compiling the X-Ray daemon v$XRAY_DAEMON_VERSION"
(cd "$here" && go build -mod=readonly -trimpath -ldflags "-s -w" -o "$ctx/xray" github.com/aws/aws-xray-daemon/daemon)
"$ctx/xray" --version | grep -q "version: $XRAY_DAEMON_VERSION\$" \
  || die "$here/go.mod does not build daemon $XRAY_DAEMON_VERSION (XRAY_DAEMON_VERSION in .env)"
src=$(cd "$here" && go list -m -f '{{.Dir}}' github.com/aws/aws-xray-daemon)
cp "$src/daemon/cfg.yaml" "$ctx/cfg.yaml"
docker_build --build-arg "CERTS_IMAGE=$BASE_IMAGE" -t "$1" -f "$here/Dockerfile" "$ctx"
