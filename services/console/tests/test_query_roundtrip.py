"""The text form reads back: for any query the text form can say (fields and values with spaces,
quotes, backslashes, keywords and symbols; every clause), parse(format_query(q)) == q. The page
shows that text and the terminal sends it, so a query that does not read back is a different
query the second time."""

import json
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from console.query import (
    AGGREGATES,
    FILTER_OPERATORS,
    HAVING_OPERATORS,
    Calculation,
    Filter,
    Having,
    Order,
    Query,
    from_json,
)
from console.query_text import format_query, parse

# Any text but lone surrogates, and words the grammar gives a meaning to, in any case.
KEYWORDS = ["where", "GROUP", "by", "Order", "limit", "since", "between", "granularity", "and", "OR", "asc", "DESC",
            "in", "exists", "count", "p90", "COUNT", "P90(duration_ms)", "visualize"]  # fmt: skip
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
NAMES = st.one_of(st.sampled_from(KEYWORDS + ["duration_ms", "user agent", 'a "b"', "c\\d", "x,y", "(", "é ü"]),
                  TEXT.filter(bool))  # fmt: skip
VALUES = st.one_of(NAMES, TEXT)


@st.composite
def calculations(draw) -> Calculation:
    op = draw(st.sampled_from(sorted(AGGREGATES)))
    return Calculation(op, None if op == "COUNT" else draw(NAMES))


@st.composite
def filters(draw) -> Filter:
    field, op = draw(NAMES), draw(st.sampled_from(sorted(FILTER_OPERATORS)))
    if op in ("exists", "does-not-exist"):
        return Filter(field, op)
    if op in ("in", "not-in"):
        return Filter(field, op, draw(st.lists(VALUES, min_size=1, max_size=3)))
    return Filter(field, op, draw(VALUES))


DURATIONS = st.one_of(
    st.integers(1, 10**7).map(lambda s: timedelta(seconds=s)),
    st.integers(1, 10**12).map(lambda us: timedelta(microseconds=us)),
)
TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))


@st.composite
def queries(draw) -> Query:
    query = Query(calculations=draw(st.lists(calculations(), min_size=1, max_size=3)))
    query.filters = draw(st.lists(filters(), max_size=4))
    query.combine = draw(st.sampled_from(["AND", "OR"])) if len(query.filters) > 1 else "AND"
    query.group_by = draw(st.lists(NAMES, max_size=3))
    keys = [c.label for c in query.calculations] + query.group_by
    query.order_by = draw(st.lists(st.builds(Order, st.sampled_from(keys), st.booleans()), max_size=3))
    calculated = [c.label for c in query.calculations if c.op != "HEATMAP"]
    if calculated:
        numbers = st.one_of(st.integers(-(10**12), 10**12).map(float), st.floats(allow_nan=False, allow_infinity=False))
        having = st.builds(Having, st.sampled_from(calculated), st.sampled_from(sorted(HAVING_OPERATORS)), numbers)
        query.havings = draw(st.lists(having, max_size=2))
    query.limit = draw(st.none() | st.integers(0, 10**9))
    range_kind = draw(st.sampled_from(["none", "since", "between"]))
    if range_kind == "since":
        query.since = draw(DURATIONS)
    elif range_kind == "between":
        query.start, query.end = draw(TIMES), draw(TIMES)
    query.granularity = draw(st.none() | DURATIONS)
    return query


@settings(max_examples=500, deadline=None)
@given(queries())
def test_every_query_reads_back_from_its_text(query):
    text = format_query(query)
    assert parse(text) == query, text


def test_the_reported_query_reads_back():
    # Seen in the console: the ORDER BY of a field with a space came back unquoted.
    query = parse('VISUALIZE COUNT GROUP BY "user agent" ORDER BY "user agent" DESC')
    assert format_query(query) == 'VISUALIZE COUNT GROUP BY "user agent" ORDER BY "user agent" DESC'
    assert parse(format_query(query)) == query


@settings(max_examples=500, deadline=None)
@given(queries())
def test_every_query_reads_back_from_its_json_form(query):
    # The page sends an answer's JSON form back (to list the spans of a row or a cell).
    assert from_json(json.loads(json.dumps(query.to_json()))) == query
