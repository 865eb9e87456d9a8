"""The shape of a rule's InfluxQL query, read without a server: statement kind, value columns,
GROUP BY tags, and whether WHERE bounds time from below.

Used by ``alerter rules check`` (:mod:`alerter.config.check`) to reject queries that would scan all
history, return an ambiguous value column or lack the tags a rule's ``service`` names; the
evaluator may use :func:`analyze_query` for the GROUP BY tag list too. This is a tokenizer plus
clause splitter for the SELECT subset rules use, not a full InfluxQL parser: the server remains the
judge of syntax. Column naming follows InfluxDB 1.x ``Field.Name()`` (an alias, else the function
name, else the field name; arithmetic joins the names with ``_``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<ident>"(?:[^"\\]|\\.)*")
  | (?P<regex>/(?:[^/\\\n]|\\.)*/)
  | (?P<duration>\d+(?:\.\d+)?(?:ns|u|µ|ms|s|m|h|d|w)\b)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>::|<=|>=|!=|<>|=~|!~|[-+*/%(),;<>=&|^.])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_CLAUSE_ENDS = frozenset({"group", "order", "limit", "offset", "slimit", "soffset", "fill", "tz", "into"})
_FN_CALL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str

    @property
    def word(self) -> str:
        """Lower-cased keyword text, or "" for a quoted identifier (``"select"`` is a name)."""
        return self.text.lower() if self.kind == "word" else ""

    @property
    def name(self) -> str:
        """The identifier this token names, unquoted."""
        if self.kind == "ident":
            return self.text[1:-1].replace('\\"', '"')
        return self.text


@dataclass(frozen=True, slots=True)
class QueryShape:
    """What :func:`analyze_query` learned. ``None`` means "cannot be known before running it"."""

    statement: str
    """First keyword, upper-cased ("SELECT", "DROP", ...)."""
    statements: int
    """Pieces between top-level ";" (a trailing ";" makes 2)."""
    columns: tuple[str, ...] | None
    """Value column names (``time`` excluded); None for ``*``, regex fields or ``mean(*)``."""
    group_by_tags: tuple[str, ...] | None
    """Tags named in GROUP BY (``time(...)`` excluded); None for ``GROUP BY *`` or a regex."""
    has_where: bool
    time_lower_bound: bool
    """WHERE holds ``time > now() - ...`` (or ``>=``, or mirrored) not under a top-level OR."""
    has_from: bool


def tokenize(query: str) -> list[Token]:
    """Tokens of ``query`` without whitespace; ``--`` comments run to the end of the line."""
    text = re.sub(r"--[^\n]*", " ", query)
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m is not None  # the last alternative matches any character
        kind, value = m.lastgroup or "other", m.group()
        if kind == "regex" and not _regex_allowed(tokens):
            kind, value = "op", "/"  # division, as in mean(a) / mean(b)
        pos += len(value)
        if kind != "ws":
            tokens.append(Token(kind, value))
    return tokens


def _regex_allowed(before: list[Token]) -> bool:
    """A ``/regex/`` follows =~, !~, FROM, BY, SELECT or a comma; elsewhere ``/`` divides."""
    if not before:
        return False
    last = before[-1]
    return last.text in ("=~", "!~", ",") or last.word in ("from", "by", "select")


def analyze_query(query: str) -> QueryShape:
    """Read the shape of ``query`` (see :class:`QueryShape`). Never raises."""
    tokens = tokenize(query)
    statements = _split(tokens, ";")
    first = statements[0] if statements else []
    kind = first[0].text.upper() if first and first[0].kind == "word" else (first[0].text if first else "")
    count = len(statements)  # a trailing ";" counts: the source joins statements with it
    clauses = _clauses(first)
    where = clauses.get("where")
    return QueryShape(
        statement=kind,
        statements=count,
        columns=_columns(clauses.get("select", [])),
        group_by_tags=_group_by_tags(clauses.get("group", [])),
        has_where=where is not None,
        time_lower_bound=where is not None and _has_time_lower_bound(where),
        has_from="from" in clauses,
    )


def _split(tokens: list[Token], sep: str) -> list[list[Token]]:
    """Split at ``sep`` outside parentheses."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        depth += tok.text == "(" and tok.kind == "op"
        depth -= tok.text == ")" and tok.kind == "op"
        if depth == 0 and tok.kind == "op" and tok.text == sep:
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts


def _clauses(tokens: list[Token]) -> dict[str, list[Token]]:
    """Top-level clauses by keyword: select, from, where, group (the BY is dropped), ..."""
    clauses: dict[str, list[Token]] = {}
    current: list[Token] | None = None
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.kind == "op" and tok.text in "()":
            depth += 1 if tok.text == "(" else -1
        word = tok.word
        if (
            depth == 0
            and (word in ("select", "from", "where") or word in _CLAUSE_ENDS)
            and word not in clauses
        ):
            is_call = i + 1 < len(tokens) and tokens[i + 1].text == "("
            if word not in ("fill", "tz") or is_call:
                current = clauses.setdefault(word, [])
                continue
        if current is not None:
            current.append(tok)
    if "group" in clauses and clauses["group"] and clauses["group"][0].word == "by":
        clauses["group"] = clauses["group"][1:]
    return clauses


def _columns(select: list[Token]) -> tuple[str, ...] | None:
    names = []
    for field in _split(select, ","):
        name = _field_name(field)
        if name is None:
            return None
        names.append(name)
    return tuple(names)


def _field_name(field: list[Token]) -> str | None:
    if len(field) >= 2 and field[-2].word == "as":
        return field[-1].name
    if any(
        t.kind == "regex" or (t.kind == "op" and t.text == "*" and _is_wildcard(field, i))
        for i, t in enumerate(field)
    ):
        return None
    names: list[str] = []
    depth = 0
    for i, tok in enumerate(field):
        if tok.kind == "op" and tok.text in "()":
            depth += 1 if tok.text == "(" else -1
            continue
        if depth or tok.kind not in ("word", "ident"):
            continue
        if i > 0 and field[i - 1].text == "::":
            continue  # a type cast: "usage"::float
        names.append(tok.text if i + 1 < len(field) and field[i + 1].text == "(" else tok.name)
    return "_".join(names) if names else None


def _is_wildcard(field: list[Token], i: int) -> bool:
    """``*`` alone, as a call argument or before ``::`` — not multiplication."""
    before = field[i - 1].text if i > 0 else ""
    after = field[i + 1].text if i + 1 < len(field) else ""
    return before in ("", "(", ",") and after in ("", ")", "::", ",")


def _group_by_tags(group: list[Token]) -> tuple[str, ...] | None:
    tags = []
    for item in _split(group, ","):
        if not item:
            continue
        if item[0].word == "time" and len(item) > 1 and item[1].text == "(":
            continue
        if len(item) != 1 or item[0].kind not in ("word", "ident"):
            return None  # GROUP BY *, a regex, or something this reader does not know
        tags.append(item[0].name)
    return tuple(tags)


def _has_time_lower_bound(where: list[Token]) -> bool:
    while _wrapped(where):
        where = where[1:-1]
    if any(t.word == "or" for t in _top_level(where)):
        return False
    return any(_is_lower_bound(term) for term in _split_words(where, "and"))


def _wrapped(tokens: list[Token]) -> bool:
    if len(tokens) < 2 or tokens[0].text != "(" or tokens[-1].text != ")":
        return False
    depth = 0
    for tok in tokens[:-1]:
        depth += (tok.text == "(") - (tok.text == ")")
        if depth == 0:
            return False
    return True


def _top_level(tokens: list[Token]) -> list[Token]:
    out, depth = [], 0
    for tok in tokens:
        if tok.kind == "op" and tok.text in "()":
            depth += 1 if tok.text == "(" else -1
        elif depth == 0:
            out.append(tok)
    return out


def _split_words(tokens: list[Token], word: str) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.kind == "op" and tok.text in "()":
            depth += 1 if tok.text == "(" else -1
        if depth == 0 and tok.word == word:
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts


def _is_lower_bound(term: list[Token]) -> bool:
    """``time > now() - 5m``, ``time >= now() - 1h``, or mirrored ``now() - 5m < time``."""
    while _wrapped(term):
        term = term[1:-1]
    ops = [i for i, t in enumerate(term) if t.kind == "op" and t.text in (">", ">=", "<", "<=")]
    if len(ops) != 1:
        return False
    i = ops[0]
    left, op, right = term[:i], term[i].text, term[i + 1 :]
    if _is_time(left) and op in (">", ">=") and _mentions_now(right):
        return True
    return _is_time(right) and op in ("<", "<=") and _mentions_now(left)


def _is_time(side: list[Token]) -> bool:
    return len(side) == 1 and side[0].name.lower() == "time" and side[0].kind in ("word", "ident")


def _mentions_now(side: list[Token]) -> bool:
    return any(t.word == "now" for t in side)


__all__ = ["QueryShape", "Token", "analyze_query", "tokenize"]
