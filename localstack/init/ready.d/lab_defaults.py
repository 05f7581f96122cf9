"""The lab's AWS defaults, created when LocalStack is ready: the CloudWatch Logs group the services
write to (their log shippers do not create it, so that no AWS call happens on their start-up), and
the X-Ray groups and sampling rules of /etc/localstack/xray-defaults (localstack/xray-defaults:
group-*.json and sampling-rule-*.json, in the AWS CLI's --cli-input-json form, which is the API's
request). Existing ones are left alone.

LocalStack runs a ready.d Python hook inside its own process: a fraction of a second, where an
AWS CLI process per call took over a second each.
"""

import json
import os
from pathlib import Path

import boto3

XRAY_DEFAULTS = Path("/etc/localstack/xray-defaults")


def _client(service: str):
    return boto3.client(
        service,
        endpoint_url="http://localhost:4566",
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def create_log_group(logs, name: str) -> None:
    existing = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    if any(group["logGroupName"] == name for group in existing):
        print(f"log group {name} already exists")
    else:
        logs.create_log_group(logGroupName=name)
        print(f"created log group {name}")


def create_xray_defaults(xray, folder: Path) -> None:
    groups = {group["GroupName"] for group in xray.get_groups()["Groups"]}
    for file in sorted(folder.glob("group-*.json")):
        request = json.loads(file.read_text())
        if request["GroupName"] in groups:
            print(f"X-Ray group {request['GroupName']} already exists")
        else:
            xray.create_group(**request)
            print(f"created X-Ray group {request['GroupName']}")
    rules = {record["SamplingRule"]["RuleName"] for record in xray.get_sampling_rules()["SamplingRuleRecords"]}
    for file in sorted(folder.glob("sampling-rule-*.json")):
        request = json.loads(file.read_text())
        name = request["SamplingRule"]["RuleName"]
        if name in rules:
            print(f"X-Ray sampling rule {name} already exists")
        else:
            xray.create_sampling_rule(**request)
            print(f"created X-Ray sampling rule {name}")


create_log_group(_client("logs"), os.environ.get("CLOUDWATCH_LOG_GROUP", "cruddur"))
create_xray_defaults(_client("xray"), XRAY_DEFAULTS)
