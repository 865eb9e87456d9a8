"""InfluxQL subset parser: statement text -> AST, for the in-memory :mod:`alerter.source.static`.

Place in the flow: rule queries reach a :class:`~alerter.source.MetricSource`; the real one sends
them to influxd, the in-memory one parses them here and :mod:`alerter.source.influxql` evaluates
them. Only the subset alert rules use is understood::

    SELECT <expr> [AS alias][, ...] FROM "m" [WHERE cond]
        [GROUP BY [time(interval[, offset]),] tag[, tag...] | GROUP BY *] [fill(...)]
        [ORDER BY time [ASC|DESC]] [LIMIT n]

Anything else raises :class:`Unsupported` naming the part (so the caller reports an error instead of
a wrong answer); malformed text raises :class:`ParseError`. Precedence follows InfluxDB 1.x
(``influxql/ast.go``): OR < AND < comparisons < ``+ -`` < ``* / %``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DURATION_NS = {
    "ns": 1,
    "u": 1_000,
    "µ": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
    "w": 604_800_000_000_000,
}

UNSUPPORTED = "unsupported in the in-memory source: "


class ParseError(ValueError):
    """The statement is not valid InfluxQL (as far as this subset can tell)."""


class InvalidQuery(ValueError):
    """Well-formed InfluxQL that influxd rejects when planning it (message: influxd's words)."""


class Unsupported(ValueError):
    """Valid InfluxQL the in-memory source does not implement; the message names the part."""

    def __init__(self, part: str) -> None:
        super().__init__(UNSUPPORTED + part)


# --- AST ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Number:
    value: int | float


@dataclass(frozen=True, slots=True)
class String:
    value: str


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool


@dataclass(frozen=True, slots=True)
class Regex:
    pattern: str


@dataclass(frozen=True, slots=True)
class Duration:
    ns: int


@dataclass(frozen=True, slots=True)
class Now:
    pass


@dataclass(frozen=True, slots=True)
class Wildcard:
    """``*`` in ``SELECT *``: every field and every tag not grouped by."""


@dataclass(frozen=True, slots=True)
class Ident:
    """A field, tag or ``time``; ``cast`` is the ``::tag`` / ``::field`` hint, if any."""

    name: str
    cast: str | None = None


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


Expr = Number | String | Boolean | Regex | Duration | Now | Ident | Call | BinOp | Wildcard


@dataclass(frozen=True, slots=True)
class Field:
    expr: Expr
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """``fill(...)`` of GROUP BY time: null (default), none, previous, linear, or a number."""

    kind: str = "null"
    value: int | float = 0


@dataclass(frozen=True, slots=True)
class Select:
    """One SELECT statement.

    ``group_by`` is None for GROUP BY *, else the tag keys (maybe none); ``interval`` and ``offset``
    (ns) come from GROUP BY time(interval[, offset]); ``fill`` only matters with an interval.
    """

    fields: tuple[Field, ...]
    measurement: str
    condition: Expr | None = None
    group_by: tuple[str, ...] | None = ()
    descending: bool = False
    limit: int = 0
    interval: int | None = None
    offset: int = 0
    fill: Fill = Fill()


# --- lexer -------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<dur>\d+(?:ns|ms|u|µ|s|m|h|d|w)(?![A-Za-z0-9_]))
  | (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<qident>"(?:[^"\\]|\\.)*")
  | (?P<str>'(?:[^'\\]|\\.)*')
  | (?P<op>=~|!~|!=|<>|<=|>=|::|[=<>+\-*/%(),;.])
    """,
    re.VERBOSE,
)
_REGEX = re.compile(r"/((?:[^/\\\n]|\\.)*)/")
_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # dur, num, ident, qident, str, op, regex, eof
    text: str
    pos: int

    @property
    def keyword(self) -> str:
        """Upper-cased text of an unquoted identifier (keywords are case-insensitive), else ''."""
        return self.text.upper() if self.kind == "ident" else ""


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens. A ``/`` right after ``=~``/``!~`` starts a regex literal."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos] == "/" and tokens and tokens[-1].text in ("=~", "!~"):
            m = _REGEX.match(text, pos)
            if m is None:
                raise ParseError(f"unterminated regex at char {pos + 1}")
            tokens.append(Token("regex", m.group(1).replace("\\/", "/"), pos))
            pos = m.end()
            continue
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ParseError(f"unexpected {text[pos]!r} at char {pos + 1}")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("eof", "", len(text)))
    return tokens


def split_statements(text: str) -> list[str]:
    """Split on ``;`` outside quotes and regexes; empty pieces are dropped."""
    pieces: list[str] = []
    start = 0
    for tok in tokenize(text):
        if (tok.text == ";" and tok.kind == "op") or tok.kind == "eof":
            piece = text[start : tok.pos].strip()
            if piece:
                pieces.append(piece)
            start = tok.pos + 1
    return pieces


# --- parser ------------------------------------------------------------------------------------

_PRECEDENCE = {
    "OR": 1,
    "AND": 2,
    "=": 4, "!=": 4, "<>": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "=~": 4, "!~": 4,
    "+": 5, "-": 5,
    "*": 6, "/": 6, "%": 6,
}  # fmt: skip

_CLAUSE_END = {
    "FROM",
    "WHERE",
    "GROUP",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "SLIMIT",
    "SOFFSET",
    "FILL",
    "TZ",
    "INTO",
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.next()
        if tok.keyword != text and not (tok.kind == "op" and tok.text == text):
            raise ParseError(f"found {tok.text or 'EOF'!r}, expected {text} at char {tok.pos + 1}")
        return tok

    def ident(self) -> str:
        tok = self.next()
        if tok.kind == "ident":
            return tok.text
        if tok.kind == "qident":
            return _ESCAPE.sub(r"\1", tok.text[1:-1])
        raise ParseError(f"found {tok.text or 'EOF'!r}, expected identifier at char {tok.pos + 1}")

    # statement

    def statement(self) -> Select:
        first = self.tok
        if first.keyword != "SELECT":
            raise Unsupported(f"{first.text.upper() or 'empty'} statements (only SELECT)")
        self.next()
        fields = self.fields()
        if self.tok.keyword == "INTO":
            raise Unsupported("SELECT ... INTO")
        self.expect("FROM")
        measurement = self.measurement()
        condition = None
        if self.tok.keyword == "WHERE":
            self.next()
            condition = self.expr(0)
        group_by, interval, offset = self.group_by()
        fill = self.fill()
        descending = self.order_by()
        limit = self.limit()
        tok = self.tok
        if tok.keyword in _CLAUSE_END:
            raise Unsupported(tok.keyword)
        if tok.kind != "eof":
            raise ParseError(f"found {tok.text!r}, expected end of statement at char {tok.pos + 1}")
        return Select(fields, measurement, condition, group_by, descending, limit, interval, offset, fill)

    def fields(self) -> tuple[Field, ...]:
        fields = [self.field()]
        while self.tok.text == "," and self.tok.kind == "op":
            self.next()
            fields.append(self.field())
        return tuple(fields)

    def field(self) -> Field:
        if self.tok.text == "*" and self.tok.kind == "op":
            self.next()
            return Field(Wildcard())
        expr = self.expr(0)
        alias = None
        if self.tok.keyword == "AS":
            self.next()
            alias = self.ident()
        return Field(expr, alias)

    def measurement(self) -> str:
        if self.tok.text == "/":
            raise Unsupported("FROM /regex/")
        name = self.ident()
        if self.tok.text == ".":
            raise Unsupported("FROM with a database or retention policy")
        if self.tok.text == ",":
            raise Unsupported("FROM several measurements")
        return name

    def group_by(self) -> tuple[tuple[str, ...] | None, int | None, int]:
        """GROUP BY tags (None = all) and the time interval and offset (ns) if grouped by time."""
        if self.tok.keyword != "GROUP":
            return (), None, 0
        self.next()
        self.expect("BY")
        keys: list[str] = []
        star = False
        interval: int | None = None
        offset = 0
        while True:
            if self.tok.text == "*" and self.tok.kind == "op":
                self.next()
                star = True
            elif self.tok.keyword == "TIME" and self.tokens[self.i + 1].text == "(":
                interval, offset = self.time_dimension()
            elif self.tok.text == "/":
                raise Unsupported("GROUP BY /regex/")
            else:
                keys.append(self.ident())
            if self.tok.text != ",":
                break
            self.next()
        return (None if star else tuple(keys)), interval, offset

    def time_dimension(self) -> tuple[int, int]:
        self.next()
        self.expect("(")
        interval = self.duration("time() interval")
        offset = 0
        if self.tok.text == ",":
            self.next()
            offset = self.duration("time() offset")
        self.expect(")")
        if interval <= 0:
            raise InvalidQuery("time dimension must have a positive duration")
        return interval, offset % interval

    def duration(self, what: str) -> int:
        expr = self.unary()
        if not isinstance(expr, Duration):
            raise Unsupported(f"{what} that is not a duration literal")
        return expr.ns

    def fill(self) -> Fill:
        """fill(...); influxd accepts (and ignores) it without GROUP BY time, so do we."""
        if self.tok.keyword != "FILL":
            return Fill()
        self.next()
        self.expect("(")
        option = self.unary()
        self.expect(")")
        if isinstance(option, Number):
            return Fill("value", option.value)
        if isinstance(option, Ident) and option.name.lower() in ("null", "none", "previous", "linear"):
            return Fill(option.name.lower())
        raise ParseError("fill() takes null, none, previous, linear or a number")

    def order_by(self) -> bool:
        if self.tok.keyword != "ORDER":
            return False
        self.next()
        self.expect("BY")
        if self.ident().lower() != "time":
            raise ParseError("only ORDER BY time [ASC|DESC] is allowed")
        if self.tok.keyword in ("ASC", "DESC"):
            return self.next().keyword == "DESC"
        return False

    def limit(self) -> int:
        if self.tok.keyword != "LIMIT":
            return 0
        self.next()
        tok = self.next()
        if tok.kind != "num" or not tok.text.isdigit():
            raise ParseError(f"found {tok.text or 'EOF'!r}, expected integer at char {tok.pos + 1}")
        return int(tok.text)

    # expressions

    def expr(self, min_prec: int) -> Expr:
        left = self.unary()
        while True:
            tok = self.tok
            op = tok.keyword if tok.keyword in ("AND", "OR") else tok.text if tok.kind == "op" else ""
            prec = _PRECEDENCE.get(op, 0)
            if prec <= min_prec:
                return left
            self.next()
            right = self.unary() if op in ("=~", "!~") and self.tok.kind == "regex" else self.expr(prec)
            left = BinOp("!=" if op == "<>" else op, left, right)

    def unary(self) -> Expr:
        tok = self.tok
        if tok.kind == "op" and tok.text in ("-", "+"):
            self.next()
            operand = self.unary()
            if tok.text == "+":
                return operand
            if isinstance(operand, Number):
                return Number(-operand.value)
            if isinstance(operand, Duration):
                return Duration(-operand.ns)
            return BinOp("*", Number(-1), operand)
        return self.primary()

    def primary(self) -> Expr:
        tok = self.next()
        if tok.kind == "op" and tok.text == "(":
            inner = self.expr(0)
            self.expect(")")
            return inner
        if tok.kind == "num":
            if tok.text.isdigit():
                return Number(int(tok.text))
            if self.tok.kind == "ident" and self.tok.pos == tok.pos + len(tok.text):
                raise ParseError(f"found {self.tok.text}, expected ; at char {self.tok.pos + 1}")
            return Number(float(tok.text))
        if tok.kind == "dur":
            digits = tok.text.rstrip("nsmuµhdw")
            return Duration(int(digits) * DURATION_NS[tok.text[len(digits) :]])
        if tok.kind == "str":
            return String(_ESCAPE.sub(r"\1", tok.text[1:-1]))
        if tok.kind == "regex":
            return Regex(tok.text)
        if tok.kind == "ident" and tok.keyword in ("TRUE", "FALSE"):
            return Boolean(tok.keyword == "TRUE")
        if tok.kind in ("ident", "qident"):
            self.i -= 1
            name = self.ident()
            if tok.kind == "ident" and self.tok.text == "(" and self.tok.kind == "op":
                return self.call(name.lower())
            cast = None
            if self.tok.text == "::":
                self.next()
                cast = self.ident().lower()
                if cast not in ("tag", "field"):
                    raise Unsupported(f"type cast ::{cast}")
            return Ident(name, cast)
        raise ParseError(f"found {tok.text or 'EOF'!r}, expected expression at char {tok.pos + 1}")

    def call(self, name: str) -> Expr:
        self.expect("(")
        args: list[Expr] = []
        if self.tok.text != ")":
            args.append(self.expr(0))
            while self.tok.text == ",":
                self.next()
                args.append(self.expr(0))
        self.expect(")")
        if name == "now":
            if args:
                raise ParseError("now() takes no arguments")
            return Now()
        return Call(name, tuple(args))


def parse_statement(text: str) -> Select:
    """Parse one statement (no ``;``). Raises :class:`ParseError` or :class:`Unsupported`."""
    return _Parser(text).statement()
