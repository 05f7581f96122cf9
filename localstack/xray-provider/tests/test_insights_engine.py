"""Logs Insights' language over log lines whose answers each test works out by itself in plain
Python: CloudWatch's documented example queries kept as data, malformed queries with the
position CloudWatch would name, and Hypothesis-generated lines and filters."""

import json
import math
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from obslab_insights import engine
from obslab_insights.language import QueryError
from obslab_insights.records import MAX_FIELDS, FieldCache

T0 = 1_767_225_600_000  # 2026-01-01 00:00:00 UTC
ROUTES = ["/api/activities/home", "/users/@<handle>", "/api/message_groups", "/health"]


def _lines(n: int = 400) -> list[dict]:
    lines = []
    for i in range(n):
        status = 500 if i % 13 == 0 else 404 if i % 17 == 0 else 200
        line = {"service": ["backend-flask", "users-api"][i % 2], "route": ROUTES[i % 4], "method": "GET",
                "status": status, "duration_ms": round((i * 37 % 500) / 3, 3), "otel_trace_id": f"{i:032x}",
                "user": {"handle": ["andrew", "garek", "bob"][i % 3]}}  # fmt: skip
        lines.append(line)
    return lines


def _event(i: int, timestamp: int, message: str) -> SimpleNamespace:
    return SimpleNamespace(timestamp=timestamp, ingestion_time=timestamp + 3, message=message, event_id=i)


def _events(lines: list[dict], step_ms: int = 7_000) -> list:
    return [_event(i, T0 + i * step_ms, json.dumps(line)) for i, line in enumerate(lines)]


LINES = _lines()
EVENTS = _events(LINES)
STAMP = {id(line): T0 + i * 7_000 for i, line in enumerate(LINES)}


def run(query: str, events=EVENTS, **kwargs) -> engine.Result:
    return engine.run(query, [("000:/cruddur", "backend", ("k", id(events)), events)], **kwargs)


def _fmt(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


def _nearest_rank(values, p):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def _table(result) -> list[dict]:
    return [{k: (str(v) if v is not None else None) for k, v in row.items()} for row in result.rows]


# --- The documented examples, each with its answer worked out independently ---


def expect_errors_per_5m():
    counts = Counter((STAMP[id(x)] // 300_000 * 300_000) for x in LINES if x["status"] >= 400)
    return [{"bin(5m)": _fmt(b), "count()": str(n)} for b, n in sorted(counts.items())]


def expect_count_by_service():
    counts = Counter(x["service"] for x in LINES)
    return sorted(({"service": s, "count()": str(n)} for s, n in counts.items()), key=lambda r: r["service"])


def expect_p90_per_route():
    groups = defaultdict(list)
    for x in LINES:
        groups[x["route"]].append(x["duration_ms"])
    answer = [{"route": r, "p90": str(_nearest_rank(v, 90))} for r, v in groups.items()]
    return sorted(answer, key=lambda r: -float(r["p90"]))


def expect_newest_three():
    return [{"@timestamp": _fmt(STAMP[id(x)]), "@message": json.dumps(x)} for x in LINES[::-1][:3]]


def expect_errors_per_route():
    counts = Counter(x["route"] for x in LINES if x["status"] >= 500)
    return sorted(
        ({"route": r, "errors": str(n)} for r, n in counts.items()), key=lambda r: (-int(r["errors"]), r["route"])
    )


def expect_slow_users():
    slow = [x for x in LINES if x["duration_ms"] > 150 and x["user"]["handle"] != "bob"]
    return [{"user.handle": h, "n": str(n)} for h, n in sorted(Counter(x["user"]["handle"] for x in slow).items())]


def expect_stats_family():
    values = [x["duration_ms"] for x in LINES if x["service"] == "users-api"]
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return [{"count(*)": str(len(values)), "sum": str(sum(values)), "avg": str(mean), "min": str(min(values)),
             "max": str(max(values)), "sd": str(sd),
             "routes": str(len({x["route"] for x in LINES if x["service"] == "users-api"}))}]  # fmt: skip


def expect_first_and_last():
    errors = [x for x in LINES if x["status"] == 500]
    return [
        {"earliest(otel_trace_id)": errors[0]["otel_trace_id"], "latest(otel_trace_id)": errors[-1]["otel_trace_id"]}
    ]


def expect_dedup_route():
    seen, out = set(), []
    for x in LINES[::-1]:
        if x["route"] not in seen:
            seen.add(x["route"])
            out.append({"route": x["route"], "status": str(x["status"])})
    return out


def expect_fields_functions():
    x = LINES[0]
    return [{"r": x["route"].upper(), "len": str(len(x["route"])), "ms": str(int(x["duration_ms"] * 1000)),
             "floor": _fmt(STAMP[id(x)] // 3_600_000 * 3_600_000)}]  # fmt: skip


def expect_in_and_like():
    chosen = [x for x in LINES if x["status"] in (404, 500) and re.search(r"users|home", x["route"])]
    return [{"count()": str(len(chosen))}]


def expect_parse_glob():
    handles = Counter(x["user"]["handle"] for x in LINES)
    return [{"handle": h, "count()": str(n)} for h, n in sorted(handles.items())]


EXAMPLES = {
    "filter status >= 400 | stats count() by bin(5m)": expect_errors_per_5m,
    "stats count() by service | sort service asc": expect_count_by_service,
    "stats pct(duration_ms, 90) as p90 by route | sort p90 desc": expect_p90_per_route,
    "fields @timestamp, @message | sort @timestamp desc | limit 3": expect_newest_three,
    "filter status >= 500 | stats count(*) as errors by route | sort errors desc, route asc": expect_errors_per_route,
    "filter duration_ms > 150 and user.handle != 'bob' | stats count() as n by user.handle | sort user.handle":
        expect_slow_users,
    "filter service = \"users-api\" | stats count(*), sum(duration_ms) as sum, avg(duration_ms) as avg, "
    "min(duration_ms) as min, max(duration_ms) as max, stddev(duration_ms) as sd, count_distinct(route) as routes":
        expect_stats_family,
    "filter status = 500 | stats earliest(otel_trace_id), latest(otel_trace_id)": expect_first_and_last,
    "sort @timestamp desc | dedup route | display route, status": expect_dedup_route,
    "fields toupper(route) as r, strlen(route) as len, duration_ms * 1000 as ms, datefloor(@timestamp, 1h) as floor "
    "| limit 1 | display r, len, ms, floor": expect_fields_functions,
    "filter status in [404, 500] and route like /users|home/ | stats count()": expect_in_and_like,
    'parse @message "\\"handle\\": \\"*\\"" as handle | stats count() by handle | sort handle':
        expect_parse_glob,
}  # fmt: skip


# CloudWatch's own sample queries ("Sample queries" in the Logs Insights guide), as written there,
# over text lines in the shape they parse: "user=<u>, method:<m>, latency := <ms>", some after an
# exception. Their answers, worked out here with plain string handling.
TEXT_LINES = [
    ("java.lang.RuntimeException: boom " if i % 7 == 0 else "")
    + f"user={['ana', 'bo'][i % 2]}, method:{['GET', 'PUT', 'GET'][i % 3]}, latency := {i * 3 % 40}"
    for i in range(120)
]
TEXT_EVENTS = [_event(i, T0 + i * 45_000, line) for i, line in enumerate(TEXT_LINES)]


def _text_fields(line: str) -> dict:
    user = line.split("user=")[1].split(",")[0]
    method = line.split("method:")[1].split(",")[0]
    return {"user": user, "method": method, "latency": line.split("latency := ")[1]}


def expect_sample_newest():
    return [{"@timestamp": _fmt(e.timestamp), "@message": e.message} for e in TEXT_EVENTS[::-1][:25]]


def expect_sample_per_30s():
    counts = Counter(e.timestamp // 30_000 * 30_000 for e in TEXT_EVENTS)
    return [{"bin(30s)": _fmt(b), "count(*)": str(n)} for b, n in sorted(counts.items())]


def expect_sample_exceptions_per_hour():
    counts = Counter(e.timestamp // 3_600_000 * 3_600_000 for e in TEXT_EVENTS if "Exception" in e.message)
    ordered = sorted(counts.items(), key=lambda item: -item[1])
    return [{"bin(1h)": _fmt(b), "exceptionCount": str(n)} for b, n in ordered]


def expect_sample_latency_by_method_and_user():
    groups = defaultdict(list)
    for line in TEXT_LINES:
        fields = _text_fields(line)
        groups[(fields["method"], fields["user"])].append(int(fields["latency"]))
    return [{"@method": m, "@user": u, "avg(@latency)": str(sum(v) / len(v))} for (m, u), v in groups.items()]


def expect_sample_errors_case_blind():
    counts = Counter(
        e.timestamp // 300_000 * 300_000 for e in TEXT_EVENTS if re.search("(?i)(exception|error|fail)", e.message)
    )
    return [{"bin(5m)": _fmt(b), "count()": str(n)} for b, n in sorted(counts.items())]


SAMPLES = {
    "fields @timestamp, @message | sort @timestamp desc | limit 25": expect_sample_newest,
    "stats count(*) by bin(30s)": expect_sample_per_30s,
    "filter @message like /Exception/ | stats count(*) as exceptionCount by bin(1h) | sort exceptionCount desc":
        expect_sample_exceptions_per_hour,
    'parse @message "user=*, method:*, latency := *" as @user, @method, @latency '
    "| stats avg(@latency) by @method, @user": expect_sample_latency_by_method_and_user,
    "filter @message like /(?i)(Exception|error|fail)/ | stats count() by bin(5m)": expect_sample_errors_case_blind,
}  # fmt: skip


def _assert_same_table(got: list[dict], want: list[dict]) -> None:
    # Floats as text: compare as numbers where both read as numbers.
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want, strict=True):
        assert set(g) == set(w), (g, w)
        for key in w:
            try:
                assert math.isclose(float(g[key]), float(w[key]), rel_tol=1e-9), (key, g, w)
            except ValueError:
                assert g[key] == w[key], (key, g, w)


@pytest.mark.parametrize("query", list(EXAMPLES))
def test_a_documented_query_answers_what_plain_python_works_out(query):
    _assert_same_table(_table(run(query)), EXAMPLES[query]())


@pytest.mark.parametrize("query", list(SAMPLES))
def test_cloudwatchs_own_sample_queries_answer_what_plain_python_works_out(query):
    _assert_same_table(_table(run(query, TEXT_EVENTS)), SAMPLES[query]())


def test_statistics_count_what_was_scanned_and_matched():
    result = run("filter status >= 500 | stats count()")
    assert result.records_scanned == len(LINES)
    assert result.records_matched == sum(x["status"] >= 500 for x in LINES)
    assert result.bytes_scanned == sum(len(json.dumps(x)) for x in LINES)


def test_without_fields_a_row_has_the_discovered_defaults_and_points_at_its_event():
    result = run("filter status = 404 | limit 2")
    assert result.columns == ["@timestamp", "@message", "@logStream", "@log"]
    assert [event.event_id for event, _ in result.pointers] == [i for i, x in enumerate(LINES) if x["status"] == 404][
        :2
    ]
    assert result.rows[0]["@log"] == "000:/cruddur" and result.rows[0]["@logStream"] == "backend"


def test_stats_rows_have_no_pointer():
    assert run("stats count() by route").pointers == []


def test_the_time_range_is_inclusive():
    events = EVENTS[:10]
    inside = engine.run("stats count()", [("g", "s", ("k",), events)], events[2].timestamp, events[5].timestamp)
    assert inside.rows == [{"count()": 4}]
    shuffled = [events[i] for i in (5, 0, 9, 2, 7, 3)]  # out of order: read event by event, not bisected
    inside = engine.run("stats count()", [("g", "s", ("k",), shuffled)], events[2].timestamp, events[5].timestamp)
    assert inside.rows == [{"count()": 3}]


def test_the_query_limit_caps_the_rows():
    assert len(run("fields route", limit=7).rows) == 7


def test_lines_that_are_not_json_have_only_the_discovered_fields():
    events = _events([{"status": 500}]) + [_event(9, T0, "status 500"), _event(10, T0, "[1, 2]")]
    assert run("filter status = 500 | stats count()", events).rows == [{"count()": 1}]
    assert run("filter @message like 'status' | stats count()", events).rows == [{"count()": 2}]


def test_parse_with_a_regular_expression_sets_its_named_groups():
    events = [SimpleNamespace(timestamp=T0, ingestion_time=T0, message=m, event_id=i)
              for i, m in enumerate(["took 12ms for bob", "took 7ms for al", "nothing"])]  # fmt: skip
    result = run(r"parse @message /took (?<ms>\d+)ms for (?<who>\w+)/ | filter ms > 8 | display who, ms", events)
    assert result.rows == [{"who": "bob", "ms": "12"}]


def test_the_field_cache_reads_a_stream_again_when_its_front_was_dropped():
    cache, events = FieldCache(max_cells=10_000), _events(LINES[:5])
    assert cache.columns(("s",), events).fields["status"] == [x["status"] for x in LINES[:5]]
    grown = cache.columns(("s",), events + _events([{"status": 1}]))  # appended: read on from where it was
    assert grown.fields["status"][-1] == 1 and grown.fields["route"][-1] is None
    trimmed = events[2:] + _events([{"status": 7}])
    assert cache.columns(("s",), trimmed).fields["status"] == [x["status"] for x in LINES[2:5]] + [7]


def test_the_field_cache_stays_under_its_cap():
    cache = FieldCache(max_cells=30)  # {"status": n}: 3 slots an event
    cache.columns(("a",), _events([{"status": n} for n in range(6)]))
    cache.columns(("b",), _events([{"status": n} for n in range(6)]))  # 36 slots: a goes
    assert list(cache.streams) == [("b",)] and cache.size == 18
    big = cache.columns(("c",), _events([{"status": n} for n in range(20)]))  # too big alone: read, not kept
    assert len(big.fields["status"]) == 20 and ("c",) not in cache.streams and cache.size <= 30


def test_lines_with_ever_new_keys_stop_making_columns():
    events = _events([{f"key{n}": n} for n in range(MAX_FIELDS + 50)])
    assert len(FieldCache(10**9).columns(("s",), events).fields) == MAX_FIELDS
    assert run(f"filter ispresent(key{MAX_FIELDS - 1}) | stats count()", events).rows == [{"count()": 1}]


MALFORMED = {
    "filter status >=": 16,
    "stats count(": 12,
    "bogus x": 0,
    "fields a |": 10,
    "filter x like 5": 14,
    "limit 0": 6,
    "fields nosuch(1)": 7,
    "stats count() by": 16,
    'parse @message "a * b *" as one': 15,
    "filter route = 'unterminated": 15,
    "filter x =~ /(unclosed/": 12,
    "stats route": 6,
    "fields avg(x)": 7,
    "stats pct(x, 101)": 6,
    "stats count() by bin(x)": 17,
}


@pytest.mark.parametrize("query", list(MALFORMED))
def test_a_malformed_query_names_the_position(query):
    with pytest.raises(QueryError) as error:
        run(query)
    assert error.value.start == MALFORMED[query], str(error.value)


# --- Generated lines and filters, against a plain evaluation ---

FIELDS = ["status", "route", "duration_ms", "service"]
values = {
    "status": st.sampled_from([200, 201, 404, 500, 503]),
    "route": st.sampled_from(ROUTES + ['a"b', "x'y"]),
    "duration_ms": st.floats(min_value=0, max_value=1000, allow_nan=False).map(lambda v: round(v, 2)),
    "service": st.sampled_from(["backend-flask", "users-api", "e\\x"]),
}
line = st.fixed_dictionaries({}, optional=values)


def _literal(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


@st.composite
def condition(draw):
    name = draw(st.sampled_from(FIELDS))
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="] if name in ("status", "duration_ms") else ["=", "!="]))
    value = draw(values[name])
    return f"{name} {op} {_literal(value)}", (name, op, value)


def _holds(line: dict, test) -> bool:
    name, op, value = test
    if name not in line:
        return False
    have = line[name]
    return {"=": have == value, "!=": have != value, "<": have < value, "<=": have <= value, ">": have > value,
            ">=": have >= value}[op]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(line, max_size=40), st.lists(condition(), min_size=1, max_size=3), st.sampled_from(["and", "or"]),
       st.booleans())  # fmt: skip
def test_generated_filters_match_what_plain_python_matches(lines, conditions, joiner, negate):
    text = f" {joiner} ".join(f"({c[0]})" for c in conditions)
    if negate:
        text = f"not ({text})"
    combine = all if joiner == "and" else any
    expected = [x for x in lines if combine(_holds(x, c[1]) for c in conditions) != negate]
    result = run(f"filter {text} | stats count() as n, count_distinct(route) as routes", _events(lines))
    assert result.records_matched == len(expected)
    # Nothing matched: no row at all, as CloudWatch answers "no data" rather than a count of 0.
    want = [{"n": len(expected), "routes": len({x["route"] for x in expected if "route" in x})}] if expected else []
    assert result.rows == want


@settings(max_examples=100, deadline=None)
@given(st.lists(line, min_size=1, max_size=60), st.integers(min_value=1, max_value=99))
def test_generated_percentiles_and_sums_per_group_match_plain_python(lines, percent):
    result = run(f"stats pct(duration_ms, {percent}) as p, sum(duration_ms) as s, count(duration_ms) as c by status",
                 _events(lines))  # fmt: skip
    got = {row["status"]: row for row in result.rows}
    groups = defaultdict(list)
    for x in lines:
        groups[x.get("status")].append(x.get("duration_ms"))
    assert set(got) == set(groups)
    for status, durations in groups.items():
        present = [d for d in durations if d is not None]
        assert got[status]["c"] == len(present)
        assert got[status]["p"] == (_nearest_rank(present, percent) if present else None)
        assert (got[status]["s"] is None) == (not present)
        if present:
            assert math.isclose(got[status]["s"], sum(present), abs_tol=1e-6)


# --- Any text at all: an answer or QueryError, nothing else ---

PIECES = ["fields", "filter", "stats", "sort", "limit", "dedup", "parse", "display", "by", "as", "and", "or", "not",
          "in", "like", "count(*)", "pct(duration_ms, 50)", "bin(5m)", "status", "route", "@timestamp", "@message",
          "user.handle", "|", ",", "(", ")", "[", "]", "=", "!=", ">=", "<", "+", "-", "*", "/", "^", "%", "=~",
          '"x*y"', "'a'", "/r(e)?/", "/(?<n>\\d+)/", "5", "0", "1.5", "10m", "`odd name`", "#c\n", "strlen(route)",
          "desc", "asc", "earliest(route)", "avg(status)", "toupper()", "datefloor(@timestamp, 1h)"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12) | st.text(max_size=60))
def test_any_query_text_is_answered_or_refused_with_a_position(pieces):
    text = " ".join(pieces) if isinstance(pieces, list) else pieces
    try:
        result = run(text, EVENTS[:30])
    except QueryError as error:
        assert 0 <= error.start <= len(text)
    else:
        assert all(set(row) <= set(result.columns) for row in result.rows)
