"""Follow the lab's CloudWatch log group in LocalStack (make cw-logs).

    python scripts/cw_logs.py [--minutes 5] [--no-follow]

Prints one line per event: time, stream, and the request line's fields (JSON lines are shown
as key=value); then waits for new events until Ctrl+C.
"""

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_env import aws_client, explain, localstack_url, setting  # noqa: E402

POLL_SECONDS = 2


def format_event(event: dict) -> str:
    when = datetime.fromtimestamp(event["timestamp"] / 1000, UTC).strftime("%H:%M:%S")
    try:
        fields = json.loads(event["message"])
        message = (
            " ".join(f"{key}={value}" for key, value in fields.items())
            if isinstance(fields, dict)
            else event["message"]
        )
    except (ValueError, RecursionError):
        message = event["message"]
    return f"{when}  {event['logStreamName']}  {message}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", default=setting("CLOUDWATCH_LOG_GROUP"))
    parser.add_argument("--minutes", type=float, default=5, help="how far back to start")
    parser.add_argument("--no-follow", action="store_true", help="print what is there and stop")
    parser.add_argument("--endpoint", default=localstack_url())
    args = parser.parse_args()

    logs = aws_client("logs", args.endpoint)
    since = int((time.time() - args.minutes * 60) * 1000)
    seen: set[str] = set()
    print(f"Log group {args.group} at {args.endpoint}" + ("" if args.no_follow else " (Ctrl+C stops)"), file=sys.stderr)
    try:
        while True:
            events = []
            for page in logs.get_paginator("filter_log_events").paginate(logGroupName=args.group, startTime=since):
                events += page["events"]
            for event in sorted(events, key=lambda e: e["timestamp"]):
                if event["eventId"] not in seen:
                    seen.add(event["eventId"])
                    print(format_event(event), flush=True)
                    since = max(since, event["timestamp"])
            if args.no_follow:
                return 0
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        return 0
    except (ClientError, BotoCoreError) as error:
        return explain(error, args.endpoint)


if __name__ == "__main__":
    sys.exit(main())
