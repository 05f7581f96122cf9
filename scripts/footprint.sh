#!/usr/bin/env bash
# Resident memory (RSS, from /proc) of every process in each of the lab's running containers,
# in MiB, and their sum: `scripts/footprint.sh [compose project]` (default: the lab's).
# docker stats reports cgroup memory instead, which counts the page cache (Prometheus's and
# Jaeger's storage files) too.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env
project="${1:-$COMPOSE_PROJECT_NAME}"
mib() { awk -v kib="$1" 'BEGIN { printf "%.1f", kib / 1024 }'; }
rows=()
total=0
for id in $(docker ps -q --filter "label=com.docker.compose.project=$project"); do
  name=$(docker inspect -f '{{.Name}}' "$id")
  procs=$(find /sys/fs/cgroup -path "*$(docker inspect -f '{{.Id}}' "$id")*" -name cgroup.procs 2>/dev/null | head -1)
  kib=0
  while read -r pid; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    kib=$((kib + ${rss:-0}))
  done <"$procs"
  total=$((total + kib))
  rows+=("$(printf '%-28s %8s' "${name#/}" "$(mib "$kib")")")
done
printf '%-28s %8s\n' container "RSS MiB"
printf '%s\n' "${rows[@]}" | sort
printf '%-28s %8s\n' total "$(mib "$total")"
