"""CloudWatch Logs Insights on the lab's own request lines: LocalStack (our plugin) driven with
the AWS CLI as a user would, `make insights`, and the Logs page's Insights tab in Debian's
chromium. Every expected answer is counted from the requests this module sent."""

import json
import os
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
import requests

from .browser import shoot
from .lab import ENV_FILE, ROOT, CliError, aws_cli, new_ids, request_lines

pytestmark = pytest.mark.integration

GROUP = ENV_FILE["CLOUDWATCH_LOG_GROUP"]
HANDLES = ["andrewbrown", "garek", "nosuchuser"]  # the last is a 404 in both services


@pytest.fixture(scope="module")
def sent(lab) -> dict:
    """Nine requests with known trace ids (three of them 404s), their lines in CloudWatch Logs."""
    ids = {}
    for n in range(9):
        handle = HANDLES[n % 3]
        trace = new_ids()
        response = requests.get(f"{lab.backend}/api/activities/@{handle}", headers=trace["headers"], timeout=10)
        ids[trace["otel_trace_id"]] = (handle, response.status_code)
    lines = request_lines(lab, set(ids), 2 * len(ids))  # backend-flask's and users-api's
    return {"ids": ids, "lines": [line for _, line in lines]}


def _in(ids) -> str:
    return "otel_trace_id in [" + ", ".join(f'"{i}"' for i in ids) + "]"


def insights_cli(lab, query: str, *extra: str) -> dict:
    """aws logs start-query, then get-query-results until it is done."""
    now = int(time.time())
    started = aws_cli(lab, "logs", "start-query", "--log-group-name", GROUP, "--start-time", str(now - 3600),
                      "--end-time", str(now + 60), "--query-string", query, *extra)  # fmt: skip
    for _ in range(100):
        answer = aws_cli(lab, "logs", "get-query-results", "--query-id", started["queryId"])
        if answer["status"] not in ("Scheduled", "Running"):
            return {**answer, "queryId": started["queryId"]}
        time.sleep(0.2)
    raise AssertionError(f"the query {query!r} was still running after 20 s")


def _rows(answer: dict) -> list[dict]:
    return [{cell["field"]: cell["value"] for cell in row} for row in answer["results"]]


def test_stats_count_what_the_services_logged_per_service_and_status(lab, sent):
    answer = insights_cli(
        lab, f"filter {_in(sent['ids'])} | stats count(*) as n by service, status | sort service, status"
    )
    assert answer["status"] == "Complete"
    got = {(r["service"], r["status"]): int(r["n"]) for r in _rows(answer)}
    expected: dict = {}
    for line in sent["lines"]:
        key = (line["service"], str(line["status"]))
        expected[key] = expected.get(key, 0) + 1
    assert got == expected
    assert answer["statistics"]["recordsMatched"] == len(sent["lines"])
    assert answer["statistics"]["recordsScanned"] >= len(sent["lines"])


def test_sort_and_limit_give_the_newest_lines_with_pointers_to_their_records(lab, sent):
    answer = insights_cli(lab, f"filter {_in(sent['ids'])} | fields @timestamp, otel_trace_id, service "
                               "| sort @timestamp desc | limit 3")  # fmt: skip
    rows = _rows(answer)
    assert len(rows) == 3
    stamps = [r["@timestamp"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    assert rows[0]["otel_trace_id"] == list(sent["ids"])[-1]  # the last request sent
    record = aws_cli(lab, "logs", "get-log-record", "--log-record-pointer", rows[0]["@ptr"])["logRecord"]
    assert record["otel_trace_id"] == rows[0]["otel_trace_id"] and record["service"] == rows[0]["service"]
    assert json.loads(record["@message"])["otel_trace_id"] == rows[0]["otel_trace_id"]
    assert record["@log"].endswith(f":{GROUP}")


def test_percentiles_and_bins_answer_from_the_lines_themselves(lab, sent):
    backend = sorted(line["duration_ms"] for line in sent["lines"] if line["service"] == "backend-flask")
    stats = "stats max(duration_ms) as slowest, min(duration_ms) as fastest, count(*) as n by bin(1h)"
    answer = insights_cli(lab, f"filter {_in(sent['ids'])} and service = 'backend-flask' | {stats}")
    rows = _rows(answer)
    assert sum(int(r["n"]) for r in rows) == len(backend)
    assert max(float(r["slowest"]) for r in rows) == pytest.approx(backend[-1])
    assert min(float(r["fastest"]) for r in rows) == pytest.approx(backend[0])
    assert all(r["bin(1h)"].endswith(":00:00.000") for r in rows)


def test_a_malformed_query_is_refused_with_cloudwatchs_error(lab):
    with pytest.raises(CliError) as error:
        insights_cli(lab, "filter status >= | stats count()")
    assert error.value.code == "MalformedQueryException"
    assert "found '|' at position 17" in str(error.value)


@pytest.mark.parametrize(
    "args, code",
    [
        (["--log-group-name", "no-such-group", "--query-string", "stats count()"], "ResourceNotFoundException"),
        (["--log-group-name", GROUP, "--query-string", "fields nosuch(status)"], "MalformedQueryException"),
        (["--log-group-name", GROUP, "--query-string", "fields avg(status)"], "MalformedQueryException"),
        (["--log-group-name", GROUP, "--query-string", "SELECT 1", "--query-language", "SQL"],
         "InvalidParameterException"),
    ],
)  # fmt: skip
def test_what_start_query_refuses_it_refuses_as_cloudwatch_does(lab, args, code):
    now = int(time.time())
    with pytest.raises(CliError) as error:
        aws_cli(lab, "logs", "start-query", "--start-time", str(now - 60), "--end-time", str(now), *args)
    assert error.value.code == code


def test_a_pointer_that_no_query_gave_is_refused(lab):
    with pytest.raises(CliError) as error:
        aws_cli(lab, "logs", "get-log-record", "--log-record-pointer", "not-a-pointer")
    assert error.value.code == "InvalidParameterException"


def test_queries_are_listed_and_a_finished_one_cannot_be_stopped(lab, sent):
    answer = insights_cli(lab, "stats count()")
    listed = aws_cli(lab, "logs", "describe-queries", "--log-group-name", GROUP)["queries"]
    mine = [q for q in listed if q["queryId"] == answer["queryId"]]
    assert mine and mine[0]["status"] == "Complete" and mine[0]["queryString"] == "stats count()"
    assert aws_cli(lab, "logs", "stop-query", "--query-id", answer["queryId"])["success"] is False


def test_make_insights_prints_the_table(lab, sent):
    handle_404 = sum(1 for _, status in sent["ids"].values() if status == 404)
    result = subprocess.run(
        [sys.executable, "scripts/insights.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "CONSOLE_URL": lab.console, "SINCE": "1h",
             "Q": f"filter {_in(sent['ids'])} and service = 'backend-flask' | stats count(*) as n by status"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    cells = [line.split() for line in result.stdout.splitlines()[2:]]
    table = {row[0]: row[1] for row in cells if len(row) == 2 and row[0].isdigit()}
    assert table["404"] == str(handle_404) and table["200"] == str(len(sent["ids"]) - handle_404)
    assert "records matched" in result.stdout

    bad = subprocess.run(
        [sys.executable, "scripts/insights.py"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "CONSOLE_URL": lab.console, "Q": "stats count( by"},
    )  # fmt: skip
    assert bad.returncode == 1
    assert "stats count( by\n" in bad.stderr and "^^" in bad.stderr  # the caret under "by"


@pytest.fixture
def page(new_page):
    return new_page()


def _run(page, query: str) -> None:
    page.fill("#insights-query", query)
    page.click("#insights-run")
    page.wait_for_selector("body[data-idle=true]")


def test_the_insights_tab_draws_bars_for_a_grouped_query_and_links_lines_to_traces(page, lab, sent):
    query = f"filter {_in(sent['ids'])} | stats count(*) as n by service"
    page.goto(f"{lab.console}/logs?tab=insights&q={quote(query)}")
    page.wait_for_selector("#insights-chart .main-svg")
    assert page.locator("#insights-chart .bars path").count() == 2  # one bar per service
    cells = page.eval_on_selector_all("#insights-results tbody tr", "rows => rows.map(r => r.innerText)")
    assert sorted(cells) == sorted(f"{s}\t{n}" for s, n in {"backend-flask": 9, "users-api": 9}.items())
    shoot(page, "insights-bars")

    # A line query: rows with their trace links, and a row opens its whole record.
    _run(page, f"fields @timestamp, service, status, otel_trace_id | filter {_in(sent['ids'])} | sort @timestamp desc")
    assert page.locator("#insights-results tbody tr").count() == 18
    assert not page.locator("#insights-chart").is_visible()
    first = page.locator("#insights-results tbody tr").first
    trace = first.locator("td").nth(3).inner_text()
    assert first.locator(f'a.to-console[href="/?trace={trace}"]').count() == 1
    first.click()
    page.wait_for_selector("#insights-record:not([hidden])")
    assert json.loads(page.inner_text("#insights-record"))["otel_trace_id"] == trace


def test_the_insights_tab_draws_lines_for_bins_and_shows_where_a_query_is_malformed(page, lab, sent):
    page.goto(f"{lab.console}/logs")
    page.click("#tab-insights")
    page.get_by_role("button", name="Requests per 5 minutes per service").click()
    page.wait_for_selector("body[data-idle=true] #insights-chart .scatterlayer .trace")
    assert page.locator("#insights-chart .scatterlayer .trace").count() >= 2  # a line per service
    assert "tab=insights" in page.url
    shoot(page, "insights-lines")

    _run(page, "stats count( by service")
    assert "found 'by' at position 13" in page.inner_text("#message")
    selected = page.evaluate("[document.activeElement.id, document.activeElement.selectionStart]")
    assert selected == ["insights-query", 13]
