"""Honeycomb's own query JSON (its Query Specification), read as the console's query, so that a
query copied from Honeycomb runs here as it is:

    {"breakdowns": ["name"],
     "calculations": [{"op": "COUNT"}, {"op": "P90", "column": "duration_ms"}],
     "filters": [{"column": "service.name", "op": "=", "value": "backend-flask"}],
     "filter_combination": "AND",
     "orders": [{"op": "P90", "column": "duration_ms", "order": "descending"}],
     "havings": [{"calculate_op": "COUNT", "op": ">", "value": 10}],
     "limit": 100, "time_range": 3600, "granularity": 60}

time_range is in seconds (Honeycomb's default is 2 hours); with start_time or end_time (seconds
since the epoch) it runs from or up to that time; start_time and end_time together give the
range. A part this console does not know, or a calculation it cannot make (CONCURRENCY, the
RATE_ ones), is answered with a QueryError naming it, never ignored.
"""

from datetime import timedelta
from typing import Any

from console.query import (
    AGGREGATES,
    DEFAULT_RANGE,
    FILTER_OPERATORS,
    Calculation,
    Filter,
    Order,
    Query,
    QueryError,
    field_name,
    having_from,
    json_list,
    parse_time,
)

KEYS = {"calculations", "filters", "filter_combination", "breakdowns", "orders", "limit", "time_range",
        "start_time", "end_time", "granularity", "havings"}  # fmt: skip
# Keys only Honeycomb's form has: a body with one of them is read as Honeycomb's.
ONLY_HONEYCOMB = KEYS - {"calculations", "filters", "limit", "havings"}
NOT_HERE = {"CONCURRENCY", "RATE_AVG", "RATE_SUM", "RATE_MAX"}


def looks_like(body: Any) -> bool:
    """Whether a query body is in Honeycomb's form rather than the console's own."""
    if not isinstance(body, dict):
        return False
    if set(body) & ONLY_HONEYCOMB:
        return True
    items = [*(body.get("calculations") or []), *(body.get("filters") or []), *(body.get("havings") or [])]
    return any(isinstance(item, dict) and ("column" in item or "calculate_op" in item) for item in items)


def _only(item: Any, keys: set[str], where: str) -> dict:
    if not isinstance(item, dict):
        raise QueryError(f"{where}: an object")
    unknown = sorted(set(item) - keys)
    if unknown:
        raise QueryError(f"{where}: unknown part {', '.join(unknown)} (known: {', '.join(sorted(keys))})")
    return item


def _calculation(op: Any, column: Any, where: str) -> Calculation:
    name = str(op or "").upper()
    if name in NOT_HERE:
        raise QueryError(f"{where}: {name} is a Honeycomb calculation this console does not make")
    if name not in AGGREGATES:
        raise QueryError(f"{where}: unknown calculation {op!r}")
    return Calculation(name, None if column is None else field_name(column, f"{where}.column"))


def _seconds(body: dict, key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise QueryError(f"{key}: a number of seconds, more than 0")
    return float(value)


def to_query(body: Any) -> Query:
    body = _only(body, KEYS, "the query")
    calculations = []
    for i, c in enumerate(json_list(body, "calculations")):
        c = _only(c, {"op", "column"}, f"calculations[{i}]")
        calculations.append(_calculation(c.get("op"), c.get("column"), f"calculations[{i}]"))
    calculations = calculations or [Calculation("COUNT")]  # Honeycomb counts when none is given
    filters = []
    for i, f in enumerate(json_list(body, "filters")):
        f = _only(f, {"column", "op", "value"}, f"filters[{i}]")
        op = str(f.get("op") or "")
        if op not in FILTER_OPERATORS:
            raise QueryError(f"filters[{i}]: unknown operator {f.get('op')!r}")
        filters.append(Filter(field_name(f.get("column"), f"filters[{i}].column"), op, f.get("value")))
    combination = str(body.get("filter_combination") or "AND").upper()
    if combination not in ("AND", "OR"):
        raise QueryError("filter_combination: AND or OR")
    breakdowns = [field_name(b, f"breakdowns[{i}]") for i, b in enumerate(json_list(body, "breakdowns"))]
    orders = []
    for i, o in enumerate(json_list(body, "orders")):
        o = _only(o, {"op", "column", "order"}, f"orders[{i}]")
        direction = str(o.get("order") or "ascending").lower()
        if direction not in ("ascending", "descending"):
            raise QueryError(f"orders[{i}].order: ascending or descending")
        key = (_calculation(o["op"], o.get("column"), f"orders[{i}]").label if o.get("op")
               else field_name(o.get("column"), f"orders[{i}].column"))  # fmt: skip
        orders.append(Order(key, direction == "descending"))
    havings = []
    for i, h in enumerate(json_list(body, "havings")):
        h = _only(h, {"calculate_op", "column", "op", "value"}, f"havings[{i}]")
        key = _calculation(h.get("calculate_op"), h.get("column"), f"havings[{i}]").label
        havings.append(having_from({"key": key, "op": h.get("op"), "value": h.get("value")}, f"havings[{i}]"))
    limit = body.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise QueryError("limit: a whole number")
    time_range = _seconds(body, "time_range")
    start, end = parse_time(body, "start_time"), parse_time(body, "end_time")
    # Honeycomb's default range is the console's too: DEFAULT_RANGE, two hours.
    span = timedelta(seconds=time_range) if time_range else DEFAULT_RANGE
    since = None
    if start is not None and end is None:
        end = start + span
    elif end is not None and start is None:
        start = end - span
    elif start is None and end is None:
        since = span
    granularity = _seconds(body, "granularity")
    return Query(
        calculations=calculations, filters=filters, combine=combination, group_by=breakdowns, order_by=orders,
        limit=limit, since=since, start=start, end=end,
        granularity=timedelta(seconds=granularity) if granularity else None, havings=havings,
    )  # fmt: skip
