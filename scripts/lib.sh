# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash

OBSLAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Build caches live outside the checkout so a fresh clone reuses them (CI keeps disk between runs).
if [ "$(id -u)" -eq 0 ]; then
  OBSLAB_CACHE="${OBSLAB_CACHE:-/var/cache/obslab}"
else
  OBSLAB_CACHE="${OBSLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/obslab}"
fi

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Export every KEY=VALUE of .env unless the caller's environment already sets it
# (the same precedence docker compose applies).
load_env() {
  local line key
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    key="${line%%=*}"
    if [ -z "${!key+x}" ]; then export "$key=${line#*=}"; fi
  done <"$OBSLAB_ROOT/.env"
}

# timed LABEL CMD...: run CMD, then report how long it took.
timed() {
  local label="$1" start end
  shift
  start=$(date +%s)
  "$@"
  end=$(date +%s)
  info "$label took $((end - start))s"
}

# apt_install PACKAGE...: install from Debian; refresh the package lists once if that fails.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 || {
    apt-get update >/dev/null
    apt-get install -y --no-install-recommends "$@" >/dev/null
  }
}

image_present() { docker image inspect "$1" >/dev/null 2>&1; }

# --- For the offline image recipes (<component>/offline-image/build.sh, images/*/build.sh) ---
# scripts/build-images.sh runs a recipe's build.sh with .env loaded and RECIPE set.

# docker build, labelled with the recipe hash (RECIPE) that scripts/build-images.sh computed.
docker_build() {
  docker build --label "obslab.recipe=${RECIPE:?set by scripts/build-images.sh}" "$@"
}

need_go() {
  command -v go >/dev/null || die "Go is needed to build $1 from source (no registry reachable). Install Go 1.25+, or use Docker with registry access."
}

# context_dir NAME: a clean build context under the cache.
context_dir() {
  local dir="$OBSLAB_CACHE/context/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "$dir"
}

# go_module_source MODULE@VERSION DEST: a writable copy of a module's source from the Go module
# proxy (verified by the checksum database), kept in the cache.
go_module_source() {
  local dir
  [ -d "$2" ] && return
  info "downloading $1"
  dir=$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || die "could not download $1"
  mkdir -p "$(dirname "$2")"
  cp -r "$dir" "$2.tmp" && chmod -R u+w "$2.tmp" && mv "$2.tmp" "$2"
}

# maven_classpath POM DEST [MVN ARGS...]: the runtime jars of POM's dependencies (from Maven
# Central) copied into DEST. Resolved once per POM and arguments and kept in the cache; Maven's
# own repository is in the cache too. Installs Maven and a JDK from Debian when missing (as root).
maven_classpath() {
  local pom="$1" dest="$2" key cached
  shift 2
  key=$( { cat "$pom"; echo "$@"; } | sha256sum | cut -c1-16)
  cached="$OBSLAB_CACHE/maven-classpath/$key"
  if [ ! -d "$cached" ]; then
    if ! command -v mvn >/dev/null; then
      [ "$(id -u)" -eq 0 ] || die "Maven is needed to build from Maven Central: install Maven and a JDK 17+"
      info "installing Maven and a JDK from Debian"
      apt_install maven default-jdk-headless
    fi
    info "resolving $(basename "$(dirname "$(dirname "$pom")")")'s jars from Maven Central"
    rm -rf "$cached.tmp"
    mvn --batch-mode --quiet -f "$pom" -Dmaven.repo.local="$OBSLAB_CACHE/maven" "$@" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$cached.tmp"
    mv "$cached.tmp" "$cached"
  fi
  mkdir -p "$dest"
  cp "$cached"/*.jar "$dest/"
}
