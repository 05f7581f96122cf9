#!/bin/bash
# Creates the CloudWatch Logs group the lab's services write to (their watchtower handlers do
# not create it, so that no AWS call happens on their start-up). Runs when LocalStack is ready.
set -euo pipefail

group="${CLOUDWATCH_LOG_GROUP:-cruddur}"
aws() { command aws --endpoint-url http://localhost:4566 "$@"; }

existing=$(aws logs describe-log-groups --log-group-name-prefix "$group" \
  --query "length(logGroups[?logGroupName=='$group'])" --output text)
if [ "$existing" = "1" ]; then
  echo "log group $group already exists"
else
  aws logs create-log-group --log-group-name "$group"
  echo "created log group $group"
fi
