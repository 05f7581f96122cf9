"""The functions of CloudWatch Logs Insights' language: scalar ones (strings, numbers, time,
presence), comparison as CloudWatch compares, and what the aggregates of `stats` need. Values
are None (absent), str, int, float, bool or Time (milliseconds since the epoch, shown as a
date). Plain Python."""

import math
import re
from datetime import UTC, datetime


class Time(int):
    """Milliseconds since the epoch that print as CloudWatch prints @timestamp."""

    def __str__(self) -> str:
        moment = datetime.fromtimestamp(self / 1000, UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{int(self) % 1000:03d}"


def number(value):
    """A value as a number, or None: numbers as they are, numeric text parsed, the rest None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value) if value.strip().lstrip("+-").isdigit() else float(value)
        except ValueError:
            return None
    return None


def text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _floor_to(value, period, ceiling=False):
    ms, period = number(value), number(period)
    if ms is None or not period:
        return None
    floored = int(ms // period * period)
    return Time(floored + period if ceiling and floored != ms else floored)


def _substr(value, start, length=None):
    value, start = text(value), number(start)
    if value is None or start is None:
        return None
    start = int(start)
    return value[start:] if length is None else value[start : start + int(number(length) or 0)]


def _math(fn):
    def call(value):
        value = number(value)
        try:
            return fn(value) if value is not None else None
        except ValueError:
            return None

    return call


def _strings(fn):
    def call(value, *args):
        value = text(value)
        return fn(value, *[text(a) or "" for a in args]) if value is not None else None

    return call


def _present(value) -> bool:
    return value is not None


SCALAR = {
    # (function, least arguments, most arguments; None: any number)
    "ispresent": (_present, 1, 1),
    "isempty": (lambda v: v is None or text(v) == "", 1, 1),
    "isblank": (lambda v: v is None or text(v).strip() == "", 1, 1),
    "coalesce": (lambda *vs: next((v for v in vs if v is not None), None), 1, None),
    "concat": (lambda *vs: "".join(text(v) or "" for v in vs), 1, None),
    "strlen": (_strings(len), 1, 1),
    "toupper": (_strings(str.upper), 1, 1),
    "tolower": (_strings(str.lower), 1, 1),
    "trim": (_strings(lambda v, chars=None: v.strip(chars) if chars else v.strip()), 1, 2),
    "ltrim": (_strings(lambda v, chars=None: v.lstrip(chars) if chars else v.lstrip()), 1, 2),
    "rtrim": (_strings(lambda v, chars=None: v.rstrip(chars) if chars else v.rstrip()), 1, 2),
    "substr": (_substr, 2, 3),
    "replace": (_strings(lambda v, old, new: v.replace(old, new) if old else v), 3, 3),
    "strcontains": (_strings(lambda v, part: int(part in v)), 2, 2),
    "abs": (_math(abs), 1, 1),
    "ceil": (_math(math.ceil), 1, 1),
    "floor": (_math(math.floor), 1, 1),
    "sqrt": (_math(math.sqrt), 1, 1),
    "log": (_math(math.log), 1, 1),
    "greatest": (lambda *vs: max((n for n in map(number, vs) if n is not None), default=None), 1, None),
    "least": (lambda *vs: min((n for n in map(number, vs) if n is not None), default=None), 1, None),
    "bin": (None, 1, 1),  # the record's @timestamp, floored: the engine binds it
    "datefloor": (_floor_to, 2, 2),
    "dateceil": (lambda v, p: _floor_to(v, p, ceiling=True), 2, 2),
    "frommillis": (lambda v: Time(int(number(v))) if number(v) is not None else None, 1, 1),
    "tomillis": (lambda v: int(number(v)) if number(v) is not None else None, 1, 1),
}


def compare(op: str, left, right) -> bool:
    """CloudWatch compares numbers as numbers (numeric text included) and the rest as text;
    an absent field matches no comparison."""
    if left is None or right is None:
        return False
    a, b = number(left), number(right)
    if a is None or b is None:
        a, b = text(left), text(right)
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def like(value, pattern) -> bool:
    if value is None:
        return False
    value = text(value)
    return bool(pattern.search(value)) if isinstance(pattern, re.Pattern) else pattern in value


# --- What the aggregates of stats need beyond Python's own ---


def percentile(values: list, percent: float):
    """The nearest-rank percentile: the smallest value with at least percent% of values at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def stddev(values: list) -> float:
    """The sample standard deviation (0 for a single value)."""
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
