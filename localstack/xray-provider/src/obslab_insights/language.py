"""CloudWatch Logs Insights' query language, parsed: commands joined by `|`, as the CloudWatch
documentation ("CloudWatch Logs Insights language query syntax") describes them. Plain Python
(no LocalStack imports): the engine (obslab_insights.engine) runs what this module returns.

    fields expr [as name], ...        display field, ...        filter expr
    parse [field] "glob * with *" as a, b      parse [field] /(?<name>regex)/
    stats agg(...) [as name], ... [by expr [as name], ...]   (count count_distinct sum avg
          min max pct stddev earliest latest; `bin(5m)` among the groups)
    sort expr [asc|desc], ...          limit n          dedup field, ...

Expressions: numbers, "strings" or 'strings', fields (`@timestamp`, `a.b`, `` `any name` ``),
arithmetic (+ - * / % ^), comparisons (= != < <= > >=), `and`, `or`, `not`, `in [..]`,
`like "text"` or `like /regex/`, `=~ /regex/`, function calls, durations (`5m`, `1h`).
`#` starts a comment. A malformed query raises QueryError with the offending characters'
offsets, which the provider turns into CloudWatch's MalformedQueryException.
"""

import re
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 10_000  # StartQuery's own limit on queryString


class QueryError(ValueError):
    def __init__(self, message: str, start: int, end: int | None = None):
        super().__init__(f"{message} at position {start}")
        self.message, self.start, self.end = message, start, end if end is not None else start


# --- Tokens ---

DURATION_UNITS = {"ms": 1, "s": 1000, "sec": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000,
                  "hr": 3_600_000, "d": 86_400_000, "w": 604_800_000, "mo": 2_592_000_000,
                  "q": 7_776_000_000, "y": 31_536_000_000}  # fmt: skip
TOKEN = re.compile(
    r"""(?P<space>\s+|\#[^\n]*)
      | (?P<duration>\d+(?:\.\d+)?(?:ms|sec|min|hr|mo|s|m|h|d|w|q|y)(?![\w.]))
      | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<quoted>`[^`]*`)
      | (?P<word>@?[A-Za-z_][\w.]*(?<!\.)|@\w*)
      | (?P<op>=~|!=|<=|>=|[=<>+\-*/%^(),\[\]|!])""",
    re.VERBOSE,
)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
KEYWORDS = {"and", "or", "not", "in", "like", "as", "by", "asc", "desc"}


@dataclass(frozen=True)
class Token:
    kind: str  # word, number, duration, string, regex, op, end
    text: str
    start: int
    end: int
    value: object = None

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words

    def is_op(self, *ops: str) -> bool:
        return self.kind == "op" and self.text in ops


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def _regex_allowed(tokens: list[Token]) -> bool:
    """A `/` opens a regular expression where an operand of like, =~ or parse is expected."""
    if not tokens:
        return False
    last = tokens[-1]
    if last.is_word("like", "parse") or last.is_op("=~", "(", ","):
        return True
    return len(tokens) >= 2 and tokens[-2].is_word("parse") and last.kind in ("word", "quoted")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position] == "/" and _regex_allowed(tokens):
            match = re.compile(r"/((?:[^/\\]|\\.)*)/").match(text, position)
            if not match:
                raise QueryError("Unterminated regular expression", position, len(text))
            body = match.group(1).replace("\\/", "/")
            try:
                compiled = re.compile(_python_regex(body))
            except re.error as error:
                raise QueryError(f"Invalid regular expression: {error}", position, match.end()) from None
            tokens.append(Token("regex", match.group(0), position, match.end(), compiled))
            position = match.end()
            continue
        match = TOKEN.match(text, position)
        if not match:
            what = "Unterminated string" if text[position] in "\"'`" else f"Unexpected character {text[position]!r}"
            raise QueryError(what, position, position + 1)
        kind, raw = match.lastgroup, match.group(0)
        if kind == "duration":
            number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", raw).groups()
            tokens.append(Token(kind, raw, position, match.end(), int(float(number) * DURATION_UNITS[unit])))
        elif kind == "number":
            tokens.append(
                Token(kind, raw, position, match.end(), float(raw) if "." in raw or "e" in raw.lower() else int(raw))
            )
        elif kind == "string":
            tokens.append(Token(kind, raw, position, match.end(), _unescape(raw[1:-1])))
        elif kind == "quoted":
            tokens.append(Token("word", raw, position, match.end(), raw[1:-1]))
        elif kind != "space":
            tokens.append(Token(kind, raw, position, match.end(), raw))
        position = match.end()
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _python_regex(body: str) -> str:
    """Java-style named groups (?<name>...), as CloudWatch writes them, in Python's spelling."""
    return re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", body)


# --- The tree ---


@dataclass(frozen=True)
class Literal:
    value: object


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Call:
    name: str  # lower case
    args: tuple
    start: int
    end: int


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "not"
    operand: object


@dataclass(frozen=True)
class Binary:
    op: str  # and or = != < <= > >= + - * / % ^ like =~ in
    left: object
    right: object


@dataclass(frozen=True)
class Named:
    expr: object
    name: str  # the alias, or the expression as written


@dataclass
class Command:
    kind: str
    start: int
    items: list = field(default_factory=list)  # fields, display, stats (aggregates), sort, dedup
    expr: object = None  # filter
    groups: list = field(default_factory=list)  # stats ... by
    source: object = None  # parse: the field
    pattern: object = None  # parse: compiled regex
    names: list = field(default_factory=list)  # parse: the fields it sets
    count: int = 0  # limit


@dataclass
class Query:
    commands: list

    def fields_used(self) -> set[str]:
        used: set[str] = set()

        def walk(node):
            if isinstance(node, Field):
                used.add(node.name)
            for child in _children(node):
                walk(child)

        for command in self.commands:
            for node in [*command.items, command.expr, *command.groups, command.source]:
                walk(node)
        return used


def _children(node) -> list:
    if isinstance(node, Call):
        return list(node.args)
    if isinstance(node, Unary):
        return [node.operand]
    if isinstance(node, Binary):
        return [node.left, node.right] if not isinstance(node.right, tuple) else [node.left, *node.right]
    if isinstance(node, Named):
        return [node.expr]
    if isinstance(node, tuple):  # a sort key: (expr, descending)
        return [node[0]]
    return []


AGGREGATES = {"count", "count_distinct", "sum", "avg", "min", "max", "pct", "stddev", "earliest", "latest"}
COMMANDS = {"fields", "display", "filter", "parse", "stats", "sort", "limit", "dedup"}
MAX_LIMIT = 10_000


class Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.at = 0

    # -- helpers --
    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def fail(self, message: str, token: Token | None = None):
        token = token or self.token
        found = f" but found {token.text!r}" if token.kind != "end" else " but the query ended"
        raise QueryError(message + found, token.start, token.end)

    def expect_op(self, op: str) -> Token:
        if not self.token.is_op(op):
            self.fail(f"Expected {op!r}")
        return self.take()

    def at_command_end(self) -> bool:
        return self.token.kind == "end" or self.token.is_op("|")

    def source(self, start: int) -> str:
        return self.text[start : self.tokens[self.at - 1].end].strip()

    # -- commands --
    def query(self) -> Query:
        commands = []
        while True:
            commands.append(self.command())
            if self.token.kind == "end":
                break
            self.expect_op("|")
        return Query(commands)

    def command(self) -> Command:
        token = self.take()
        if token.kind != "word" or token.text.lower() not in COMMANDS:
            known = ", ".join(sorted(COMMANDS))
            raise QueryError(f"Unknown command {token.text or 'at the end'!r} (known: {known})", token.start, token.end)
        kind = token.text.lower()
        command = Command(kind, token.start)
        getattr(self, f"command_{kind}")(command)
        if not self.at_command_end():
            self.fail(f"Expected '|' or the end of the query after {kind}")
        return command

    def command_fields(self, command: Command):
        command.items = self.comma_list(self.named_expr)

    def command_display(self, command: Command):
        command.items = self.comma_list(lambda: Named(self.field(), self.tokens[self.at - 1].value))

    def command_filter(self, command: Command):
        command.expr = self.expr()

    def command_parse(self, command: Command):
        command.source = Field("@message")
        if self.token.kind == "word" and not self.token.is_word("as"):
            command.source = self.field()
        pattern = self.take()
        if pattern.kind == "regex":
            command.pattern = pattern.value
            command.names = list(pattern.value.groupindex)
            if not command.names:
                raise QueryError(
                    "A parse regular expression needs named groups, (?<name>...)", pattern.start, pattern.end
                )
            if self.token.is_word("as"):
                self.fail("A parse regular expression names its fields in its groups; expected '|'")
            return
        if pattern.kind != "string":
            self.fail("Expected a glob string or a /regular expression/ after parse", pattern)
        stars = pattern.value.count("*")
        if not stars:
            raise QueryError("A parse glob needs at least one '*'", pattern.start, pattern.end)
        if not self.token.is_word("as"):
            self.fail("Expected 'as' and the names of the fields the glob's '*'s set")
        self.take()
        names = self.comma_list(lambda: self.field().name)
        if len(names) != stars:
            raise QueryError(f"The glob has {stars} '*' but {len(names)} names follow 'as'", pattern.start, pattern.end)
        pieces = [re.escape(piece) for piece in pattern.value.split("*")]
        groups = [f"(?P<g{i}>.*?)" if i < stars - 1 or pieces[-1] else f"(?P<g{i}>.*)" for i in range(stars)]
        regex = pieces[0] + "".join(group + piece for group, piece in zip(groups, pieces[1:], strict=True))
        command.pattern, command.names = re.compile(regex, re.DOTALL), names

    def command_stats(self, command: Command):
        command.items = self.comma_list(self.aggregate)
        if self.token.is_word("by"):
            self.take()
            command.groups = self.comma_list(self.named_expr)

    def command_sort(self, command: Command):
        def key():
            expr = self.expr()
            descending = False
            if self.token.is_word("asc", "desc"):
                descending = self.take().text.lower() == "desc"
            return (expr, descending)

        command.items = self.comma_list(key)

    def command_limit(self, command: Command):
        token = self.take()
        if token.kind != "number" or not isinstance(token.value, int) or not 0 < token.value <= MAX_LIMIT:
            raise QueryError(f"limit takes a whole number from 1 to {MAX_LIMIT:,}", token.start, token.end)
        command.count = token.value

    def command_dedup(self, command: Command):
        command.items = self.comma_list(self.field)

    def comma_list(self, item) -> list:
        items = [item()]
        while self.token.is_op(","):
            self.take()
            items.append(item())
        return items

    def named_expr(self) -> Named:
        start = self.token.start
        expr = self.expr()
        name = self.source(start) if not isinstance(expr, Field) else expr.name
        if self.token.is_word("as"):
            self.take()
            name = self.field().name
        return Named(expr, name)

    def aggregate(self) -> Named:
        start, token = self.token.start, self.token
        expr = self.expr()
        if not (isinstance(expr, Call) and expr.name in AGGREGATES):
            raise QueryError(f"stats takes aggregate functions ({', '.join(sorted(AGGREGATES))})", token.start,
                             self.tokens[self.at - 1].end)  # fmt: skip
        name = self.source(start)
        if self.token.is_word("as"):
            self.take()
            name = self.field().name
        return Named(expr, name)

    def field(self) -> Field:
        token = self.take()
        if token.kind != "word" or (token.text.lower() in KEYWORDS and not token.text.startswith("`")):
            self.fail("Expected a field name", token)
        return Field(token.value)

    # -- expressions, loosest first --
    def expr(self):
        left = self.and_expr()
        while self.token.is_word("or"):
            self.take()
            left = Binary("or", left, self.and_expr())
        return left

    def and_expr(self):
        left = self.not_expr()
        while self.token.is_word("and"):
            self.take()
            left = Binary("and", left, self.not_expr())
        return left

    def not_expr(self):
        if self.token.is_word("not") or self.token.is_op("!"):
            self.take()
            return Unary("not", self.not_expr())
        return self.comparison()

    def comparison(self):
        left = self.additive()
        token = self.token
        negate = False
        if token.is_word("not") and self.tokens[self.at + 1].is_word("like", "in"):
            self.take()
            negate, token = True, self.token
        if token.is_op("=", "!=", "<", "<=", ">", ">="):
            self.take()
            return Binary(token.text, left, self.additive())
        if token.is_word("like") or token.is_op("=~"):
            self.take()
            pattern = self.take()
            if pattern.kind not in ("string", "regex"):
                self.fail(f'Expected a "string" or a /regular expression/ after {token.text}', pattern)
            node = Binary("like", left, Literal(pattern.value))
            return Unary("not", node) if negate else node
        if token.is_word("in"):
            self.take()
            self.expect_op("[")
            values = tuple(self.comma_list(self.additive)) if not self.token.is_op("]") else ()
            self.expect_op("]")
            node = Binary("in", left, values)
            return Unary("not", node) if negate else node
        return left

    def additive(self):
        left = self.multiplicative()
        while self.token.is_op("+", "-"):
            op = self.take().text
            left = Binary(op, left, self.multiplicative())
        return left

    def multiplicative(self):
        left = self.power()
        while self.token.is_op("*", "/", "%"):
            op = self.take().text
            left = Binary(op, left, self.power())
        return left

    def power(self):
        base = self.unary()
        if self.token.is_op("^"):
            self.take()
            return Binary("^", base, self.power())
        return base

    def unary(self):
        if self.token.is_op("-"):
            self.take()
            return Unary("-", self.unary())
        return self.primary()

    def primary(self):
        token = self.take()
        if token.kind in ("number", "string", "duration"):
            return Literal(token.value)
        if token.is_op("("):
            inner = self.expr()
            self.expect_op(")")
            return inner
        if token.kind == "word" and token.text.lower() not in KEYWORDS:
            if self.token.is_op("(") and not token.text.startswith(("`", "@")):
                return self.call(token)
            return Field(token.value)
        self.fail("Expected a value, a field or a function", token)

    def call(self, name: Token) -> Call:
        self.expect_op("(")
        args = []
        if self.token.is_op("*"):  # count(*)
            self.take()
        elif not self.token.is_op(")"):
            args = self.comma_list(self.expr)
        end = self.expect_op(")").end
        return Call(name.text.lower(), tuple(args), name.start, end)


def parse(text: str) -> Query:
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"The query is longer than {MAX_QUERY_LENGTH:,} characters", MAX_QUERY_LENGTH)
    if not text.strip():
        raise QueryError("The query is empty", 0)
    return Parser(text).query()
