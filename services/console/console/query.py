"""Honeycomb's query model over the span store: VISUALIZE calculations, WHERE filters combined
with AND or OR, GROUP BY, ORDER BY, LIMIT, a time range and a granularity. A query is plain
data (from JSON or the text form, query_text.py); run() turns it into SQL in which every field
is checked against the store's catalogue and quoted, and every value is a bound parameter:
user input never becomes SQL text."""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from console import critical_path
from console.otlp import FIXED_FIELDS
from console.store import MAPS, SpanStore, field_sql, quote

# Honeycomb's percentiles: P001 is the 0.1th, P999 the 99.9th.
PERCENTILES = {"P001": 0.001, "P01": 0.01, "P05": 0.05, "P10": 0.1, "P20": 0.2, "P25": 0.25, "P50": 0.5,
               "P75": 0.75, "P80": 0.8, "P90": 0.9, "P95": 0.95, "P99": 0.99, "P999": 0.999}  # fmt: skip
AGGREGATES = {"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX", "HEATMAP", *PERCENTILES}
NEEDS_NUMBER = {"SUM", "AVG", "HEATMAP", *PERCENTILES}
FILTER_OPERATORS = {"=", "!=", ">", ">=", "<", "<=", "exists", "does-not-exist", "contains", "does-not-contain",
                    "starts-with", "does-not-start-with", "in", "not-in"}  # fmt: skip
LIST_OPERATORS = {"in", "not-in"}
TEXT_OPERATORS = {"contains", "starts-with", "does-not-contain", "does-not-start-with"}  # on the value as text
HAVING_OPERATORS = {"=", "!=", ">", ">=", "<", "<="}
NUMERIC_TYPES = {"BIGINT", "DOUBLE", "INTEGER"}
DEFAULT_RANGE = timedelta(hours=2)
MAX_BUCKETS = 300  # time buckets of a chart
MAX_GROUPS = 1000
DEFAULT_LIMIT = 100
MAX_SERIES = 20  # lines on the chart: the first groups of the table
MAX_IN_VALUES = 100
HEATMAP_ROWS = 30
SPAN_LIST_LIMIT = 100


class QueryError(ValueError):
    """A query that cannot run: the message says what is wrong and where."""


@dataclass(frozen=True)
class Calculation:
    op: str
    field: str | None = None

    @property
    def label(self) -> str:
        return self.op if self.field is None else f"{self.op}({self.field})"


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Order:
    key: str  # a calculation's label or a GROUP BY field
    descending: bool = False


@dataclass(frozen=True)
class Having:
    key: str  # a calculation's label
    op: str
    value: float


@dataclass
class Query:
    calculations: list[Calculation]
    filters: list[Filter] = field(default_factory=list)
    combine: str = "AND"
    group_by: list[str] = field(default_factory=list)
    order_by: list[Order] = field(default_factory=list)
    limit: int | None = None
    since: timedelta | None = None  # a preset ("the last 15 minutes"), or start and end
    start: datetime | None = None
    end: datetime | None = None
    granularity: timedelta | None = None  # chosen from the range when not given
    havings: list[Having] = field(default_factory=list)  # groups kept by a calculation's value

    def to_json(self) -> dict:
        return {
            "calculations": [{"op": c.op, **({"field": c.field} if c.field else {})} for c in self.calculations],
            "filters": [{"field": f.field, "op": f.op, **({"value": f.value} if f.value is not None else {})}
                        for f in self.filters],
            "combine": self.combine,
            "group_by": list(self.group_by),
            "order_by": [{"key": o.key, "descending": o.descending} for o in self.order_by],
            "limit": self.limit,
            "since_seconds": self.since.total_seconds() if self.since else None,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "granularity_seconds": self.granularity.total_seconds() if self.granularity else None,
            "havings": [{"key": h.key, "op": h.op, "value": h.value} for h in self.havings],
        }  # fmt: skip


# --- From JSON (the API) ---


QUERY_KEYS = {"calculations", "filters", "combine", "group_by", "order_by", "limit", "since_seconds", "start", "end",
              "granularity_seconds", "havings"}  # fmt: skip


def from_json(body: Any) -> Query:
    if not isinstance(body, dict):
        raise QueryError("The query must be a JSON object")
    unknown = sorted(set(body) - QUERY_KEYS)
    if unknown:
        parts = ", ".join(sorted(QUERY_KEYS))
        raise QueryError(f"Unknown part of the query: {', '.join(unknown)} (the parts: {parts})")
    calculations = [_calculation(c, f"calculations[{i}]") for i, c in enumerate(json_list(body, "calculations"))]
    filters = [_filter(f, f"filters[{i}]") for i, f in enumerate(json_list(body, "filters"))]
    combine = str(body.get("combine") or "AND").upper()
    if combine not in ("AND", "OR"):
        raise QueryError("combine: AND or OR")
    group_by = [field_name(g, f"group_by[{i}]") for i, g in enumerate(json_list(body, "group_by"))]
    orders = []
    for i, order in enumerate(json_list(body, "order_by")):
        if not isinstance(order, dict):
            raise QueryError(f"order_by[{i}]: an object with key and descending")
        orders.append(Order(field_name(order.get("key"), f"order_by[{i}].key"), bool(order.get("descending"))))
    return Query(
        calculations=calculations,
        filters=filters,
        combine=combine,
        group_by=group_by,
        order_by=orders,
        limit=_optional_number(body, "limit", int),
        since=_seconds(body, "since_seconds"),
        start=parse_time(body, "start"),
        end=parse_time(body, "end"),
        granularity=_seconds(body, "granularity_seconds"),
        havings=[having_from(h, f"havings[{i}]") for i, h in enumerate(json_list(body, "havings"))],
    )


def having_from(value: Any, where: str) -> Having:
    """A HAVING condition from JSON ({"key": a calculation's label, "op", "value"})."""
    if not isinstance(value, dict):
        raise QueryError(f"{where}: an object with key, op and value")
    op = str(value.get("op") or "")
    if op not in HAVING_OPERATORS:
        raise QueryError(f"{where}: unknown operator {value.get('op')!r}; one of {', '.join(sorted(HAVING_OPERATORS))}")
    number = value.get("value")
    if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
        raise QueryError(f"{where}.value: a number")
    return Having(field_name(value.get("key"), f"{where}.key"), op, float(number))


def json_list(body: dict, key: str) -> list:
    """A list in a query body (absent: empty)."""
    value = body.get(key) or []
    if not isinstance(value, list):
        raise QueryError(f"{key}: a list")
    return value


def field_name(value: Any, where: str) -> str:
    # As written: a span's attribute key may have spaces around it, or be nothing but spaces.
    if not isinstance(value, str) or not value:
        raise QueryError(f"{where}: a field name")
    return value


def _calculation(value: Any, where: str) -> Calculation:
    if not isinstance(value, dict):
        raise QueryError(f"{where}: an object with op (and field)")
    op = str(value.get("op") or "").upper()
    if op not in AGGREGATES:
        raise QueryError(f"{where}: unknown calculation {value.get('op')!r}; one of {', '.join(sorted(AGGREGATES))}")
    name = value.get("field")
    return Calculation(op, field_name(name, f"{where}.field") if name is not None else None)


def _filter(value: Any, where: str) -> Filter:
    if not isinstance(value, dict):
        raise QueryError(f"{where}: an object with field, op and value")
    op = str(value.get("op") or "").lower()
    if op not in FILTER_OPERATORS:
        raise QueryError(f"{where}: unknown operator {value.get('op')!r}; one of {', '.join(sorted(FILTER_OPERATORS))}")
    return Filter(field_name(value.get("field"), f"{where}.field"), op, value.get("value"))


def _optional_number(body: dict, key: str, kind: type) -> Any:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise QueryError(f"{key}: a number")
    return kind(value)


def _seconds(body: dict, key: str) -> timedelta | None:
    value = _optional_number(body, key, float)
    if value is None:
        return None
    if value <= 0:
        raise QueryError(f"{key}: more than 0")
    return timedelta(seconds=min(value, 10 * 365 * 86400))


def parse_time(body: dict, key: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise QueryError(f"{key}: a time, as seconds since the epoch or ISO 8601") from None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


# --- Checking a query against the store, and running it ---


@dataclass
class Plan:
    """A query checked against the store: its time range, granularity and notes."""

    query: Query
    fields: dict[str, str]
    start: datetime
    end: datetime
    granularity: timedelta
    limit: int
    warnings: list[str]

    def sql(self, name: str) -> str:
        """A field of the query as SQL: a column, or its key in the attribute maps."""
        return field_sql(name, self.fields[name])


def plan(query: Query, fields: dict[str, str], now: datetime, kept: timedelta) -> Plan:
    """The query checked against the store's fields, its time range resolved against `now` and
    cut to `kept`, how far back the store keeps spans."""
    warnings = []
    if not query.calculations:
        raise QueryError("VISUALIZE needs at least one calculation, such as COUNT")

    def known(name: str, where: str) -> str:
        if name not in fields:
            raise QueryError(f"{where}: unknown field {name!r} (no span has it; GET /api/fields lists them)")
        return fields[name]

    for calc in query.calculations:
        if calc.op == "COUNT":
            if calc.field is not None:
                raise QueryError("COUNT takes no field (COUNT_DISTINCT(field) counts values)")
            continue
        if calc.field is None:
            raise QueryError(f"{calc.op} needs a field, as in {calc.op}(duration_ms)")
        kind = known(calc.field, calc.label)
        if calc.op in NEEDS_NUMBER and kind not in NUMERIC_TYPES:
            raise QueryError(f"{calc.label}: {calc.field} is {kind}, not a number")
    for f in query.filters:
        _check_filter(f, known(f.field, f"WHERE {f.field}"))
    for name in query.group_by:
        known(name, "GROUP BY")
    labels = {c.label for c in query.calculations if c.op != "HEATMAP"} | set(query.group_by)
    for order in query.order_by:
        if order.key not in labels:
            raise QueryError(
                f"ORDER BY {order.key}: order by a calculation or a GROUP BY field ({', '.join(sorted(labels))})"
            )

    calculated = {c.label for c in query.calculations if c.op != "HEATMAP"}
    for having in query.havings:
        if having.key not in calculated:
            raise QueryError(f"HAVING {having.key}: one of the query's calculations ({', '.join(sorted(calculated))})")

    end = query.end or now
    start = query.start or end - (query.since or DEFAULT_RANGE)
    if start >= end:
        raise QueryError("The time range is empty: its start must be before its end")
    if end - start > kept:
        start = end - kept
        warnings.append(
            f"The time range was cut to the last {kept / timedelta(hours=1):g} hours before its end: "
            "the store keeps no more"
        )
    granularity = query.granularity or _auto_granularity(end - start)
    if (end - start) / granularity > MAX_BUCKETS:
        granularity = _auto_granularity(end - start)
        warnings.append(
            f"The granularity was raised to {granularity.total_seconds():g} s ({MAX_BUCKETS} points at most)"
        )
    limit = query.limit if query.limit is not None else DEFAULT_LIMIT
    if limit < 1:
        raise QueryError("LIMIT: at least 1")
    if limit > MAX_GROUPS:
        limit = MAX_GROUPS
        warnings.append(f"LIMIT was cut to {MAX_GROUPS}")
    return Plan(query, fields, start, end, granularity, limit, warnings)


def _auto_granularity(span: timedelta) -> timedelta:
    seconds = span.total_seconds() / 100  # about 100 points
    for step in (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400):
        if step >= seconds:
            return timedelta(seconds=step)
    return timedelta(seconds=math.ceil(span.total_seconds() / MAX_BUCKETS))


def _check_filter(f: Filter, kind: str) -> None:
    if f.op in ("exists", "does-not-exist"):
        return
    if f.op in LIST_OPERATORS:
        if not isinstance(f.value, list) or not f.value or len(f.value) > MAX_IN_VALUES:
            raise QueryError(f"WHERE {f.field} {f.op}: a list of 1 to {MAX_IN_VALUES} values")
        for value in f.value:
            coerce(value, kind, f.field)
        return
    if f.value is None:
        raise QueryError(f"WHERE {f.field} {f.op}: a value is missing")
    if f.op in TEXT_OPERATORS:
        return
    coerce(f.value, kind, f.field)


def coerce(value: Any, kind: str, name: str) -> Any:
    """A filter value as the field's type (the text form gives numbers as text, for instance)."""
    try:
        if kind in NUMERIC_TYPES:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
            return int(number) if kind != "DOUBLE" and number.is_integer() else number
        if kind == "BOOLEAN":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise ValueError
        if kind == "TIMESTAMP":
            return datetime.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError):
        raise QueryError(f"WHERE {name}: {value!r} is not a {kind.lower()} value") from None
    return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def _where(p: Plan, extra: list[tuple[str, list]] = ()) -> tuple[str, list]:
    """The WHERE clause: the time range, the filters, and extra conditions (SQL we wrote, params)."""
    conditions, params = [], []
    for f in p.query.filters:
        column, kind = p.sql(f.field), p.fields[f.field]
        if f.op == "exists":
            conditions.append(f"{column} IS NOT NULL")
        elif f.op == "does-not-exist":
            conditions.append(f"{column} IS NULL")
        elif f.op in TEXT_OPERATORS:
            test = "contains" if "contain" in f.op else "starts_with"
            test = f"{test}(CAST({column} AS VARCHAR), ?)"
            # The negations also keep spans without the field, as != does.
            conditions.append(test if not f.op.startswith("does-not") else f"({column} IS NULL OR NOT {test})")
            params.append(str(f.value))
        elif f.op in LIST_OPERATORS:
            listed = f"{column} IN ({', '.join('?' for _ in f.value)})"
            conditions.append(listed if f.op == "in" else f"({column} IS NULL OR NOT {listed})")
            params += [coerce(v, kind, f.field) for v in f.value]
        elif f.op == "!=":
            conditions.append(f"{column} IS DISTINCT FROM ?")
            params.append(coerce(f.value, kind, f.field))
        else:
            conditions.append(f"{column} {f.op} ?")
            params.append(coerce(f.value, kind, f.field))
    sql = "timestamp >= ? AND timestamp < ?"
    all_params = [p.start, p.end]
    if conditions:
        sql += " AND (" + f" {p.query.combine} ".join(conditions) + ")"
        all_params += params
    for condition, condition_params in extra:
        sql += f" AND ({condition})"
        all_params += condition_params
    return sql, all_params


def _aggregate(p: Plan, calc: Calculation) -> str:
    if calc.op == "COUNT":
        return "count(*)"
    column = p.sql(calc.field)
    if calc.op == "COUNT_DISTINCT":
        return f"count(DISTINCT {column})"
    if calc.op in PERCENTILES:
        return f"quantile_cont({column}, {PERCENTILES[calc.op]})"
    return f"{calc.op.lower()}({column})"


def run(store: SpanStore, query: Query) -> dict:
    """The query's answer: a table (one row per group), a series per group over time, and a
    heatmap per HEATMAP calculation."""
    p = plan(query, store.fields(), store.now(), store.retention)
    where, params = _where(p)
    calcs = [c for c in query.calculations if c.op != "HEATMAP"]
    groups = [p.sql(g) for g in query.group_by]
    table = {"columns": list(query.group_by) + [c.label for c in calcs], "rows": []}
    if calcs:
        aggregates = {c.label: _aggregate(p, c) for c in calcs}
        select = ", ".join(groups + [aggregates[c.label] for c in calcs])
        sql = f"SELECT {select} FROM spans WHERE {where}"
        if groups:
            sql += f" GROUP BY {', '.join(groups)}"
        if query.havings:
            sql += " HAVING " + " AND ".join(f"{aggregates[h.key]} {h.op} ?" for h in query.havings)
            params = params + [h.value for h in query.havings]
        positions = {label: i + 1 for i, label in enumerate(table["columns"])}
        orders = query.order_by or ([Order(calcs[0].label, True)] if groups else [])
        if orders:
            sql += " ORDER BY " + ", ".join(f"{positions[o.key]} {'DESC' if o.descending else 'ASC'} NULLS LAST"
                                            for o in orders)  # fmt: skip
        sql += " LIMIT ?"
        table["rows"] = [list(row) for row in store.query(sql, params + [p.limit])[1]]
    return {
        "query": query.to_json(),
        "range": {"start": _iso(p.start), "end": _iso(p.end), "granularity_seconds": p.granularity.total_seconds()},
        "warnings": p.warnings,
        "table": table,
        "series": _series(store, p, calcs, table["rows"]) if calcs else [],
        "heatmaps": {c.label: _heatmap(store, p, c.field) for c in query.calculations if c.op == "HEATMAP"},
    }


def _bucket_sql() -> str:
    return "time_bucket(to_seconds(CAST(? AS DOUBLE)), timestamp, CAST(? AS TIMESTAMP))"


def _group_condition(p: Plan, values: list) -> tuple[str, list]:
    parts, params = [], []
    for name, value in zip(p.query.group_by, values, strict=True):
        parts.append(f"{p.sql(name)} IS NOT DISTINCT FROM ?")
        params.append(value)
    return " AND ".join(parts), params


# Calculations whose value for a time bucket without spans is 0 (the others have none).
ZERO_WHEN_EMPTY = {"COUNT", "COUNT_DISTINCT", "SUM"}


def _time_axis(p: Plan) -> list[datetime]:
    """The start of every time bucket of the range (buckets start at the range's start)."""
    count = math.ceil((p.end - p.start) / p.granularity)
    return [p.start + p.granularity * i for i in range(count)]


def _series(store: SpanStore, p: Plan, calcs: list[Calculation], rows: list[list]) -> list[dict]:
    """One series per group of the table's first rows (all spans when there is no GROUP BY),
    with a value for every time bucket of the range."""
    axis = _time_axis(p)
    groups = [row[: len(p.query.group_by)] for row in rows[:MAX_SERIES]] if p.query.group_by else [[]]
    series = []
    for values in groups:
        extra = [_group_condition(p, values)] if values else []
        where, params = _where(p, extra)
        sql = (f"SELECT {_bucket_sql()} AS t, {', '.join(_aggregate(p, c) for c in calcs)} FROM spans "
               f"WHERE {where} GROUP BY t ORDER BY t")  # fmt: skip
        _, points = store.query(sql, [p.granularity.total_seconds(), p.start] + params)
        at = {point[0]: point[1:] for point in points}
        series.append({
            "group": dict(zip(p.query.group_by, values, strict=True)),
            "times": [_iso(t) for t in axis],
            "values": {
                calc.label: [at[t][i] if t in at else (0 if calc.op in ZERO_WHEN_EMPTY else None) for t in axis]
                for i, calc in enumerate(calcs)
            },
        })  # fmt: skip
    return series


def _heatmap(store: SpanStore, p: Plan, name: str) -> dict:
    """Counts of spans by time bucket (every bucket of the range) and value bucket (log-scaled
    between the smallest positive and the largest value; values at or below the smallest edge
    fall in the first bucket)."""
    column = p.sql(name)
    where, params = _where(p, [(f"{column} IS NOT NULL", [])])
    [(low, high, total)] = store.query(
        f"SELECT min(CASE WHEN {column} > 0 THEN {column} END), max({column}), count(*) FROM spans WHERE {where}",
        params,
    )[1]
    if not total:
        return {"times": [], "edges": [], "counts": [], "total": 0}
    low = float(low) if low else 0.001
    high = max(float(high), low * 1.0001)
    rows = HEATMAP_ROWS
    step = math.log(high / low) / rows
    edges = [low * math.exp(step * i) for i in range(rows)] + [high]  # the top edge exactly the largest value
    bucket = f"CASE WHEN {column} <= ? THEN 0 ELSE least(?, CAST(floor(ln({column} / ?) / ?) AS INTEGER)) END"
    sql = f"SELECT {_bucket_sql()} AS t, {bucket} AS b, count(*) FROM spans WHERE {where} GROUP BY t, b ORDER BY t"
    _, cells = store.query(sql, [p.granularity.total_seconds(), p.start, low, rows - 1, low, step] + params)
    axis = _time_axis(p)
    column_of = {t: i for i, t in enumerate(axis)}
    counts = [[0] * len(axis) for _ in range(rows)]
    for t, b, count in cells:
        counts[b][column_of[t]] += count
    return {"times": [_iso(t) for t in axis], "edges": edges, "counts": counts, "total": total}


def narrowing(p: Plan, narrow: Any, name: str) -> tuple[list[tuple[str, list]], set[str]]:
    """The conditions (SQL we wrote, params) that narrow a query's spans to a part of its answer,
    and the fields that make them: a table row ({"group": {...}}), a time window ({"time":
    [start, end]}), a range of a numeric field ({"field": ..., "range": [low, high]}), as a
    heatmap cell or region gives the last two. `name` is what errors call the object."""
    if not isinstance(narrow, dict):
        raise QueryError(f"{name}: an object")
    conditions, making = [], set()
    group = narrow.get("group")
    if group is not None:
        names = p.query.group_by
        if not isinstance(group, dict) or not names or set(group) != set(names):
            raise QueryError(f"{name}.group: a value for each GROUP BY field ({', '.join(names) or 'none'})")
        conditions.append(_group_condition(p, [group[g] for g in names]))
        making |= set(names)
    if narrow.get("time") is not None:
        window = narrow["time"]
        body = {"start": window[0], "end": window[1]} if isinstance(window, list) and len(window) == 2 else {}
        start, end = parse_time(body, "start"), parse_time(body, "end")
        if start is None or end is None:
            raise QueryError(f"{name}.time: [start, end]")
        conditions.append(("timestamp >= ? AND timestamp < ?", [start, end]))
    if narrow.get("field") is not None:
        field_, bounds = narrow["field"], narrow.get("range")
        if not isinstance(field_, str) or field_ not in p.fields or p.fields[field_] not in NUMERIC_TYPES:
            raise QueryError(f"{name}.field: unknown or not numeric: {field_!r}")
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise QueryError(f"{name}.range: [low, high]")
        low, high = (coerce(b, "DOUBLE", field_) for b in bounds)
        conditions.append((f"{p.sql(field_)} >= ? AND {p.sql(field_)} <= ?", [low, high]))
        making.add(field_)
    return conditions, making


def spans(store: SpanStore, query: Query, narrow: dict | None = None) -> dict:
    """The spans behind a part of an answer: a table row (group values), or a heatmap cell (a
    time bucket and a value range of a field). Slowest first."""
    p = plan(query, store.fields(), store.now(), store.retention)
    extra, _ = narrowing(p, narrow or {}, "narrow")
    where, params = _where(p, extra)
    columns = ["timestamp", "trace.trace_id", "trace.span_id", "service.name", "name", "duration_ms", "error"]
    sql = (f"SELECT {', '.join(quote(c) for c in columns)} FROM spans WHERE {where} "
           f"ORDER BY duration_ms DESC LIMIT {SPAN_LIST_LIMIT}")  # fmt: skip
    _, rows = store.query(sql, params)
    return {"columns": columns, "rows": [[_iso(v) if isinstance(v, datetime) else v for v in row] for row in rows]}


# Computed for each span of a trace (critical_path.py), beside its fields.
DERIVED_FIELDS = ("self_ms", "critical", "critical_ms")


def trace(store: SpanStore, trace_id: str) -> list[dict]:
    """Every span of a trace with its fields that have a value, its self time and whether it is
    on the critical path (self_ms, critical, critical_ms), then its attributes, in start order.
    An attribute named like one of those fields is shown as "<key> (attribute)"."""
    columns, rows = store.query(f"SELECT * FROM spans WHERE {quote('trace.trace_id')} = ? ORDER BY timestamp",
                                [trace_id.lower()])  # fmt: skip
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    analysis = critical_path.analyse(_timed(records))
    reserved = set(FIXED_FIELDS) | set(DERIVED_FIELDS)
    spans = []
    for i, values in enumerate(records):
        span = {name: _iso(value) if isinstance(value, datetime) else value
                for name in FIXED_FIELDS if (value := values[name]) is not None}  # fmt: skip
        key = _span_key(values, i)
        span["self_ms"] = round(analysis.self_ms[key], 3)
        span["critical"] = key in analysis.critical_ms
        span["critical_ms"] = round(analysis.critical_ms.get(key, 0.0), 3)
        for column in MAPS.values():
            for name, value in (values[column] or {}).items():
                span[f"{name} (attribute)" if name in reserved else name] = value
        spans.append(span)
    return spans


def _span_key(values: dict, position: int) -> str:
    # Span ids are the sender's: one may be missing or repeated. The position keeps spans apart.
    return f"{values['trace.span_id']}#{position}"


def _timed(records: list[dict]) -> list[critical_path.Span]:
    """The trace's spans as intervals in ms, each linked to the first span of its parent's id."""
    first = {}
    for position, values in enumerate(records):
        first.setdefault(values["trace.span_id"], _span_key(values, position))
    timed = []
    for position, values in enumerate(records):
        start = (values["timestamp"] - datetime(1970, 1, 1)).total_seconds() * 1000
        duration = max(values["duration_ms"] or 0.0, 0.0)
        parent = values["trace.parent_id"]
        # A parent id no span has: a tree of its own (critical_path.py), under a name no span has.
        parent_key = first.get(parent, f"missing {parent}") if parent else None
        timed.append(critical_path.Span(_span_key(values, position), parent_key, start, start + duration))
    return timed


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
