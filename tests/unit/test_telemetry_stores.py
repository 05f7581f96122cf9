"""The shared reader of request lines (scripts, the drill, the bench and the tests use it) with
CloudWatch Logs' answer stood in for: anyone may write to the log group, and a line that is not
a request line must not stop it from reading the others."""

import json

from telemetry_stores import logged_otel_trace_ids, request_lines


class _Logs:
    def __init__(self, messages: list[str]):
        self.messages = messages

    def get_paginator(self, operation: str):
        assert operation == "filter_log_events"
        return self

    def paginate(self, **_):
        yield {"events": [{"logStreamName": "s", "message": m} for m in self.messages]}


def test_lines_that_are_not_json_objects_are_passed_over():
    good = {"otel_trace_id": "ab" * 16, "status": 200}
    logs = _Logs(["not json <script>", "[1, 2]", "3", "[" * 100_000, json.dumps({"otel_trace_id": ["a"]}),
                  json.dumps(good)])  # fmt: skip
    assert list(request_lines(logs, "cruddur")) == [("s", {"otel_trace_id": ["a"]}), ("s", good)]
    assert logged_otel_trace_ids(logs, "cruddur", 0) == {"ab" * 16}
