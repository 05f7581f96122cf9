"""Runs a parsed Logs Insights query (obslab_insights.language) over log events: the fields
CloudWatch discovers (records.py), then the commands in order. Plain Python: the provider
hands it moto's log streams; the tests and the benchmark hand it their own."""

import math
from dataclasses import dataclass, field

from obslab_insights import functions as fn
from obslab_insights.language import AGGREGATES, Binary, Call, Field, Literal, Named, QueryError, Unary, parse
from obslab_insights.records import DEFAULT_FIELDS, Row

DEFAULT_LIMIT = 10_000  # StartQuery's default and largest `limit`


@dataclass
class Result:
    columns: list[str]
    rows: list[dict]  # column -> value (a value, not yet text)
    records_matched: int = 0
    records_scanned: int = 0
    bytes_scanned: int = 0
    pointers: list = field(default_factory=list)  # each row's (event, (log, stream)), for @ptr; none after stats


# --- Expressions, compiled once into functions of a row ---


def compile_expr(node):
    if isinstance(node, Literal):
        value = node.value
        return lambda row: value
    if isinstance(node, Field):
        return Row.getter(node.name)
    if isinstance(node, Named):
        return compile_expr(node.expr)
    if isinstance(node, Unary):
        operand = compile_expr(node.operand)
        if node.op == "not":
            return lambda row: not _truthy(operand(row))
        return lambda row: _negate(operand(row))
    if isinstance(node, Binary):
        return _binary(node)
    if isinstance(node, Call):
        return _call(node)
    raise TypeError(node)


def _truthy(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value != ""
    return bool(value)


def _negate(value):
    value = fn.number(value)
    return -value if value is not None else None


ARITHMETIC = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else None, "%": lambda a, b: math.fmod(a, b) if b else None,
    "^": lambda a, b: _power(a, b),
}  # fmt: skip


def _power(a, b):
    try:
        return float(a) ** float(b)
    except (OverflowError, ZeroDivisionError, ValueError):
        return None


def _binary(node: Binary):
    left, op = compile_expr(node.left), node.op
    if op == "and":
        right = compile_expr(node.right)
        return lambda row: _truthy(left(row)) and _truthy(right(row))
    if op == "or":
        right = compile_expr(node.right)
        return lambda row: _truthy(left(row)) or _truthy(right(row))
    if op == "like":
        pattern = node.right.value
        return lambda row: fn.like(left(row), pattern)
    if op == "in":
        values = [compile_expr(v) for v in node.right]
        return lambda row: (lambda v: any(fn.compare("=", v, each(row)) for each in values))(left(row))
    right = compile_expr(node.right)
    if op in ARITHMETIC:
        apply = ARITHMETIC[op]

        def arithmetic(row):
            a, b = fn.number(left(row)), fn.number(right(row))
            return apply(a, b) if a is not None and b is not None else None

        return arithmetic
    if isinstance(node.right, Literal) and node.right.value is not None:
        constant = node.right.value  # the usual `field op literal`: compared without a call per row
        if fn.number(constant) is not None and not isinstance(constant, str):
            return _compare_number(left, op, constant)
        return lambda row: fn.compare(op, left(row), constant)
    return lambda row: fn.compare(op, left(row), right(row))


def _compare_number(left, op, constant):
    import operator

    test = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}[op]  # fmt: skip

    def compare(row):
        value = left(row)
        if value.__class__ is int or value.__class__ is float:
            return test(value, constant)
        return fn.compare(op, value, constant)

    return compare


def _call(node: Call):
    if node.name in AGGREGATES:
        raise QueryError(f"{node.name}() is an aggregate: it belongs in stats", node.start, node.end)
    if node.name not in fn.SCALAR:
        raise QueryError(f"Unknown function {node.name!r}", node.start, node.end)
    function, least, most = fn.SCALAR[node.name]
    if len(node.args) < least or (most is not None and len(node.args) > most):
        wanted = f"{least}" if least == most else f"{least} or more" if most is None else f"{least} to {most}"
        raise QueryError(f"{node.name}() takes {wanted} arguments, not {len(node.args)}", node.start, node.end)
    args = [compile_expr(a) for a in node.args]
    if node.name == "bin":
        period = _constant_period(node)
        timestamp = Row.getter("@timestamp")
        return lambda row: fn._floor_to(timestamp(row), period)
    if len(args) == 1:
        only = args[0]
        return lambda row: function(only(row))
    return lambda row: function(*[a(row) for a in args])


def _constant_period(node: Call) -> int:
    arg = node.args[0]
    if not (isinstance(arg, Literal) and isinstance(arg.value, int) and arg.value > 0):
        raise QueryError("bin() takes a period such as 5m, 1h or 30s", node.start, node.end)
    return arg.value


# --- Aggregates ---


def _aggregate_factory(named: Named):
    call: Call = named.expr
    star = not call.args
    if call.name != "count" and (star or len(call.args) != (2 if call.name == "pct" else 1)):
        wanted = "a field and a percentile" if call.name == "pct" else "one field"
        raise QueryError(f"{call.name}() takes {wanted}", call.start, call.end)
    if call.name == "count" and len(call.args) > 1:
        raise QueryError("count() takes one field, * or nothing", call.start, call.end)
    value = compile_expr(call.args[0]) if not star else (lambda row: 1)
    if call.name == "count":
        return value, lambda: fn.Count(star)
    if call.name == "count_distinct":
        return value, fn.CountDistinct
    if call.name in ("earliest", "latest"):
        return value, lambda: fn.Extreme(call.name == "latest")
    percent = None
    if call.name == "pct":
        percent = call.args[1].value if isinstance(call.args[1], Literal) else None
        if fn.number(percent) is None or not 0 <= fn.number(percent) <= 100:
            raise QueryError("pct() takes a percentile from 0 to 100", call.start, call.end)
    return value, lambda: fn.Numbers(call.name, fn.number(percent) if percent is not None else None)


class Stats:
    def __init__(self, command):
        self.aggregates = [(named.name, *_aggregate_factory(named)) for named in command.items]
        self.groups = [(named.name, compile_expr(named)) for named in command.groups]
        self.table: dict[tuple, list] = {}
        self.timestamp = Row.getter("@timestamp")

    def add(self, row):
        key = tuple(group(row) for _, group in self.groups)
        states = self.table.get(key)
        if states is None:
            states = self.table[key] = [make() for _, _, make in self.aggregates]
        ts = self.timestamp(row)
        for state, (_, value, _) in zip(states, self.aggregates, strict=True):
            state.add(value(row), ts)

    def rows(self) -> list[Row]:
        names = [name for name, _ in self.groups] + [name for name, _, _ in self.aggregates]
        return [Row.of(dict(zip(names, [*key, *(s.result() for s in states)], strict=True)))
                for key, states in self.table.items()]  # fmt: skip

    def columns(self) -> list[str]:
        return [name for name, _ in self.groups] + [name for name, _, _ in self.aggregates]


# --- Commands ---


def _record_step(command):
    """fields, parse and filter: a function of one row, None when the row is dropped."""
    if command.kind == "filter":
        test = compile_expr(command.expr)
        return lambda row: row if _truthy(test(row)) else None
    if command.kind == "fields":
        computed = [(named.name, compile_expr(named)) for named in command.items]

        def fields(row):
            for name, value in computed:
                row.set(name, value(row))
            return row

        return fields
    if command.kind == "parse":
        source, pattern, names = compile_expr(command.source), command.pattern, command.names
        groups = list(pattern.groupindex) if names and pattern.groupindex else []

        def parse_step(row):
            value = source(row)
            match = pattern.search(fn.text(value)) if value is not None else None
            if match:
                for name, group in zip(names, groups, strict=True):
                    row.set(name, match.group(group))
            return row

        return parse_step
    return None


def run(query_text: str, events, limit: int = DEFAULT_LIMIT) -> Result:
    """events: an iterable of Row (records.rows gives them). Raises QueryError."""
    query = parse(query_text)
    steps, later = [], []
    shown: list[str] = []
    stats = None
    for command in query.commands:
        if stats is None and not later and command.kind in ("fields", "parse", "filter"):
            steps.append(_record_step(command))
            if command.kind == "fields":
                shown += [named.name for named in command.items if named.name not in shown]
            elif command.kind == "parse":
                shown += [
                    name
                    for name in command.names
                    if name not in shown and not any(c.kind == "fields" for c in query.commands)
                ]
        elif command.kind == "stats" and stats is None:
            stats = Stats(command)
        else:
            later.append(command)

    result = Result(columns=[], rows=[])
    matched_rows = []
    scanned = matched = size = 0
    for row in events:
        scanned += 1
        size += row.size()
        for step in steps:
            row = step(row)
            if row is None:
                break
        else:
            matched += 1
            if stats is not None:
                stats.add(row)
            else:
                matched_rows.append(row)
    result.records_scanned, result.records_matched, result.bytes_scanned = scanned, matched, size

    if stats is not None:
        rows, columns, pointers = stats.rows(), stats.columns(), False
    else:
        rows, columns, pointers = matched_rows, shown or [*DEFAULT_FIELDS], True
    rows, columns = _later(later, rows, columns)
    rows = rows[:limit]
    result.columns = columns
    result.rows = [{name: row.get(name) for name in columns} for row in rows]
    result.pointers = [(row.event, row.source) for row in rows] if pointers else []
    return result


def _later(commands, rows: list, columns: list[str]):
    """The commands after stats, and sort, limit, dedup and display anywhere: over the rows."""
    for command in commands:
        if command.kind == "sort":
            for expr, descending in reversed(command.items):  # stable sorts, last key first
                key = compile_expr(expr)
                present = [r for r in rows if key(r) is not None]
                absent = [r for r in rows if key(r) is None]
                present.sort(key=lambda r, key=key: _sort_key(key(r)), reverse=descending)
                rows = present + absent  # absent values last, either way
        elif command.kind == "limit":
            rows = rows[: command.count]
        elif command.kind == "dedup":
            keys = [compile_expr(f) for f in command.items]
            seen, kept = set(), []
            for row in rows:
                values = tuple(fn.text(key(row)) for key in keys)
                if None in values:  # rows without the fields are kept, as CloudWatch does
                    kept.append(row)
                elif values not in seen:
                    seen.add(values)
                    kept.append(row)
            rows = kept
        elif command.kind == "display":
            columns = [named.name for named in command.items]
        elif command.kind in ("fields", "parse", "filter"):
            step = _record_step(command)
            rows = [r for r in (step(row) for row in rows) if r is not None]
            if command.kind == "fields":
                columns = [*columns, *[n.name for n in command.items if n.name not in columns]]
        elif command.kind == "stats":
            stats = Stats(command)
            for row in rows:
                stats.add(row)
            rows, columns = stats.rows(), stats.columns()
    return rows, columns


def _sort_key(value):
    number = fn.number(value)
    return (0, number, "") if number is not None else (1, 0, fn.text(value))
