#!/bin/bash
# Creates the lab's X-Ray defaults from /etc/localstack/xray-defaults (src/localstack/xray-defaults in the repo):
# group-*.json and sampling-rule-*.json, in the AWS CLI's --cli-input-json form. Existing ones
# are left alone. Runs when LocalStack is ready.
set -euo pipefail
shopt -s nullglob

aws() { command aws --endpoint-url http://localhost:4566 "$@"; }
# field FILE KEY...: the value at that path of a JSON file.
field() {
  python3 -c 'import functools, json, sys
print(functools.reduce(lambda d, k: d[k], sys.argv[2:], json.load(open(sys.argv[1]))))' "$@"
}

for file in /etc/localstack/xray-defaults/group-*.json; do
  name=$(field "$file" GroupName)
  if aws xray get-group --group-name "$name" >/dev/null 2>&1; then
    echo "X-Ray group $name already exists"
  else
    aws xray create-group --cli-input-json "file://$file" >/dev/null
    echo "created X-Ray group $name"
  fi
done

for file in /etc/localstack/xray-defaults/sampling-rule-*.json; do
  name=$(field "$file" SamplingRule RuleName)
  existing=$(aws xray get-sampling-rules --query "length(SamplingRuleRecords[?SamplingRule.RuleName=='$name'])" --output text)
  if [ "$existing" = "1" ]; then
    echo "X-Ray sampling rule $name already exists"
  else
    aws xray create-sampling-rule --cli-input-json "file://$file" >/dev/null
    echo "created X-Ray sampling rule $name"
  fi
done
