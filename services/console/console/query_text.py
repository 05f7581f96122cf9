"""The text form of a query, read like the builder, clauses in this order (all but VISUALIZE
optional):

    VISUALIZE P90(duration_ms), COUNT
    WHERE service.name = backend-flask AND duration_ms > 100
    GROUP BY name HAVING COUNT > 10 ORDER BY P90(duration_ms) DESC LIMIT 10
    SINCE 15m                      (or BETWEEN 2026-11-22T10:00:00Z AND 2026-11-22T11:00:00Z)
    GRANULARITY 1m

Values with spaces or symbols go in double quotes (name = "GET /api/activities/@<handle>");
`field in (a, b)`, `not-in`, `field exists`, `field does-not-exist`, `contains`, `does-not-contain`,
`starts-with`, `does-not-start-with`. HAVING keeps the groups whose calculation (one of
VISUALIZE's) compares so with a number; several are joined by AND.
Conditions are joined by AND or by OR, not both. Keywords are case-insensitive. A malformed
query raises QueryError naming the position (0-based) where it goes wrong.
"""

import math
import re
from datetime import timedelta

from console.query import (
    AGGREGATES,
    FILTER_OPERATORS,
    HAVING_OPERATORS,
    LIST_OPERATORS,
    Calculation,
    Filter,
    Having,
    Order,
    Query,
    QueryError,
    parse_time,
)

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<punct>[(),])|(?P<op>>=|<=|!=|=|>|<)|(?P<word>[^\s,()"=<>!]+))"""
)
CLAUSES = ("where", "group", "having", "order", "limit", "since", "between", "granularity")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class _Tokens:
    def __init__(self, text: str):
        self.text, self.items, position = text, [], 0
        while True:
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                rest = text[position:]
                if rest.strip():
                    where = position + len(rest) - len(rest.lstrip())
                    raise QueryError(f"Unexpected {text[where : where + 15]!r} at position {where}")
                break
            kind = match.lastgroup
            self.items.append((kind, match.group(kind), match.start(kind)))
            position = match.end()
        self.index = 0

    def peek(self):
        return self.items[self.index] if self.index < len(self.items) else None

    def at(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].lower() in words

    def at_punct(self, char: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "punct" and token[1] == char

    def fail(self, message: str):
        token = self.peek()
        where = f"at position {token[2]}" if token else f"at the end (position {len(self.text)})"
        raise QueryError(f"{message} {where}")

    def take(self, what: str):
        token = self.peek()
        if token is None:
            self.fail(f"Expected {what}, the query ends")
        self.index += 1
        return token

    def keyword(self, word: str) -> None:
        if not self.at(word):
            self.fail(f"Expected {word.upper()}")
        self.index += 1

    def punct(self, char: str) -> None:
        if not self.at_punct(char):
            self.fail(f"Expected {char!r}")
        self.index += 1

    def name(self, what: str) -> str:
        """A field name: a bare word, or in double quotes."""
        token = self.peek()
        if token is None or token[0] not in ("word", "string") or token[0] == "word" and token[1].lower() in CLAUSES:
            self.fail(f"Expected {what}")
        name = _unquote(token[1]) if token[0] == "string" else token[1]
        if not name:
            self.fail(f"Expected {what}, not an empty name")
        self.index += 1
        return name


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse(text: str) -> Query:
    if not isinstance(text, str) or not text.strip():
        raise QueryError("The query is empty: start with VISUALIZE, as in VISUALIZE COUNT")
    tokens = _Tokens(text)
    tokens.keyword("visualize")
    query = Query(calculations=[_calculation(tokens)])
    while tokens.at_punct(","):
        tokens.take(",")
        query.calculations.append(_calculation(tokens))
    if tokens.at("where"):
        tokens.take("WHERE")
        query.filters, query.combine = _conditions(tokens)
    if tokens.at("group"):
        tokens.take("GROUP")
        tokens.keyword("by")
        query.group_by = [tokens.name("a field to group by")]
        while tokens.at_punct(","):
            tokens.take(",")
            query.group_by.append(tokens.name("a field to group by"))
    if tokens.at("having"):
        tokens.take("HAVING")
        query.havings = [_having(tokens)]
        while tokens.at("and"):
            tokens.take("AND")
            query.havings.append(_having(tokens))
    if tokens.at("order"):
        tokens.take("ORDER")
        tokens.keyword("by")
        query.order_by = [_order(tokens)]
        while tokens.at_punct(","):
            tokens.take(",")
            query.order_by.append(_order(tokens))
    if tokens.at("limit"):
        tokens.take("LIMIT")
        kind, value, _ = tokens.take("a number")
        if kind != "word" or not value.isdigit():
            tokens.index -= 1
            tokens.fail("LIMIT takes a whole number")
        query.limit = int(value)
    if tokens.at("since"):
        tokens.take("SINCE")
        query.since = _duration(tokens)
    elif tokens.at("between"):
        tokens.take("BETWEEN")
        query.start = _moment(tokens)
        tokens.keyword("and")
        query.end = _moment(tokens)
    if tokens.at("granularity"):
        tokens.take("GRANULARITY")
        query.granularity = _duration(tokens)
    if tokens.peek() is not None:
        order = "VISUALIZE, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, SINCE"
        tokens.fail(f"Unexpected {tokens.peek()[1]!r} (clauses go {order})")
    return query


def _calculation(tokens: _Tokens) -> Calculation:
    token = tokens.peek()
    if token is None or token[0] != "word" or token[1].upper() not in AGGREGATES:
        tokens.fail(f"Expected a calculation ({', '.join(sorted(AGGREGATES))})")
    tokens.take("a calculation")
    op, field = token[1].upper(), None
    if tokens.at_punct("("):
        tokens.take("(")
        field = tokens.name("a field")
        tokens.punct(")")
    return Calculation(op, field)


def _conditions(tokens: _Tokens) -> tuple[list[Filter], str]:
    filters, combine = [_condition(tokens)], None
    while tokens.at("and", "or"):
        joiner = tokens.peek()[1].upper()
        if combine is not None and joiner != combine:
            tokens.fail("Join all conditions with AND, or all with OR, not both")
        combine = joiner
        tokens.take(joiner)
        filters.append(_condition(tokens))
    return filters, combine or "AND"


def _condition(tokens: _Tokens) -> Filter:
    field = tokens.name("a field to filter on")
    token = tokens.peek()
    if token is None:
        tokens.fail(f"Expected an operator after {field}")
    operator = token[1].lower()
    if operator not in FILTER_OPERATORS:
        tokens.fail(f"Expected an operator after {field} ({', '.join(sorted(FILTER_OPERATORS))})")
    tokens.take("an operator")
    if operator in ("exists", "does-not-exist"):
        return Filter(field, operator)
    if operator in LIST_OPERATORS:
        tokens.punct("(")
        values = [_value(tokens)]
        while tokens.at_punct(","):
            tokens.take(",")
            values.append(_value(tokens))
        tokens.punct(")")
        return Filter(field, operator, values)
    return Filter(field, operator, _value(tokens))


def _having(tokens: _Tokens) -> Having:
    key = _calculation(tokens).label
    comparison = tokens.peek()
    if comparison is None or comparison[0] != "op" or comparison[1] not in HAVING_OPERATORS:
        tokens.fail(f"Expected a comparison after HAVING {key} ({', '.join(sorted(HAVING_OPERATORS))})")
    tokens.take("a comparison")
    token = tokens.peek()
    try:
        value = float(token[1]) if token and token[0] == "word" else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        tokens.fail(f"Expected a number after HAVING {key} {comparison[1]}")
    tokens.take("a number")
    return Having(key, comparison[1], value)


def _format_number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _value(tokens: _Tokens):
    token = tokens.peek()
    if token is None or token[0] not in ("word", "string") or token[0] == "word" and token[1].lower() in CLAUSES:
        tokens.fail("Expected a value")
    tokens.take("a value")
    # As written: the field's type decides what it means (007 is a number for duration_ms, an id
    # for trace.trace_id).
    return _unquote(token[1]) if token[0] == "string" else token[1]


def _order(tokens: _Tokens) -> Order:
    start = tokens.index
    calculation_words = tokens.peek() is not None and tokens.peek()[1].upper() in AGGREGATES
    if calculation_words:
        key = _calculation(tokens).label
    else:
        tokens.index = start
        key = tokens.name("a calculation or field to order by")
    descending = False
    if tokens.at("asc", "desc"):
        descending = tokens.take("ASC or DESC")[1].lower() == "desc"
    return Order(key, descending)


def _duration(tokens: _Tokens) -> timedelta:
    token = tokens.peek()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd])", token[1].lower()) if token and token[0] == "word" else None
    if not match:
        tokens.fail("Expected a duration such as 30s, 15m, 2h or 1d")
    tokens.take("a duration")
    seconds = float(match.group(1)) * UNITS[match.group(2)]
    if seconds <= 0:
        tokens.index -= 1
        tokens.fail("A duration must be more than 0")
    return timedelta(seconds=seconds)


def _moment(tokens: _Tokens):
    token = tokens.peek()
    if token is None or token[0] not in ("word", "string"):
        tokens.fail("Expected a time (ISO 8601, such as 2026-11-22T10:00:00Z)")
    tokens.take("a time")
    try:
        return parse_time({"t": _unquote(token[1]) if token[0] == "string" else token[1]}, "t")
    except QueryError:
        tokens.index -= 1
        tokens.fail("Expected a time (ISO 8601, such as 2026-11-22T10:00:00Z)")


def _format_value(value) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if re.fullmatch(r"[^\s,()\"=<>!]+", text) and text.lower() not in CLAUSES + ("and", "or"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _format_calculation(calculation: Calculation) -> str:
    return calculation.op if calculation.field is None else f"{calculation.op}({_format_value(calculation.field)})"


def _format_order_key(key: str, calculations: dict[str, Calculation]) -> str:
    """A calculation of the query as VISUALIZE writes it; a field quoted where it would read as one."""
    if key in calculations:
        return _format_calculation(calculations[key])
    text = _format_value(key)
    return '"' + text + '"' if text.upper() in AGGREGATES else text


def _format_seconds(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    # Every digit a timedelta keeps (microseconds), and never an exponent, which durations lack.
    return f"{seconds:.6f}".rstrip("0").rstrip(".") + "s"


def format_query(query: Query) -> str:
    """The text form of a query (parse(format_query(q)) gives q back)."""
    parts = ["VISUALIZE " + ", ".join(_format_calculation(c) for c in query.calculations)]
    if query.filters:
        conditions = []
        for f in query.filters:
            if f.op in ("exists", "does-not-exist"):
                conditions.append(f"{_format_value(f.field)} {f.op}")
            elif f.op in LIST_OPERATORS:
                values = ", ".join(_format_value(v) for v in f.value)
                conditions.append(f"{_format_value(f.field)} {f.op} ({values})")
            else:
                conditions.append(f"{_format_value(f.field)} {f.op} {_format_value(f.value)}")
        parts.append("WHERE " + f" {query.combine} ".join(conditions))
    if query.group_by:
        parts.append("GROUP BY " + ", ".join(_format_value(g) for g in query.group_by))
    labels = {c.label: c for c in query.calculations}
    if query.havings:
        conditions = [f"{_format_order_key(h.key, labels)} {h.op} {_format_number(h.value)}" for h in query.havings]
        parts.append("HAVING " + " AND ".join(conditions))
    if query.order_by:
        orders = [f"{_format_order_key(o.key, labels)} {'DESC' if o.descending else 'ASC'}" for o in query.order_by]
        parts.append("ORDER BY " + ", ".join(orders))
    if query.limit is not None:
        parts.append(f"LIMIT {query.limit}")
    if query.start and query.end:
        parts.append(f"BETWEEN {query.start.isoformat()}Z AND {query.end.isoformat()}Z")
    elif query.since:
        parts.append(f"SINCE {_format_seconds(query.since.total_seconds())}")
    if query.granularity:
        parts.append(f"GRANULARITY {_format_seconds(query.granularity.total_seconds())}")
    return " ".join(parts)
