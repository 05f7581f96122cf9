#!/bin/bash
# Entrypoint of the locally built localstack/localstack image. Same sequence as upstream's:
# LOCALSTACK_-prefixed settings, the venv, BOOT init hooks, then the supervisor (exec, so that
# signals reach it and `docker stop` shuts LocalStack down cleanly).
set -eo pipefail

# LOCALSTACK_DEBUG=1 means DEBUG=1, as upstream; LOCALSTACK_HOST is a setting of its own.
while IFS='=' read -r name value; do
  case "$name" in
    LOCALSTACK_HOST | LOCALSTACK_HOSTNAME | LOCALSTACK_[0-9]*) ;;
    LOCALSTACK_*) export "${name#LOCALSTACK_}=$value" ;;
  esac
done < <(env)

mkdir -p /var/lib/localstack/logs
# shellcheck disable=SC1091
source /opt/code/localstack/.venv/bin/activate

if [ -d /etc/localstack/init/boot.d ]; then
  python3 -m localstack.runtime.init BOOT
fi

exec localstack-supervisor
