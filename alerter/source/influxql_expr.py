"""Expressions of the InfluxQL subset on one row: WHERE conditions and SELECT arithmetic.

Place in the flow: :mod:`alerter.source.influxql` asks this module whether a series' tags (and a
row's fields) pass the WHERE clause and what each SELECT expression is worth. InfluxDB 1.x rules kept
(checked against influxd 1.6.7): an identifier is a field when the measurement has that field, else
a tag (``::tag``/``::field`` force it); a missing tag compares as ``""``; any comparison involving
a null field, or values of different types, is false; integer/integer division gives a float and
``x / 0`` (and ``x % 0``) gives 0; ``%`` truncates toward zero as Go's does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from alerter.source.influxql_parse import (
    BinOp,
    Boolean,
    Call,
    Duration,
    Expr,
    Ident,
    Number,
    ParseError,
    Regex,
    String,
    Unsupported,
)

Value = float | int | bool | str


class Schema(Protocol):
    """What the evaluator must know of a measurement to tell fields from tags."""

    field_keys: set[str]
    tag_keys: set[str]


class RowView:
    """The fields of one row of a :class:`~alerter.source.influxql.StoredSeries`, read on demand (``get`` like a dict)."""

    __slots__ = ("columns", "i")

    def __init__(self, columns: dict[str, list[Value | None]], i: int) -> None:
        self.columns = columns
        self.i = i

    def get(self, name: str) -> Value | None:
        column = self.columns.get(name)
        return None if column is None else column[self.i]


NO_ROW = RowView({}, 0)


def is_field(ident: Ident, schema: Schema) -> bool:
    """True when ``ident`` names a field of the measurement (else it is a tag)."""
    if ident.cast is not None:
        return ident.cast == "field"
    return ident.name in schema.field_keys


def calc(expr: Expr, resolve: Callable[[Call], Any]) -> Any:
    if isinstance(expr, Call):
        return resolve(expr)
    if isinstance(expr, Number):
        return expr.value
    if isinstance(expr, BinOp):
        return _arith(expr.op, calc(expr.left, resolve), calc(expr.right, resolve))
    return None


def value_of(expr: Expr, tags: dict[str, str], row: RowView, schema: Schema) -> Any:
    if isinstance(expr, Ident):
        if is_field(expr, schema):
            return row.get(expr.name)
        return tags.get(expr.name) if expr.cast == "tag" or expr.name in schema.tag_keys else None
    if isinstance(expr, Number | String | Boolean):
        return expr.value
    if isinstance(expr, Duration):
        return expr.ns
    if isinstance(expr, Regex):
        return _regex(expr.pattern)
    if isinstance(expr, BinOp):
        if expr.op in ("AND", "OR") or expr.op in _COMPARE:
            return truth(expr, tags, row, schema)
        return _arith(
            expr.op, value_of(expr.left, tags, row, schema), value_of(expr.right, tags, row, schema)
        )
    raise Unsupported(f"{type(expr).__name__.lower()} in WHERE")


def truth(expr: Expr, tags: dict[str, str], row: RowView, schema: Schema) -> bool:
    if isinstance(expr, BinOp):
        if expr.op == "AND":
            return truth(expr.left, tags, row, schema) and truth(expr.right, tags, row, schema)
        if expr.op == "OR":
            return truth(expr.left, tags, row, schema) or truth(expr.right, tags, row, schema)
        if expr.op in _COMPARE:
            return _compare(
                expr.op, _operand(expr.left, tags, row, schema), _operand(expr.right, tags, row, schema)
            )
    if isinstance(expr, Boolean):
        return expr.value
    raise Unsupported("a WHERE condition that is not a comparison")


def _operand(expr: Expr, tags: dict[str, str], row: RowView, schema: Schema) -> Any:
    if isinstance(expr, Ident) and not is_field(expr, schema):
        return tags.get(expr.name, "")  # influxd: a missing tag compares as ""
    return value_of(expr, tags, row, schema)


_COMPARE = frozenset({"=", "!=", "<", "<=", ">", ">=", "=~", "!~"})


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if op in ("=~", "!~"):
        if not isinstance(right, re.Pattern) or not isinstance(left, str):
            return False
        return (right.search(left) is not None) == (op == "=~")
    if _is_num(left) != _is_num(right) or (not _is_num(left) and type(left) is not type(right)):
        return False
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if isinstance(left, bool):
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _arith(op: str, left: Any, right: Any) -> Any:
    if not (_is_num(left) and _is_num(right)):
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        return 0  # influxd answers 0 for x/0 and x%0 rather than an error or infinity
    if op == "/":
        return left / right
    if isinstance(left, int) and isinstance(right, int):
        return int(math.fmod(left, right))  # Go's % truncates toward zero
    return math.fmod(left, right)


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ParseError(f"invalid regular expression /{pattern}/: {exc}") from None
