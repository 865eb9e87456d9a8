"""Pure InfluxQL rewriting before a statement is sent: ``now()`` pinned, time bounded at ``now``.

Place in the flow: evaluator -> :class:`~integrations.influxdb.client.InfluxMetricSource` ->
:func:`pin_now` (here) -> ``/query``. The evaluator passes an explicit ``now``; this module makes
the server see that instant instead of its own clock, so replay and tests are exact:

* every ``now()`` outside string literals, quoted identifiers and regexes becomes a literal
  time (``1700000000s`` for whole seconds, else an integer nanosecond count; influxd 1.6 accepts
  both with duration arithmetic such as ``1700000000s - 5m``, but rejects ``1700000000.5s``);
* every ``SELECT`` (subqueries too) gets ``time <= <now>``: ``WHERE cond`` becomes
  ``WHERE time <= <now> AND (cond)`` (parenthesised because ``AND`` binds tighter than ``OR``),
  and a SELECT without WHERE gets one before its GROUP BY / ORDER BY / LIMIT / ... clause.

Other statements (SHOW, CREATE, ...) only get ``now()`` replaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*)
  | (?P<string>'(?:[^'\\]|\\.)*'?)
  | (?P<quoted>"(?:[^"\\]|\\.)*"?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[0-9]+(?:\.[0-9]*)?[A-Za-zµ]*)
  | (?P<op>=~|!~|!=|<>|<=|>=|::)
  | (?P<char>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_REGEX = re.compile(r"/(?:[^/\\\n]|\\.)*/?")

# After these a "/" opens a regex literal (FROM /cpu.*/, host =~ /a|b/, SELECT /usage/);
# after an identifier, number or ")" it is a division.
_REGEX_AFTER_OPS = {"=~", "!~", ",", "(", "="}
_REGEX_AFTER_KEYWORDS = {"SELECT", "FROM", "BY", "WHERE", "AND", "OR"}
# Clauses that may follow FROM/WHERE in a SELECT (fill() and tz() are function-call shaped).
_CLAUSE_KEYWORDS = {"GROUP", "ORDER", "LIMIT", "OFFSET", "SLIMIT", "SOFFSET"}
_CALL_CLAUSES = {"FILL", "TZ"}


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical token; ``kind`` is a group name of ``_TOKEN`` or ``"regex"``."""

    kind: str
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper()


def tokenize(statement: str) -> list[Token]:
    """Split InfluxQL into tokens, keeping whitespace so ``"".join`` restores the text exactly."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(statement):
        if statement[pos] == "/" and _regex_may_start(tokens):
            match = _REGEX.match(statement, pos)
            assert match is not None  # the pattern always matches at least "/"
            tokens.append(Token("regex", match.group()))
        else:
            match = _TOKEN.match(statement, pos)
            assert match is not None  # "char" matches any single character
            kind = match.lastgroup or "char"
            tokens.append(Token(kind, match.group()))
        pos = match.end()
    return tokens


def _regex_may_start(tokens: list[Token]) -> bool:
    previous = next((t for t in reversed(tokens) if t.kind not in ("ws", "comment")), None)
    if previous is None:
        return True
    if previous.kind == "ident":
        return previous.upper in _REGEX_AFTER_KEYWORDS
    return previous.text in _REGEX_AFTER_OPS


def time_literal(now: float) -> str:
    """Return the InfluxQL literal for POSIX time ``now``: ``1700000000s`` or integer nanoseconds.

    Nanoseconds go through Decimal(repr) so 1700000000.25 becomes exactly ...250000000, not the
    float product's rounding error.
    """
    if float(now).is_integer():
        return f"{int(now)}s"
    return str(int(Decimal(repr(float(now))) * 1_000_000_000))


def split_statements(text: str) -> list[str]:
    """Split on top-level ``;`` (not inside quotes or regexes); empty pieces are dropped."""
    pieces: list[str] = []
    current: list[str] = []
    for token in tokenize(text):
        if token.kind == "char" and token.text == ";":
            pieces.append("".join(current))
            current = []
        else:
            current.append(token.text)
    pieces.append("".join(current))
    return [p.strip() for p in pieces if p.strip()]


def pin_now(statement: str, now: float) -> str:
    """Return ``statement`` with ``now()`` replaced by ``now`` and each SELECT bounded at it."""
    literal = time_literal(now)
    tokens = _replace_now_calls(tokenize(statement), literal)
    return "".join(t.text for t in _bound_selects(tokens, literal))


def _replace_now_calls(tokens: list[Token], literal: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "ident" and token.upper == "NOW":
            end = _empty_call_end(tokens, i + 1)
            if end is not None:
                out.append(Token("number", literal))
                i = end
                continue
        out.append(token)
        i += 1
    return out


def _empty_call_end(tokens: list[Token], i: int) -> int | None:
    """If tokens[i:] is ``( )`` (whitespace allowed), return the index after ``)``."""
    expected = iter("()")
    want = next(expected)
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.kind == "ws":
            continue
        if token.text != want:
            return None
        want = next(expected, "")
        if not want:
            return i
    return None


def _bound_selects(tokens: list[Token], literal: str) -> list[Token]:
    """Insert ``time <= literal`` into every SELECT, innermost first so indices stay valid."""
    selects = [i for i, t in enumerate(tokens) if t.kind == "ident" and t.upper == "SELECT"]
    result = list(tokens)
    for start in reversed(selects):
        result = _bound_one_select(result, start, literal)
    return result


def _bound_one_select(tokens: list[Token], start: int, literal: str) -> list[Token]:
    depth = 0
    where: int | None = None
    i = start + 1
    while i < len(tokens):
        token = tokens[i]
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            if depth == 0:
                break  # end of this subquery
            depth -= 1
        elif depth == 0 and _ends_clause(tokens, i):
            if where is not None or token.upper != "WHERE":
                break
            where = i
        i += 1
    end = i
    bound = Token("number", f"time <= {literal}")
    if where is None:
        at = end
        while at > start and tokens[at - 1].kind in ("ws", "comment"):
            at -= 1
        return [
            *tokens[:at],
            Token("ws", " "),
            Token("ident", "WHERE"),
            Token("ws", " "),
            bound,
            *tokens[at:],
        ]
    condition = tokens[where + 1 : end]
    while condition and condition[0].kind == "ws":
        condition.pop(0)
    trailing: list[Token] = []
    while condition and condition[-1].kind in ("ws", "comment"):
        trailing.insert(0, condition.pop())
    return [
        *tokens[: where + 1],
        Token("ws", " "),
        bound,
        Token("ws", " "),
        Token("ident", "AND"),
        Token("ws", " "),
        Token("char", "("),
        *condition,
        Token("char", ")"),
        *(trailing or [Token("ws", " ")] if end < len(tokens) and tokens[end].kind == "ident" else trailing),
        *tokens[end:],
    ]


def _ends_clause(tokens: list[Token], i: int) -> bool:
    """True at WHERE, GROUP/ORDER/LIMIT/..., ``fill(``/``tz(`` or a top-level ``;``."""
    token = tokens[i]
    if token.kind == "char" and token.text == ";":
        return True
    if token.kind != "ident":
        return False
    if token.upper == "WHERE" or token.upper in _CLAUSE_KEYWORDS:
        return True
    if token.upper in _CALL_CLAUSES:
        following = next((t for t in tokens[i + 1 :] if t.kind != "ws"), None)
        return following is not None and following.text == "("
    return False
