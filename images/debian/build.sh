#!/usr/bin/env bash
# debian:<suite>-slim, the base of every offline build: `mmdebstrap --variant=minbase | docker
# import`. Only built when some image has to be built (machines with a registry never need it).
set -euo pipefail
. "$OBSLAB_ROOT/scripts/lib.sh"
image="$1"

if ! command -v mmdebstrap >/dev/null; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    die "mmdebstrap is needed to build $image (apt-get install mmdebstrap, as root)"
  fi
  info "installing mmdebstrap"
  apt_install mmdebstrap
fi
info "mmdebstrap $DEBIAN_SUITE (minbase) | docker import"
# CA certificates added locally on this host (Debian's /usr/local/share/ca-certificates) go
# into the base too: builds behind a TLS-inspecting proxy then trust what the host trusts.
# shellcheck disable=SC2016 # $1 is mmdebstrap's, expanded by its hook
mmdebstrap --quiet --variant=minbase --include=ca-certificates \
  --customize-hook='if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
      cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/"
      chroot "$1" update-ca-certificates >/dev/null 2>&1; fi' \
  "$DEBIAN_SUITE" - http://deb.debian.org/debian \
  | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$image" >/dev/null
