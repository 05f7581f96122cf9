"""X-Ray filter expressions: a parser and evaluator for the language of AWS X-Ray's
documentation ("Using filter expressions"). Plain Python (no LocalStack imports): the provider
evaluates parsed expressions against View objects built from stored traces (segments.py).

    keyword                                  boolean: ok error throttle fault partial inferred
                                             first remote root (also `!fault`, `fault = false`)
    keyword operator number                  responsetime duration http.status index coverage
    keyword operator "string"                http.url http.method http.useragent http.clientip
                                             user name type message availabilityzone
                                             instance.id resource.arn account.id
    annotation.key / annotation[key]         present; or compared with a number, string or bool
    service("name") { filter }               a service (segment) of the trace; the filter in
    service() { filter }                     braces applies to that service only (optional);
    service(id(name: "n", type: "t"))        id() picks a service by name and/or type
    edge("a", "b") { filter }                a call from service a to service b (id() too)
    rootcause.fault.service { filter }       root causes of faults (also .entity, .exception),
    rootcause.error.entity { filter }        of errors, and of response time (.service,
    rootcause.responsetime.entity { ... }    .entity; coverage is its share of the time)
    rootcause.json = #[{...}]                X-Ray's root cause JSON
    group.name = "G", group.arn = "arn:..."  the filter expression of that group
    ... AND ..., ... OR ..., NOT ..., !..., ( ... ); conditions side by side mean AND

Operators: = != < <= > >= for numbers; = != CONTAINS BEGINSWITH ENDSWITH for strings.
Keywords and operators are case-insensitive. A malformed expression raises FilterError with
the position (0-based) of the offending input.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class FilterError(ValueError):
    pass


BOOLEAN_KEYWORDS = {"ok", "error", "throttle", "fault", "partial", "inferred", "first", "remote", "root"}
NUMBER_KEYWORDS = {"responsetime", "duration", "http.status", "index", "coverage"}
STRING_KEYWORDS = {
    "http.url", "http.method", "http.useragent", "http.clientip", "user", "name", "type", "message",
    "availabilityzone", "instance.id", "resource.arn", "account.id",
}  # fmt: skip
ROOT_CAUSES = {
    f"rootcause.{kind}.{level}"
    for kind, levels in (("fault", ("service", "entity", "exception")), ("error", ("service", "entity", "exception")),
                         ("responsetime", ("service", "entity")))
    for level in levels
}  # fmt: skip
NUMBER_OPERATORS = {"=", "!=", "<", "<=", ">", ">="}
STRING_OPERATORS = {"=", "!=", "contains", "beginswith", "endswith"}
# Nesting deeper than this (parentheses, NOT, braces, groups) is refused, never a RecursionError.
MAX_DEPTH = 50


@dataclass
class View:
    """What a filter can ask about: a whole trace, or the part of it a brace filter looks at
    (one service's segment, one edge, one root cause)."""

    values: dict[str, Any] = field(default_factory=dict)  # number and string keywords; a list: any of them
    flags: set[str] = field(default_factory=set)  # the boolean keywords that hold
    annotations: dict[str, list[Any]] = field(default_factory=dict)  # key -> every value recorded
    services: list["View"] = field(default_factory=list)  # values "name" and "type"
    edges: list["View"] = field(default_factory=list)  # values "source" and "destination": (name, type)
    root_causes: dict[str, list["View"]] = field(default_factory=dict)  # "fault.service" -> items
    root_cause_json: list[dict] = field(default_factory=list)  # [{"Services": [{"Name", "EntityPath"}]}]


Predicate = Callable[[View], bool]
GroupResolver = Callable[[str, str], str | None]

_TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<json>\#)
      | (?P<op>!=|<=|>=|=|<|>|!|\(|\)|\[|\]|\{|\}|,|:)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # string, number, json, op, word
    text: str
    position: int
    value: Any = None  # the decoded value of a json literal

    def is_op(self, *ops: str) -> bool:
        return self.kind == "op" and self.text in ops

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


def tokenize(text: str) -> list[Token]:
    tokens, position, decoder = [], 0, json.JSONDecoder()
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return tokens
        match = _TOKEN.match(text, position)
        if not match:
            raise FilterError(f"Unexpected input at position {position}: {text[position : position + 20]!r}")
        kind = match.lastgroup
        if kind == "json":  # #[...] or #{...}: a JSON literal
            try:
                value, end = decoder.raw_decode(text, position + 1)
            except ValueError:
                raise FilterError(f"Malformed JSON at position {position + 1}") from None
            tokens.append(Token("json", text[position:end], position, value))
            position = end
            continue
        tokens.append(Token(kind, match.group(kind), position))
        position = match.end()


def parse(text: str, resolve_group: GroupResolver | None = None) -> Predicate:
    """Compile an expression. resolve_group(kind, value) returns a group's expression (None:
    the group takes every trace), where kind is "name" or "arn"; it raises FilterError when
    there is no such group."""
    if not text or not text.strip():
        raise FilterError("The filter expression is empty")
    return _Parser(text, resolve_group).whole()


class _Parser:
    def __init__(self, text: str, resolve_group: GroupResolver | None, depth: int = 0):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.resolve_group = resolve_group
        self.depth = depth

    # --- tokens ---

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def fail(self, message: str, token: Token | None = None):
        token = token or self.peek()
        where = f"at position {token.position}" if token else f"at the end (position {len(self.text)})"
        raise FilterError(f"{message} {where}")

    def take(self, what: str = "more input") -> Token:
        token = self.peek()
        if token is None:
            self.fail(f"Expected {what}, the expression ends")
        self.index += 1
        return token

    def expect_op(self, op: str) -> Token:
        token = self.peek()
        if token is None or not token.is_op(op):
            self.fail(f"Expected {op!r}, found {token.text if token else 'nothing'!r}")
        return self.take()

    def expect_string(self, what: str) -> str:
        token = self.peek()
        if token is None or token.kind != "string":
            self.fail(f"Expected {what} in double quotes")
        return _unquote(self.take().text)

    # --- grammar ---

    def whole(self) -> Predicate:
        predicate = self.expression()
        if self.peek() is not None:
            self.fail(f"Unexpected {self.peek().text!r} after a complete expression")
        return predicate

    def nested(self, parse_inner: Callable[[], Predicate]) -> Predicate:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"The expression nests deeper than {MAX_DEPTH} levels")
        try:
            return parse_inner()
        finally:
            self.depth -= 1

    def expression(self) -> Predicate:
        terms = [self.conjunction()]
        while (token := self.peek()) is not None and token.is_word("or"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else (lambda view: any(term(view) for term in terms))

    def conjunction(self) -> Predicate:
        terms = [self.negation()]
        while (token := self.peek()) is not None:
            if token.is_word("and"):
                self.take()
            elif not self.starts_condition(token):
                break
            terms.append(self.negation())
        return terms[0] if len(terms) == 1 else (lambda view: all(term(view) for term in terms))

    @staticmethod
    def starts_condition(token: Token) -> bool:
        # Conditions side by side (`ok !partial duration < 3`) are joined by AND.
        return token.is_op("(", "!") or (token.kind == "word" and not token.is_word("and", "or"))

    def negation(self) -> Predicate:
        token = self.peek()
        if token is not None and (token.is_word("not") or token.is_op("!")):
            self.take()
            inner = self.nested(self.negation)
            return lambda view: not inner(view)
        return self.primary()

    def primary(self) -> Predicate:
        token = self.peek()
        if token is not None and token.is_op("("):
            self.take()
            inner = self.nested(self.expression)
            self.expect_op(")")
            return inner
        if token is None or token.kind != "word":
            self.fail(f"Expected a condition, found {token.text if token else 'nothing'!r}")
        keyword = token.text.lower()
        if keyword == "service":
            return self.service()
        if keyword == "edge":
            return self.edge()
        if keyword in ("group.name", "group.arn"):
            return self.group()
        if keyword == "rootcause.json":
            return self.root_cause_json()
        if keyword in ROOT_CAUSES:
            return self.root_cause()
        if keyword in BOOLEAN_KEYWORDS:
            return self.boolean()
        if keyword == "annotation" or keyword.startswith("annotation."):
            return self.annotation()
        if keyword in NUMBER_KEYWORDS or keyword in STRING_KEYWORDS:
            return self.comparison()
        self.fail(f"Unknown keyword {token.text!r}", token)

    def braces(self) -> Predicate | None:
        """The optional `{ filter }` after a complex keyword."""
        token = self.peek()
        if token is None or not token.is_op("{"):
            return None
        self.take()
        inner = self.nested(self.expression)
        self.expect_op("}")
        return inner

    def target(self, what: str) -> Callable[[tuple[str, str]], bool]:
        """A service given by "name" or id(name: "...", type: "..."): a test of (name, type)."""
        token = self.peek()
        if token is not None and token.is_word("id"):
            self.take()
            self.expect_op("(")
            wanted: dict[str, str] = {}
            while True:
                key = self.take("name: or type:")
                if not key.is_word("name", "type") or key.text.lower() in wanted:
                    self.fail("id() takes name: and type:, each once", key)
                self.expect_op(":")
                wanted[key.text.lower()] = self.expect_string(f"the {key.text.lower()}")
                if self.peek() is not None and self.peek().is_op(","):
                    self.take()
                    continue
                self.expect_op(")")
                break
            return lambda node: all(node[0 if key == "name" else 1] == value for key, value in wanted.items())
        name = self.expect_string(what)
        return lambda node: node[0] == name

    def service(self) -> Predicate:
        self.take()
        self.expect_op("(")
        token = self.peek()
        matches_node = (lambda node: True) if token is not None and token.is_op(")") else self.target("a service name")
        self.expect_op(")")
        inner = self.braces() or (lambda view: True)
        return lambda view: any(
            matches_node((service.values.get("name"), service.values.get("type"))) and inner(service)
            for service in view.services
        )

    def edge(self) -> Predicate:
        self.take()
        self.expect_op("(")
        source = self.target("the calling service's name")
        self.expect_op(",")
        destination = self.target("the called service's name")
        self.expect_op(")")
        inner = self.braces() or (lambda view: True)
        return lambda view: any(
            source(edge.values["source"]) and destination(edge.values["destination"]) and inner(edge)
            for edge in view.edges
        )

    def root_cause(self) -> Predicate:
        kind = self.take().text.lower().split(".", 1)[1]
        inner = self.braces() or (lambda view: True)
        return lambda view: any(inner(item) for item in view.root_causes.get(kind, ()))

    def root_cause_json(self) -> Predicate:
        self.take()
        self.expect_op("=")
        token = self.take("a JSON value after #")
        if token.kind != "json":
            self.fail("rootcause.json compares with a JSON literal such as #[{...}]", token)
        wanted = token.value if isinstance(token.value, list) else [token.value]
        return lambda view: all(_root_cause_covers(view.root_cause_json, cause) for cause in wanted)

    def group(self) -> Predicate:
        token = self.take()
        kind = token.text.lower().split(".", 1)[1]
        self.expect_op("=")
        value = self.expect_string(f"the group's {kind}")
        if self.resolve_group is None:
            self.fail("Groups cannot be used here", token)
        if self.depth >= MAX_DEPTH:
            self.fail("Group expressions nest too deeply", token)
        expression = self.resolve_group(kind, value)
        if not expression:
            return lambda view: True
        try:
            return _Parser(expression, self.resolve_group, self.depth + 1).whole()
        except FilterError as error:
            raise FilterError(f"The expression of group {value!r} is malformed: {error}") from None

    def boolean(self) -> Predicate:
        flag = self.take().text.lower()
        expected = True
        token = self.peek()
        if token is not None and token.is_op("=", "!="):
            negate = self.take().text == "!="
            value = self.take("true or false")
            if not value.is_word("true", "false"):
                self.fail(f"{flag} compares with true or false, not {value.text!r}", value)
            expected = (value.text.lower() == "true") != negate
        if flag == "ok":
            return lambda view: (not view.flags & {"error", "fault", "throttle"}) == expected
        return lambda view: (flag in view.flags) == expected

    def annotation(self) -> Predicate:
        token = self.take()
        if token.text.lower() == "annotation":
            self.expect_op("[")
            key_token = self.take("an annotation key")
            if key_token.kind not in ("word", "string"):
                self.fail("Expected an annotation key", key_token)
            key = _unquote(key_token.text) if key_token.kind == "string" else key_token.text
            self.expect_op("]")
        else:
            key = token.text.split(".", 1)[1]
            if not key:
                self.fail("Expected an annotation key after 'annotation.'", token)
        following = self.peek()
        if following is None or not (following.is_op(*NUMBER_OPERATORS) or following.is_word(*STRING_OPERATORS)):
            return lambda view: key in view.annotations  # present, whatever its value
        operator = self.operator(NUMBER_OPERATORS | STRING_OPERATORS, f"annotation {key}")
        value = self.value()
        return lambda view: any(_compare(found, operator, value) for found in view.annotations.get(key, ()))

    def comparison(self) -> Predicate:
        token = self.take()
        keyword = token.text.lower()
        numeric = keyword in NUMBER_KEYWORDS
        operator = self.operator(NUMBER_OPERATORS if numeric else STRING_OPERATORS, keyword)
        value_token = self.peek()
        value = self.value()
        if numeric != (isinstance(value, int | float) and not isinstance(value, bool)):
            self.fail(f"{keyword} compares with {'a number' if numeric else 'a string'}", value_token)
        return lambda view: _compare_any(view.values.get(keyword), operator, value)

    def operator(self, allowed: set[str], keyword: str) -> str:
        token = self.take("a comparison operator")
        operator = token.text.lower()
        if operator not in allowed or token.kind not in ("op", "word"):
            self.fail(
                f"Expected one of {' '.join(sorted(allowed)).upper()} after {keyword}, found {token.text!r}", token
            )
        return operator

    def value(self) -> Any:
        token = self.take("a value")
        if token.kind == "string":
            return _unquote(token.text)
        if token.kind == "number":
            number = float(token.text)
            return int(number) if re.fullmatch(r"-?\d+", token.text) else number
        if token.is_word("true", "false"):
            return token.text.lower() == "true"
        self.fail(f"Expected a number, a string in double quotes, true or false, found {token.text!r}", token)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _compare_any(found, operator: str, expected) -> bool:
    """A keyword with several values (user: every segment's) matches when one of them does."""
    if isinstance(found, list):
        if operator == "!=":
            return not any(_compare(one, "=", expected) for one in found)
        return any(_compare(one, operator, expected) for one in found)
    return _compare(found, operator, expected)


def _compare(found, operator: str, expected) -> bool:
    if found is None:
        return operator == "!="
    if operator in ("contains", "beginswith", "endswith"):
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
        return (found is expected) == (operator == "=")
    numeric = isinstance(found, int | float) and isinstance(expected, int | float)
    if not numeric and type(found) is not type(expected):
        return operator == "!="
    if operator == "=":
        return found == expected
    if operator == "!=":
        return found != expected
    return {"<": found < expected, "<=": found <= expected, ">": found > expected, ">=": found >= expected}[operator]


def _root_cause_covers(causes: list[dict], wanted: Any) -> bool:
    """Does one of the trace's root causes name every service of `wanted` (by Name), each with
    its EntityPath names in order, when given?"""
    if not isinstance(wanted, dict):
        return False
    wanted_services = wanted.get("Services") or []
    for cause in causes:
        services = {service["Name"]: [e["Name"] for e in service["EntityPath"]] for service in cause["Services"]}
        if all(
            isinstance(service, dict)
            and service.get("Name") in services
            and [e.get("Name") for e in service.get("EntityPath") or [] if isinstance(e, dict)]
            in ([], services[service["Name"]])
            for service in wanted_services
        ):
            return True
    return False
