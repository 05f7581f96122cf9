#!/usr/bin/env bash
# Makes sure `make lint` has shellcheck: installed from Debian when missing (as root), else says how.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v shellcheck >/dev/null && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  step "Installing shellcheck from Debian"
  apt_install shellcheck
else
  die "shellcheck is needed by make lint: install it (apt-get install shellcheck, brew install shellcheck)"
fi
