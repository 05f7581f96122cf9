"""X-Ray filter expressions: a parser and evaluator for the subset the lab supports.

    service("name")                          a segment (or called service) with that name
    http.status = 200, http.url CONTAINS "x" the entry point's HTTP data (also http.method,
                                             http.useragent, http.clientip)
    responsetime > 0.5, duration >= 1        seconds: entry point's response time, whole trace
    error, fault, throttle, ok, partial      flags (also `fault = false`, `!fault`)
    annotation.key = "v", annotation[key] > 1  any segment or subsegment annotation
    group.name = "G", group.arn = "arn:..."  the filter expression of that group
    ... AND ..., ... OR ..., NOT ..., !..., ( ... )

Comparison operators: = != < <= > >= and, for strings, CONTAINS BEGINSWITH ENDSWITH.
Keywords are case-insensitive. A malformed expression raises FilterError.

This module is plain Python (no LocalStack imports): the provider evaluates parsed
expressions against TraceView objects built from stored segments.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class FilterError(ValueError):
    pass


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<op>!=|<=|>=|=|<|>|!|\(|\)|\[|\]|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_STRING_OPERATORS = {"contains", "beginswith", "endswith"}
_FLAGS = {"ok", "error", "fault", "throttle", "partial"}
_HTTP_FIELDS = {"http.status", "http.url", "http.method", "http.useragent", "http.clientip"}
_NUMBER_FIELDS = {"responsetime", "duration"}


@dataclass
class TraceView:
    """What an expression can ask about one trace."""

    services: set[str]
    http: dict[str, Any]  # status, url, method, useragent, clientip of the entry point
    response_time: float
    duration: float
    flags: set[str]  # of "error", "fault", "throttle", "partial"
    annotations: dict[str, list[Any]]  # key -> every value recorded in the trace


Predicate = Callable[[TraceView], bool]


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise FilterError(f"Unexpected input at position {position}: {text[position : position + 20]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def parse(text: str, resolve_group: Callable[[str, str], str | None] | None = None) -> Predicate:
    """Compile an expression. resolve_group(kind, value) returns a group's expression (None:
    the group takes every trace), where kind is "name" or "arn"; it raises FilterError when
    there is no such group."""
    if not text or not text.strip():
        raise FilterError("The filter expression is empty")
    parser = _Parser(tokenize(text), resolve_group)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise FilterError(f"Unexpected {parser.peek()[1]!r} after a complete expression")
    return predicate


class _Parser:
    def __init__(self, tokens, resolve_group, depth=0):
        self.tokens = tokens
        self.index = 0
        self.resolve_group = resolve_group
        self.depth = depth

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind=None, value=None):
        token = self.peek()
        if token is None:
            raise FilterError("The filter expression ends too early")
        if kind and token[0] != kind or value and token[1].lower() != value:
            raise FilterError(f"Expected {value or kind}, found {token[1]!r}")
        self.index += 1
        return token

    def at_word(self, *words):
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].lower() in words

    def expression(self) -> Predicate:
        left = self.conjunction()
        while self.at_word("or"):
            self.take()
            left = _either(left, self.conjunction())
        return left

    def conjunction(self) -> Predicate:
        left = self.negation()
        while self.at_word("and"):
            self.take()
            left = _both(left, self.negation())
        return left

    def negation(self) -> Predicate:
        if self.at_word("not") or self.peek() == ("op", "!"):
            self.take()
            inner = self.negation()
            return lambda trace: not inner(trace)
        return self.primary()

    def primary(self) -> Predicate:
        token = self.peek()
        if token == ("op", "("):
            self.take()
            inner = self.expression()
            self.take("op", ")")
            return inner
        if token is None or token[0] != "word":
            raise FilterError(f"Expected a condition, found {token[1] if token else 'the end'!r}")
        word = token[1].lower()
        if word == "service":
            return self.service()
        if word in _FLAGS:
            return self.flag()
        if word.startswith("group."):
            return self.group()
        return self.comparison()

    def service(self) -> Predicate:
        self.take()
        self.take("op", "(")
        name = _unquote(self.take("string")[1])
        self.take("op", ")")
        return lambda trace: name in trace.services

    def flag(self) -> Predicate:
        flag = self.take()[1].lower()
        expected = True
        if self.peek() in (("op", "="), ("op", "!=")):
            negate = self.take()[1] == "!="
            value = self.take("word")[1].lower()
            if value not in ("true", "false"):
                raise FilterError(f"{flag} compares with true or false, not {value!r}")
            expected = (value == "true") != negate
        if flag == "ok":
            return lambda trace: (not trace.flags & {"error", "fault", "throttle"}) == expected
        return lambda trace: (flag in trace.flags) == expected

    def group(self) -> Predicate:
        field = self.take()[1].lower()
        kind = field.split(".", 1)[1]
        if kind not in ("name", "arn"):
            raise FilterError(f"Unknown group attribute {field!r}")
        self.take("op", "=")
        value = _unquote(self.take("string")[1])
        if self.resolve_group is None:
            raise FilterError("Groups cannot be used here")
        if self.depth > 3:
            raise FilterError("Group expressions nest too deeply")
        expression = self.resolve_group(kind, value)
        if not expression:
            return lambda trace: True
        nested = _Parser(tokenize(expression), self.resolve_group, self.depth + 1)
        predicate = nested.expression()
        if nested.peek() is not None:
            raise FilterError(f"The expression of group {value!r} is malformed")
        return predicate

    def comparison(self) -> Predicate:
        field = self.take("word")[1].lower()
        if field == "annotation" and self.peek() == ("op", "["):
            self.take()
            key = self.take("word")[1]
            self.take("op", "]")
            field = f"annotation.{key}"
        operator = self.operator()
        value = self.value()
        if field.startswith("annotation."):
            key = field.split(".", 1)[1]
            return lambda trace: any(_compare(found, operator, value) for found in trace.annotations.get(key, ()))
        if field in _HTTP_FIELDS:
            name = field.split(".", 1)[1]
            return lambda trace: _compare(trace.http.get(name), operator, value)
        if field in _NUMBER_FIELDS:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise FilterError(f"{field} compares with a number")
            attribute = "response_time" if field == "responsetime" else "duration"
            return lambda trace: _compare(getattr(trace, attribute), operator, value)
        raise FilterError(f"Unknown attribute {field!r}")

    def operator(self) -> str:
        token = self.take()
        if token[0] == "op" and token[1] in ("=", "!=", "<", "<=", ">", ">="):
            return token[1]
        if token[0] == "word" and token[1].lower() in _STRING_OPERATORS:
            return token[1].lower()
        raise FilterError(f"Expected a comparison operator, found {token[1]!r}")

    def value(self):
        kind, text = self.take()
        if kind == "string":
            return _unquote(text)
        if kind == "number":
            number = float(text)
            return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise FilterError(f"Expected a value, found {text!r}")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _either(left: Predicate, right: Predicate) -> Predicate:
    return lambda trace: left(trace) or right(trace)


def _both(left: Predicate, right: Predicate) -> Predicate:
    return lambda trace: left(trace) and right(trace)


def _compare(found, operator: str, expected) -> bool:
    if found is None:
        return operator == "!="
    if operator in _STRING_OPERATORS:
        if not isinstance(found, str) or not isinstance(expected, str):
            return False
        return {
            "contains": expected in found,
            "beginswith": found.startswith(expected),
            "endswith": found.endswith(expected),
        }[operator]
    if isinstance(expected, bool) or isinstance(found, bool):
        if operator not in ("=", "!="):
            return False
        return (found == expected) == (operator == "=")
    numeric = isinstance(found, (int, float)) and isinstance(expected, (int, float))
    if not numeric and type(found) is not type(expected):
        return operator == "!="
    if operator == "=":
        return found == expected
    if operator == "!=":
        return found != expected
    return {"<": found < expected, "<=": found <= expected, ">": found > expected, ">=": found >= expected}[operator]
