"""Time bounds of an InfluxQL WHERE clause, for the in-memory source.

Place in the flow: :mod:`alerter.source.influxql` asks this module which ``[lower, upper]``
nanosecond range a statement covers before it touches any data, the way influxd extracts the time
range before it opens shards. InfluxDB 1.x rules reproduced here (checked against influxd 1.6.7):

* ``time > t`` means ``time >= t + 1ns``; ``time < t`` means ``time <= t - 1ns``; ``time = t`` is both.
* ``time != t`` is an error ("invalid time comparison operator: !=").
* time literals: ``now()``, durations (``5m``), integers (nanoseconds), RFC3339 strings
  (``'2026-01-02T03:04:05.5Z'``, ``'2026-01-02 03:04:05'``, ``'2026-01-02'``) and sums/differences.
* A time comparison under OR makes influxd silently AND it; we refuse that instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from alerter.source.influxql_parse import (
    BinOp,
    Duration,
    Expr,
    Ident,
    InvalidQuery,
    Now,
    Number,
    ParseError,
    String,
    Unsupported,
)

MIN_NS = -(2**63) + 2
MAX_NS = 2**63 - 2

_TIME_LITERAL = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?$"
)
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Inclusive nanosecond bounds; ``lower`` is None when the statement gives none."""

    lower: int | None
    upper: int

    @property
    def empty(self) -> bool:
        return self.lower is not None and self.lower > self.upper


def split_time(condition: Expr | None, now_ns: int) -> tuple[TimeRange, Expr | None]:
    """Return the statement's time range (capped at ``now_ns``) and the condition left without it.

    Raises :class:`InvalidQuery` for an invalid time comparison, :class:`ParseError` for a bad literal, :class:`Unsupported` for one this
    subset does not evaluate (time under OR, time compared with a field).
    """
    lower: int | None = None
    upper = now_ns
    rest: list[Expr] = []
    for conjunct in _conjuncts(condition):
        bound = _time_bound(conjunct, now_ns)
        if bound is None:
            if _mentions_time(conjunct):
                raise Unsupported("a time condition inside OR or arithmetic")
            rest.append(conjunct)
            continue
        op, t = bound
        if op in (">", ">=", "="):
            t_low = t + 1 if op == ">" else t
            lower = t_low if lower is None else max(lower, t_low)
        if op in ("<", "<=", "="):
            upper = min(upper, t - 1 if op == "<" else t)
    remaining: Expr | None = None
    for expr in rest:
        remaining = expr if remaining is None else BinOp("AND", remaining, expr)
    return TimeRange(lower, upper), remaining


def _conjuncts(expr: Expr | None) -> list[Expr]:
    if expr is None:
        return []
    if isinstance(expr, BinOp) and expr.op == "AND":
        return _conjuncts(expr.left) + _conjuncts(expr.right)
    return [expr]


def _is_time(expr: Expr) -> bool:
    return isinstance(expr, Ident) and expr.name.lower() == "time"


def _mentions_time(expr: Expr) -> bool:
    if _is_time(expr):
        return True
    return isinstance(expr, BinOp) and (_mentions_time(expr.left) or _mentions_time(expr.right))


def _time_bound(expr: Expr, now_ns: int) -> tuple[str, int] | None:
    if not isinstance(expr, BinOp) or expr.op not in _FLIP:
        return None
    if _is_time(expr.left):
        op, other = expr.op, expr.right
    elif _is_time(expr.right):
        op, other = _FLIP[expr.op], expr.left
    else:
        return None
    if op == "!=":
        raise InvalidQuery("invalid time comparison operator: !=")
    return op, time_value(other, now_ns)


def time_value(expr: Expr, now_ns: int) -> int:
    """Evaluate a time literal expression to nanoseconds since the epoch."""
    if isinstance(expr, Now):
        return now_ns
    if isinstance(expr, Duration):
        return expr.ns
    if isinstance(expr, Number) and isinstance(expr.value, int):
        return expr.value
    if isinstance(expr, String):
        return parse_time_literal(expr.value)
    if isinstance(expr, BinOp) and expr.op in ("+", "-"):
        left, right = time_value(expr.left, now_ns), time_value(expr.right, now_ns)
        return left + right if expr.op == "+" else left - right
    raise Unsupported(
        f"time compared with {type(expr).__name__.lower()} (expected now(), a duration, an integer or an RFC3339 string)"
    )


def parse_time_literal(text: str) -> int:
    """``'2026-01-02T03:04:05.123456789Z'`` (or the space/date-only forms) -> ns since the epoch."""
    m = _TIME_LITERAL.match(text)
    if m is None:
        raise ParseError(f"invalid time literal {text!r} (expected RFC3339, e.g. 2026-01-02T03:04:05Z)")
    date, clock, fraction, zone = m.groups()
    iso = f"{date}T{clock or '00:00:00'}{'+00:00' if zone in (None, 'Z') else zone}"
    try:
        seconds = int(datetime.fromisoformat(iso).astimezone(UTC).timestamp())
    except ValueError as exc:
        raise ParseError(f"invalid time literal {text!r}: {exc}") from None
    return seconds * 1_000_000_000 + int((fraction or "").ljust(9, "0"))
