#!/usr/bin/env bash
# Make sure a Docker engine runs and Docker Compose v2+ is installed.
# Nothing to do (and fast) where both already work. Otherwise, on a Debian host as root, it
# installs docker.io from Debian, starts dockerd, and builds Compose from source with Go.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env

DOCKERD_LOG=/var/log/obslab-dockerd.log

engine_ok() { docker info >/dev/null 2>&1; }

compose_major() {
  local v
  v=$(docker compose version --short 2>/dev/null) || return 1
  v="${v#v}"
  echo "${v%%.*}"
}

compose_ok() {
  local major
  major=$(compose_major) || return 1
  [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -ge 2 ]
}

can_install() { [ "$(id -u)" -eq 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }

cannot_install() {
  die "$1
  This lab needs a running Docker engine and Docker Compose v2 or newer.
  Install Docker Engine with the Compose plugin (https://docs.docker.com/engine/install/),
  make sure 'docker info' and 'docker compose version' work for your user, then run this again.
  (Automatic installation only runs as root on Debian.)"
}

install_engine() {
  if ! command -v dockerd >/dev/null; then
    can_install || cannot_install "No Docker engine found."
    step "Installing docker.io from Debian"
    apt_install docker.io
  fi
  [ "$(id -u)" -eq 0 ] || cannot_install "dockerd is installed but not running, and starting it needs root."
  step "Starting dockerd"
  if [ -d /run/systemd/system ] && systemctl start docker 2>/dev/null; then
    info "started with systemd"
  else
    nohup dockerd >"$DOCKERD_LOG" 2>&1 &
    info "started in the background (log: $DOCKERD_LOG)"
  fi
  local i
  for i in $(seq 1 60); do
    engine_ok && { info "engine ready after ${i}s"; return; }
    sleep 1
  done
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  die "dockerd did not become ready within 60s"
}

install_compose() {
  command -v go >/dev/null || cannot_install "Docker Compose v2+ is missing and Go is not installed to build it."
  local plugins
  if [ "$(id -u)" -eq 0 ]; then plugins=/usr/local/lib/docker/cli-plugins; else plugins="$HOME/.docker/cli-plugins"; fi
  step "Building Docker Compose $COMPOSE_VERSION from source (go install)"
  local gobin="$OBSLAB_CACHE/compose-$COMPOSE_VERSION"
  mkdir -p "$gobin" "$plugins"
  # The version is set by ldflags in upstream releases; without it the plugin reports "dev".
  GOBIN="$gobin" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION" \
    "github.com/docker/compose/v5/cmd@$COMPOSE_VERSION"
  install -m 0755 "$gobin/cmd" "$plugins/docker-compose"
  compose_ok || die "Compose was installed to $plugins but 'docker compose version' still fails"
}

if engine_ok && compose_ok; then
  info "Docker engine and Compose $(docker compose version --short) ready"
  exit 0
fi
command -v docker >/dev/null || can_install || cannot_install "No docker command found."
case "$(docker info 2>&1 || true)" in
  *"permission denied"*)
    die "Docker runs, but this user may not use it: add the user to the 'docker' group and log in again, or run as root." ;;
esac
engine_ok || install_engine
compose_ok || timed "Compose build" install_compose
info "Docker engine $(docker version --format '{{.Server.Version}}') and Compose $(docker compose version --short) ready"
