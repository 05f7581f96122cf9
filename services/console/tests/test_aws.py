"""The console's X-Ray calls, with LocalStack's answer stood in for (what the real one answers is
tests/integration/test_console_aws.py's job)."""

import pytest

from console import aws


def _summaries(count: int) -> list[dict]:
    return [{"Id": f"1-00000000-{n:024x}"} for n in range(count)]


@pytest.mark.parametrize(
    "found, next_token, truncated",
    [(5, None, False), (aws.TRACE_SUMMARIES_LIMIT, None, False), (aws.TRACE_SUMMARIES_LIMIT + 1, None, True),
     (3, "more", True)],
)  # fmt: skip
def test_the_trace_list_says_when_it_stops_at_its_limit(monkeypatch, found, next_token, truncated):
    answer = {"TraceSummaries": _summaries(found), "TracesProcessedCount": 500}
    if next_token:
        answer["NextToken"] = next_token
    monkeypatch.setattr(aws, "call", lambda *args, **kwargs: answer)
    listed = aws.trace_summaries(None, None, None)
    assert len(listed["summaries"]) == min(found, aws.TRACE_SUMMARIES_LIMIT)
    assert (listed["truncated"], listed["limit"], listed["processed"]) == (truncated, aws.TRACE_SUMMARIES_LIMIT, 500)
