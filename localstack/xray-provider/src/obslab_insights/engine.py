"""Runs a parsed Logs Insights query (obslab_insights.language) over log events, a column at a
time: the fields the query names are read from each stream's columns (records.FieldCache) for
the time range, then each command turns the table into the next (filter keeps rows, fields and
parse add columns, stats groups, sort, limit and dedup reorder and cut). Working on whole
columns keeps Python's per-row cost to a list comprehension's. Plain Python: the provider hands
it moto's log streams; the tests and the benchmark hand it their own."""

import heapq
import math
import operator
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import compress

from obslab_insights import functions as fn
from obslab_insights.language import AGGREGATES, Binary, Call, Field, Literal, Named, QueryError, Unary, parse
from obslab_insights.records import DEFAULT_FIELDS, FieldCache, StreamColumns

DEFAULT_LIMIT = 10_000  # StartQuery's default and largest `limit`
NUMBERS = frozenset({int, float, fn.Time})  # value classes compared without conversion
BOOLEAN_OPS = {"and", "or", "=", "!=", "<", "<=", ">", ">=", "like", "in"}
BOOLEAN_CALLS = {"ispresent", "isempty", "isblank"}
TIME_CALLS = {"bin", "datefloor", "dateceil", "frommillis"}
TESTS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass
class Result:
    columns: list[str]
    rows: list[dict]  # column -> value (a value, not yet text)
    records_matched: int = 0
    records_scanned: int = 0
    bytes_scanned: int = 0
    pointers: list = field(default_factory=list)  # each row's (event, (log, stream)), for @ptr; none after stats


class Table:
    """Columns of equal length; events and sources (for @ptr) while rows are still log events."""

    def __init__(self, columns: dict[str, list], size: int, events: list | None, sources: list | None, times: set):
        self.columns, self.size, self.events, self.sources, self.times = columns, size, events, sources, times

    def column(self, name: str) -> list:
        found = self.columns.get(name)
        return found if found is not None else [None] * self.size

    def keep(self, mask: list) -> None:
        """Only the rows whose mask is true."""
        self.columns = {name: list(compress(values, mask)) for name, values in self.columns.items()}
        if self.events is not None:
            self.events, self.sources = list(compress(self.events, mask)), list(compress(self.sources, mask))
        self.size = sum(1 for m in mask if m)

    def take(self, order: list[int]) -> None:
        """The rows at these positions, in this order."""
        pick = _picker(order)
        self.columns = {name: pick(values) for name, values in self.columns.items()}
        if self.events is not None:
            self.events, self.sources = pick(self.events), pick(self.sources)
        self.size = len(order)


def _picker(order: list[int]):
    if len(order) == 1:
        only = order[0]
        return lambda values: [values[only]]
    if not order:
        return lambda values: []
    getter = operator.itemgetter(*order)
    return lambda values: list(getter(values))


# --- Reading the events ---


def load(sources, start_ms: int, end_ms: int, cache: FieldCache | None, names: set[str]) -> Table:
    """The named fields of every event from start_ms to end_ms inclusive. sources: (log, stream
    name, cache key, events) for each stream."""
    columns: dict[str, list] = {name: [] for name in names}
    events, origins, size = [], [], 0
    for log, stream, key, stream_events in sources:
        stream_events = list(stream_events)  # a snapshot: moto appends while we read
        if cache is not None:
            kept = cache.columns(key, stream_events)
        else:
            kept = StreamColumns(stream_events[0] if stream_events else None)
            kept.extend(stream_events)
        window = kept.window(start_ms, end_ms)
        pick = (
            (lambda values, lo=window[0], hi=window[1]: values[lo:hi]) if isinstance(window, tuple) else _picker(window)
        )
        chosen = pick(kept.events)
        count = len(chosen)
        if not count:
            continue
        for name, column in columns.items():
            if name == "@timestamp":
                column.extend(pick(kept.timestamps))
            elif name == "@message":
                column.extend([e.message for e in chosen])
            elif name == "@ingestionTime":
                column.extend([e.ingestion_time for e in chosen])
            elif name in ("@logStream", "@log"):
                column.extend([stream if name == "@logStream" else log] * count)
            else:
                values = kept.fields.get(name)
                column.extend(pick(values) if values is not None else [None] * count)
        events.extend(chosen)
        origins.extend([(log, stream)] * count)
        size += count
    return Table(columns, size, events, origins, {"@timestamp", "@ingestionTime"})


# --- Expressions, over whole columns ---


def is_boolean(node) -> bool:
    if isinstance(node, Binary):
        return node.op in BOOLEAN_OPS
    if isinstance(node, Unary):
        return node.op == "not"
    return isinstance(node, Call) and node.name in BOOLEAN_CALLS


def is_time(node, table: Table) -> bool:
    if isinstance(node, Named):
        return is_time(node.expr, table)
    if isinstance(node, Field):
        return node.name in table.times
    return isinstance(node, Call) and node.name in TIME_CALLS


def _truthy(value) -> bool:
    if value is None:
        return False
    if value.__class__ is str:
        return value != ""
    return bool(value)


def truths(node, table: Table) -> list:
    values = evaluate(node, table)
    return values if is_boolean(node) else [_truthy(v) for v in values]


def evaluate(node, table: Table) -> list:
    if isinstance(node, Literal):
        return [node.value] * table.size
    if isinstance(node, Field):
        return table.column(node.name)
    if isinstance(node, Named):
        return evaluate(node.expr, table)
    if isinstance(node, Unary):
        if node.op == "not":
            return [not v for v in truths(node.operand, table)]
        return [_negate(v) for v in evaluate(node.operand, table)]
    if isinstance(node, Binary):
        return _binary(node, table)
    if isinstance(node, Call):
        return _call(node, table)
    raise TypeError(node)


def _negate(value):
    value = fn.number(value)
    return -value if value is not None else None


ARITHMETIC = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
    "/": lambda a, b: a / b if b else None, "%": lambda a, b: math.fmod(a, b) if b else None,
    "^": lambda a, b: _power(a, b),
}  # fmt: skip


def _power(a, b):
    try:
        return float(a) ** float(b)
    except (OverflowError, ZeroDivisionError, ValueError):
        return None


def _arithmetic(apply, a, b):
    if a.__class__ in NUMBERS and b.__class__ in NUMBERS:
        return apply(int(a) if a.__class__ is fn.Time else a, int(b) if b.__class__ is fn.Time else b)
    a, b = fn.number(a), fn.number(b)
    return apply(a, b) if a is not None and b is not None else None


def _binary(node: Binary, table: Table) -> list:
    op = node.op
    if op in ("and", "or"):
        left, right = truths(node.left, table), truths(node.right, table)
        return (
            [a and b for a, b in zip(left, right, strict=False)]
            if op == "and"
            else [a or b for a, b in zip(left, right, strict=False)]
        )
    left = evaluate(node.left, table)
    if op == "like":
        pattern, like = node.right.value, fn.like
        if isinstance(pattern, str):
            return [(pattern in v) if v.__class__ is str else like(v, pattern) for v in left]
        search = pattern.search
        return [(search(v) is not None) if v.__class__ is str else like(v, pattern) for v in left]
    if op == "in":
        return _in(node, left, table)
    if op in ARITHMETIC:
        apply = ARITHMETIC[op]
        return [_arithmetic(apply, a, b) for a, b in zip(left, evaluate(node.right, table), strict=False)]
    if isinstance(node.right, Literal):
        return _compare_constant(op, left, node.right.value)
    compare = fn.compare
    return [compare(op, a, b) for a, b in zip(left, evaluate(node.right, table), strict=False)]


def _compare_constant(op: str, values: list, constant) -> list:
    """`field op literal`, the usual filter: numbers compared as they are, the rest as CloudWatch compares."""
    compare, test = fn.compare, TESTS[op]
    number = fn.number(constant)
    if number is not None and constant.__class__ is not str:
        return [test(v, number) if v.__class__ in NUMBERS else compare(op, v, number) for v in values]
    if number is None and op in ("=", "!="):  # text that is no number: equal only to the same text
        return [test(v, constant) if v.__class__ is str else compare(op, v, constant) for v in values]
    return [compare(op, v, constant) for v in values]


def _in(node: Binary, left: list, table: Table) -> list:
    compare = fn.compare
    if all(isinstance(v, Literal) for v in node.right):
        constants = [v.value for v in node.right]
        numbers = {fn.number(c) for c in constants if c.__class__ is not str and fn.number(c) is not None}
        texts = {c for c in constants if c.__class__ is str and fn.number(c) is None}
        if len(numbers) + len(texts) == len(constants):  # each a plain number or a plain text
            return [(v in numbers) if v.__class__ in NUMBERS else (v in texts) if v.__class__ is str
                    else any(compare("=", v, c) for c in constants) for v in left]  # fmt: skip
        return [any(compare("=", v, c) for c in constants) for v in left]
    options = [evaluate(v, table) for v in node.right]
    return [any(compare("=", v, option[i]) for option in options) for i, v in enumerate(left)]


def check_call(node: Call) -> None:
    """An unknown function, an aggregate outside stats or the wrong number of arguments: QueryError."""
    if node.name in AGGREGATES:
        raise QueryError(f"{node.name}() is an aggregate: it belongs in stats", node.start, node.end)
    if node.name not in fn.SCALAR:
        raise QueryError(f"Unknown function {node.name!r}", node.start, node.end)
    _, least, most = fn.SCALAR[node.name]
    if len(node.args) < least or (most is not None and len(node.args) > most):
        wanted = f"{least}" if least == most else f"{least} or more" if most is None else f"{least} to {most}"
        raise QueryError(f"{node.name}() takes {wanted} arguments, not {len(node.args)}", node.start, node.end)
    if node.name == "bin":
        _period(node)


def _period(node: Call) -> int:
    arg = node.args[0]
    if not (isinstance(arg, Literal) and isinstance(arg.value, int) and arg.value > 0):
        raise QueryError("bin() takes a period such as 5m, 1h or 30s", node.start, node.end)
    return arg.value


def _call(node: Call, table: Table) -> list:
    function = fn.SCALAR[node.name][0]
    if node.name == "bin":
        period = _period(node)
        return [t // period * period if t is not None else None for t in table.column("@timestamp")]
    if len(node.args) == 1:
        return [function(v) for v in evaluate(node.args[0], table)]
    return [function(*values) for values in zip(*[evaluate(a, table) for a in node.args], strict=False)]


def check(query) -> None:
    """Every function call of the query, checked before any event is read."""

    def walk(node, in_stats: bool):
        if isinstance(node, Call):
            if in_stats and node.name in AGGREGATES:
                _check_aggregate(node)
                for arg in node.args[:1]:
                    walk(arg, False)
                return
            check_call(node)
        if isinstance(node, Binary):
            walk(node.left, in_stats)
            for child in node.right if isinstance(node.right, tuple) else (node.right,):
                walk(child, in_stats)
        elif isinstance(node, Unary | Named):
            walk(node.operand if isinstance(node, Unary) else node.expr, in_stats)
        elif isinstance(node, tuple):
            walk(node[0], in_stats)

    for command in query.commands:
        for node in command.items:
            walk(node, command.kind == "stats")
        for node in (command.expr, *command.groups):
            if node is not None:
                walk(node, False)


# --- stats ---


def _check_aggregate(call: Call) -> None:
    star = not call.args
    if call.name == "count":
        if len(call.args) > 1:
            raise QueryError("count() takes one field, * or nothing", call.start, call.end)
        return
    if star or len(call.args) != (2 if call.name == "pct" else 1):
        wanted = "a field and a percentile" if call.name == "pct" else "one field"
        raise QueryError(f"{call.name}() takes {wanted}", call.start, call.end)
    if call.name == "pct":
        percent = call.args[1].value if isinstance(call.args[1], Literal) else None
        if fn.number(percent) is None or not 0 <= fn.number(percent) <= 100:
            raise QueryError("pct() takes a percentile from 0 to 100", call.start, call.end)


def _numbers_by_key(keys: list, values: list) -> dict:
    grouped: dict = defaultdict(list)
    for key, value in zip(keys, values, strict=False):
        if value.__class__ in NUMBERS:
            grouped[key].append(value)
        elif value is not None:
            value = fn.number(value)
            if value is not None:
                grouped[key].append(value)
    return grouped


def _aggregate(call: Call, keys: list, table: Table) -> dict:
    """The aggregate's value for each key that has one."""
    if call.name == "count":
        if not call.args:
            return Counter(keys)
        return Counter(compress(keys, [v is not None for v in evaluate(call.args[0], table)]))
    values = evaluate(call.args[0], table)
    if call.name == "count_distinct":
        distinct: dict = defaultdict(set)
        for key, value in zip(keys, values, strict=False):
            if value is not None:
                distinct[key].add(fn.text(value))
        return {key: len(seen) for key, seen in distinct.items()}
    if call.name in ("earliest", "latest"):
        later = call.name == "latest"
        best: dict = {}
        for key, value, ts in zip(keys, values, table.column("@timestamp"), strict=False):
            if value is None or ts is None:  # after a first stats, rows have no time
                continue
            kept = best.get(key)
            if kept is None or (ts > kept[0] if later else ts < kept[0]):
                best[key] = (ts, value)
        return {key: value for key, (_, value) in best.items()}
    grouped = _numbers_by_key(keys, values)
    if call.name == "sum":
        return {key: sum(v) for key, v in grouped.items()}
    if call.name == "avg":
        return {key: sum(v) / len(v) for key, v in grouped.items()}
    if call.name == "min":
        return {key: min(v) for key, v in grouped.items()}
    if call.name == "max":
        return {key: max(v) for key, v in grouped.items()}
    if call.name == "pct":
        percent = fn.number(call.args[1].value)
        return {key: fn.percentile(v, percent) for key, v in grouped.items()}
    return {key: fn.stddev(v) for key, v in grouped.items()}  # stddev


def stats(command, table: Table) -> Table:
    group_columns = [evaluate(named, table) for named in command.groups]
    if not group_columns:
        keys = [()] * table.size
    elif len(group_columns) == 1:
        keys = group_columns[0]
    else:
        keys = list(zip(*group_columns, strict=False))
    order = list(dict.fromkeys(keys))  # groups in the order they first appear
    columns: dict[str, list] = {}
    for index, named in enumerate(command.groups):
        columns[named.name] = [k[index] if len(command.groups) > 1 else k for k in order]
    times = {named.name for named in command.groups if is_time(named, table)}
    for named in command.items:
        answers = _aggregate(named.expr, keys, table)
        missing = 0 if named.expr.name in ("count", "count_distinct") else None  # counts of nothing are 0
        columns[named.name] = [answers.get(key, missing) for key in order]
        if named.expr.name in ("min", "max", "earliest", "latest", "pct") and is_time(named.expr.args[0], table):
            times.add(named.name)
    return Table(columns, len(order), None, None, times)


# --- The commands ---


def _fields(command, table: Table) -> None:
    for named in command.items:
        values = evaluate(named, table)
        if is_time(named, table):
            table.times.add(named.name)
        else:
            table.times.discard(named.name)
        table.columns[named.name] = values


def _parse(command, table: Table) -> None:
    search = command.pattern.search
    matches = [search(v if v.__class__ is str else fn.text(v)) if v is not None else None
               for v in evaluate(command.source, table)]  # fmt: skip
    groups = list(command.pattern.groupindex)
    for name, group in zip(command.names, groups, strict=True):
        table.columns[name] = [m.group(group) if m is not None else None for m in matches]
        table.times.discard(name)


def _sort(command, table: Table, limit: int | None) -> None:
    order = list(range(table.size))
    keys = command.items
    for position, (expr, descending) in enumerate(reversed(keys)):  # stable sorts, the last key first
        values = evaluate(expr, table)
        present = [i for i in order if values[i] is not None]
        absent = [i for i in order if values[i] is None]  # absent values last, either way
        if all(values[i].__class__ in NUMBERS for i in present):
            key = values.__getitem__
        else:
            sort_key = _sort_key
            key = lambda i, values=values, sort_key=sort_key: sort_key(values[i])  # noqa: E731
        if limit is not None and len(keys) == 1 and position == 0 and limit < len(present):
            present = (heapq.nlargest if descending else heapq.nsmallest)(limit, present, key=key)
        else:
            present.sort(key=key, reverse=descending)
        order = present + absent
    table.take(order[:limit] if limit is not None else order)


def _sort_key(value):
    number = fn.number(value)
    return (0, number, "") if number is not None else (1, 0, fn.text(value))


def _dedup(command, table: Table) -> None:
    keys = list(zip(*[[fn.text(v) for v in evaluate(f, table)] for f in command.items], strict=False))
    seen, mask = set(), []
    for key in keys:
        if None in key:  # rows without the fields are kept, as CloudWatch keeps them
            mask.append(True)
        elif key in seen:
            mask.append(False)
        else:
            seen.add(key)
            mask.append(True)
    table.keep(mask)


def run(query_text: str, sources, start_ms: int = 0, end_ms: int = 2**62, cache: FieldCache | None = None,
        limit: int = DEFAULT_LIMIT) -> Result:  # fmt: skip
    """sources: (log, stream name, cache key, events) for each stream. Raises QueryError."""
    query = parse(query_text)
    check(query)
    kinds = [c.kind for c in query.commands]
    names = query.fields_used() | {"@timestamp"}
    if not {"fields", "display", "stats"} & set(kinds):
        names |= set(DEFAULT_FIELDS)
    table = load(sources, start_ms, end_ms, cache, names)
    result = Result(columns=[], rows=[], records_scanned=table.size)
    result.bytes_scanned = sum(len(e.message) for e in table.events)

    shown: list[str] = []
    matched = None  # the records that passed the commands before stats, sort, limit or dedup
    commands = query.commands
    for index, command in enumerate(commands):
        kind = command.kind
        if matched is None and kind in ("stats", "sort", "limit", "dedup"):
            matched = table.size
        if kind == "filter":
            table.keep(truths(command.expr, table))
        elif kind == "fields":
            _fields(command, table)
            shown += [n.name for n in command.items if n.name not in shown]
        elif kind == "parse":
            _parse(command, table)
            if "fields" not in kinds and "display" not in kinds:
                shown += [n for n in command.names if n not in shown]
        elif kind == "stats":
            table = stats(command, table)
            shown = [n.name for n in command.groups] + [n.name for n in command.items]
        elif kind == "sort":
            following = commands[index + 1] if index + 1 < len(commands) else None
            _sort(command, table, following.count if following is not None and following.kind == "limit" else None)
        elif kind == "limit":
            table.take(list(range(min(command.count, table.size))))
        elif kind == "dedup":
            _dedup(command, table)
        elif kind == "display":
            shown = [n.name for n in command.items]
    result.records_matched = matched if matched is not None else table.size

    columns = shown or list(DEFAULT_FIELDS)
    size = min(limit, table.size)
    values = {}
    for name in columns:
        column = table.column(name)[:size]
        values[name] = [fn.Time(v) if v is not None else None for v in column] if name in table.times else column
    result.columns = columns
    result.rows = (
        [dict(zip(columns, row, strict=True)) for row in zip(*[values[c] for c in columns], strict=False)]
        if columns
        else []
    )
    if table.events is not None:
        result.pointers = list(zip(table.events[:size], table.sources[:size], strict=True))
    return result
