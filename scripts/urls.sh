#!/usr/bin/env bash
# Print where each part of the running lab answers (ports from .env or the environment).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env

cat <<EOF
Cruddur API (backend-flask)   http://127.0.0.1:${BACKEND_PORT}/api/activities/home
  its fault knobs             http://127.0.0.1:${BACKEND_PORT}/admin/faults
users-api                     http://127.0.0.1:${USERS_API_PORT}/users/@worf
  its fault knobs             http://127.0.0.1:${USERS_API_PORT}/admin/faults
Jaeger UI and query API       http://127.0.0.1:${JAEGER_UI_PORT}/
  its Monitor tab (metrics)   http://127.0.0.1:${JAEGER_UI_PORT}/monitor
Prometheus                    http://127.0.0.1:${PROMETHEUS_PORT}/
Lab console (query spans)     http://127.0.0.1:${CONSOLE_PORT}/
  X-Ray, CloudWatch Logs      http://127.0.0.1:${CONSOLE_PORT}/xray   http://127.0.0.1:${CONSOLE_PORT}/logs
OTLP into the collector       grpc 127.0.0.1:${OTLP_GRPC_PORT}   http http://127.0.0.1:${OTLP_HTTP_PORT}
LocalStack (X-Ray, Logs)      http://127.0.0.1:${LOCALSTACK_PORT}/_localstack/health
X-Ray daemon (UDP)            127.0.0.1:${XRAY_DAEMON_PORT}
Locust web UI (make load-ui)  http://127.0.0.1:${LOCUST_UI_PORT}/
EOF
# The scale profile's own (make up SCALE=1), when its OpenSearch runs.
if docker compose -f "$OBSLAB_ROOT/compose.yaml" -f "$OBSLAB_ROOT/compose.scale.yaml" ps --quiet opensearch 2>/dev/null | grep -q .; then
  cat <<EOF
OpenSearch (scale profile)    http://127.0.0.1:${OPENSEARCH_PORT}/_cat/indices/jaeger-*?v
OTLP into Jaeger's collector  grpc 127.0.0.1:${JAEGER_COLLECTOR_OTLP_PORT}
EOF
fi
