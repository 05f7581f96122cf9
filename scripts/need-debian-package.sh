#!/usr/bin/env bash
# need-debian-package.sh COMMAND PACKAGE: make sure COMMAND exists, installing PACKAGE from
# Debian when it is missing (as root); elsewhere, say what to install. Used by `make lint`
# (shellcheck) and `make test` (chromium, for the console's browser tests).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command="$1" package="$2"
command -v "$command" >/dev/null && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  step "Installing $package from Debian"
  apt_install "$package"
  command -v "$command" >/dev/null || die "$package is installed but $command is not on the PATH"
else
  die "$command is needed: install the Debian package $package (apt-get install $package) or your system's equivalent"
fi
