"""Evaluate the InfluxQL subset over in-memory series, the way influxd 1.x answers it.

Place in the flow: :class:`alerter.source.static.StaticSource` keeps points per measurement as
:class:`StoredMeasurement`; for each statement it calls :func:`execute`, which parses
(:mod:`~alerter.source.influxql_parse`), extracts the time range
(:mod:`~alerter.source.influxql_time`), filters series by tag conditions once per series and rows
by field conditions (:mod:`~alerter.source.influxql_expr`), groups by tags and reduces
(:mod:`~alerter.source.influxql_reduce`, per GROUP BY time bucket with fill in
:mod:`~alerter.source.influxql_buckets`). Results are capped at ``time <= now`` so replay never
sees the future.

InfluxDB 1.x behaviours reproduced (each checked against influxd 1.6.7):

* no GROUP BY time: one row per group; its time is the lower time bound (epoch 0 without one),
  except a statement with exactly one call that is a selector, which keeps the selected point's time;
* a group gets a row when at least one call produced a point; other calls' columns are null;
* GROUP BY tags: a missing tag is ``""``; series sorted by tag values; GROUP BY * = all tag keys;
* a WHERE identifier is a field if the measurement has such a field, else a tag (missing = ``""``);
  a comparison with a null field is false, whatever the operator;
* raw rows: only rows where a selected field is non-null; ``LIMIT`` is per series, 0 = none;
* ``SELECT *``: every field and every tag not grouped by, as columns sorted by name;
* column names: the alias, else the function or field name (``mean(a) + mean(b)`` -> ``mean_mean``),
  duplicates suffixed ``_1``, ``_2``; integer/integer division gives a float, x/0 gives 0;
* a missing measurement or field gives no series, not an error.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from alerter.source import Series, StatementResult
from alerter.source.influxql_buckets import MISSING, bucket_start, bucket_values, fill
from alerter.source.influxql_expr import NO_ROW, RowView, Value, calc, is_field, truth, value_of
from alerter.source.influxql_parse import (
    BinOp,
    Call,
    Expr,
    Field,
    Ident,
    InvalidQuery,
    Number,
    ParseError,
    Select,
    Unsupported,
    Wildcard,
    parse_statement,
)
from alerter.source.influxql_reduce import AGGREGATES, REDUCERS, SELECTORS, check_types
from alerter.source.influxql_time import TimeRange, split_time

TagKey = tuple[tuple[str, str], ...]
Group = tuple[tuple[str, ...], list["StoredSeries"]]
_GROUPS_CACHE_SIZE = 1024
_MAX_BUCKETS = 100_000


@dataclass(slots=True)
class StoredSeries:
    """One series' points, by column: ``times`` (ns, ascending, unique) and one list per field
    holding the value at each time or None (columns keep replay over millions of points small)."""

    tags: dict[str, str]
    times: array[int] = field(default_factory=lambda: array("q"))
    columns: dict[str, list[Value | None]] = field(default_factory=dict)

    def span(self, tr: TimeRange) -> range:
        """Indexes of the rows inside ``tr`` (two bisections, so range lookups stay cheap)."""
        lo = 0 if tr.lower is None else bisect_left(self.times, tr.lower)
        return range(lo, bisect_right(self.times, tr.upper, lo))

    def row(self, i: int) -> RowView:
        return RowView(self.columns, i)


@dataclass(slots=True)
class StoredMeasurement:
    """All series of one measurement, keyed by their sorted tag items."""

    series: dict[TagKey, StoredSeries] = field(default_factory=dict)
    field_keys: set[str] = field(default_factory=set)
    tag_keys: set[str] = field(default_factory=set)
    # (tag condition, group keys) -> groups; replay asks the same statements at every tick, so
    # the per-series tag checks are done once. The store clears it when series or keys change.
    groups_cache: dict[tuple[Expr | None, tuple[str, ...]], list[Group]] = field(default_factory=dict)

    def changed(self) -> None:
        """Forget cached groupings (call after adding series or field keys)."""
        self.groups_cache.clear()


def execute(text: str, lookup: Callable[[str], StoredMeasurement | None], now_ns: int) -> StatementResult:
    """Answer one statement; parse errors and unsupported syntax come back as ``error``."""
    try:
        stmt = parse_statement(text)
        time_range, condition = split_time(stmt.condition, now_ns)
        data = lookup(stmt.measurement)
        if any(isinstance(f.expr, Wildcard) for f in stmt.fields):
            if data is None:
                return StatementResult()
            stmt = _expand_wildcard(stmt, data)
        plan = _Plan.of(stmt)
        _check_interval(stmt, time_range)
        if data is None or time_range.empty:
            return StatementResult()
        return StatementResult(series=tuple(_run(stmt, plan, data, time_range, condition)))
    except ParseError as exc:
        return StatementResult(error=f"error parsing query: {exc}")
    except (Unsupported, InvalidQuery) as exc:
        return StatementResult(error=str(exc))


def _expand_wildcard(stmt: Select, data: StoredMeasurement) -> Select:
    """``SELECT *`` -> every field and every tag not grouped by, sorted by name (as influxd)."""
    if len(stmt.fields) != 1:
        raise Unsupported("* together with other fields in the SELECT list")
    grouped = data.tag_keys if stmt.group_by is None else set(stmt.group_by)
    names = sorted(data.field_keys | (data.tag_keys - grouped))
    fields = tuple(Field(Ident(n, "field" if n in data.field_keys else "tag")) for n in names)
    return replace(stmt, fields=fields)


def _check_interval(stmt: Select, tr: TimeRange) -> None:
    if stmt.interval is None:
        return
    if tr.lower is None:
        raise Unsupported("GROUP BY time(...) without a lower time bound (influxd would start in 1970)")
    if (tr.upper - tr.lower) // stmt.interval > _MAX_BUCKETS:
        raise Unsupported(f"GROUP BY time(...) with more than {_MAX_BUCKETS} buckets")


# --- planning ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    columns: tuple[str, ...]
    calls: tuple[Call, ...]  # every call in the projection, in order; empty for a raw query

    @staticmethod
    def of(stmt: Select) -> _Plan:
        calls: list[Call] = []
        raw: list[Ident] = []
        for f in stmt.fields:
            _collect(f.expr, calls, raw)
        if calls and raw:
            raise InvalidQuery("mixing aggregate and non-aggregate queries is not supported")
        if not calls and not raw:
            raise InvalidQuery("at least 1 non-time field must be queried")
        if raw and stmt.interval is not None:
            raise InvalidQuery("GROUP BY requires at least one aggregate function")
        for call in calls:
            _check_call(call)
        names = [f.alias or "_".join(_names(f.expr)) or "" for f in stmt.fields]
        return _Plan(_dedupe(names), tuple(calls))

    @property
    def selector_time(self) -> bool:
        """True when rows carry the selected point's time instead of the lower bound."""
        return len(self.calls) == 1 and self.calls[0].name in SELECTORS


def _collect(expr: Expr, calls: list[Call], raw: list[Ident]) -> None:
    if isinstance(expr, Call):
        calls.append(expr)
    elif isinstance(expr, Ident):
        if expr.name.lower() == "time":
            raise Unsupported("selecting time explicitly")
        raw.append(expr)
    elif isinstance(expr, BinOp):
        if expr.op not in ("+", "-", "*", "/", "%"):
            raise Unsupported(f"operator {expr.op} in the SELECT list")
        _collect(expr.left, calls, raw)
        _collect(expr.right, calls, raw)
    elif not isinstance(expr, Number):
        raise Unsupported(f"{type(expr).__name__.lower()} literal in the SELECT list")


def _check_call(call: Call) -> None:
    if call.name not in SELECTORS and call.name not in AGGREGATES:
        raise Unsupported(f"function {call.name}()")
    want = 2 if call.name == "percentile" else 1
    if len(call.args) != want:
        raise InvalidQuery(
            f"invalid number of arguments for {call.name}, expected {want}, got {len(call.args)}"
        )
    if not isinstance(call.args[0], Ident):
        raise Unsupported(f"{call.name}() of anything but a field")
    if want == 2 and not isinstance(call.args[1], Number):
        raise InvalidQuery("expected float argument in percentile()")


def _names(expr: Expr) -> list[str]:
    if isinstance(expr, Call):
        return [expr.name]
    if isinstance(expr, Ident):
        return [expr.name]
    if isinstance(expr, BinOp):
        return _names(expr.left) + _names(expr.right)
    return []


def _dedupe(names: list[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(f"{name}_{n}" if n else name)
    return tuple(out)


# --- running -----------------------------------------------------------------------------------


def _run(
    stmt: Select, plan: _Plan, data: StoredMeasurement, tr: TimeRange, condition: Expr | None
) -> Iterator[Series]:
    series_cond, row_cond = _split_condition(condition, data)
    keys = sorted(data.tag_keys) if stmt.group_by is None else sorted(set(stmt.group_by))
    columns = ("time", *plan.columns)
    for values, members in _groups(data, series_cond, tuple(keys)):
        if plan.calls:
            rows = _aggregate_rows(stmt, plan, members, tr, row_cond, data)
        else:
            rows = _raw_rows(stmt, members, tr, row_cond, data)
        if stmt.limit:
            rows = rows[: stmt.limit]
        if rows:
            tags = dict(zip(keys, values, strict=True)) if stmt.group_by != () else {}
            yield Series(stmt.measurement, columns, tuple(rows), tags)


def _groups(data: StoredMeasurement, series_cond: Expr | None, keys: tuple[str, ...]) -> list[Group]:
    """Series passing the tag condition, grouped by ``keys`` values, both in influxd's order."""
    cached = data.groups_cache.get((series_cond, keys))
    if cached is not None:
        return cached
    groups: dict[tuple[str, ...], list[StoredSeries]] = {}
    for key in sorted(data.series):
        s = data.series[key]
        if series_cond is None or truth(series_cond, s.tags, NO_ROW, data):
            groups.setdefault(tuple(s.tags.get(k, "") for k in keys), []).append(s)
    result = sorted(groups.items())
    if len(data.groups_cache) >= _GROUPS_CACHE_SIZE:
        data.groups_cache.clear()
    data.groups_cache[(series_cond, keys)] = result
    return result


def _split_condition(condition: Expr | None, data: StoredMeasurement) -> tuple[Expr | None, Expr | None]:
    """Split AND-ed conjuncts into tag-only ones (decided once per series) and per-row ones."""
    parts: list[Expr] = []
    stack = [condition] if condition is not None else []
    while stack:
        e = stack.pop()
        if isinstance(e, BinOp) and e.op == "AND":
            stack += [e.right, e.left]
        else:
            parts.append(e)
    tag_only = [p for p in parts if not _uses_fields(p, data)]
    per_row = [p for p in parts if _uses_fields(p, data)]
    return _and(tag_only), _and(per_row)


def _and(parts: list[Expr]) -> Expr | None:
    out: Expr | None = None
    for p in parts:
        out = p if out is None else BinOp("AND", out, p)
    return out


def _uses_fields(expr: Expr, data: StoredMeasurement) -> bool:
    if isinstance(expr, Ident):
        return is_field(expr, data)
    if isinstance(expr, BinOp):
        return _uses_fields(expr.left, data) or _uses_fields(expr.right, data)
    return False


def _raw_rows(
    stmt: Select, members: list[StoredSeries], tr: TimeRange, cond: Expr | None, data: StoredMeasurement
) -> list[tuple[Any, ...]]:
    field_names = [i.name for f in stmt.fields for i in _idents(f.expr) if is_field(i, data)]
    if not field_names:
        raise InvalidQuery("statement must have at least one field in projection")
    found: list[tuple[int, tuple[Any, ...]]] = []
    for s in members:
        for i in s.span(tr):
            row = s.row(i)
            if not any(row.get(n) is not None for n in field_names):
                continue
            if cond is not None and not truth(cond, s.tags, row, data):
                continue
            values = tuple(value_of(f.expr, s.tags, row, data) for f in stmt.fields)
            found.append((s.times[i], values))
    found.sort(key=lambda r: r[0], reverse=stmt.descending)
    return [(t / 1e9, *values) for t, values in found]


def _idents(expr: Expr) -> list[Ident]:
    if isinstance(expr, Ident):
        return [expr]
    if isinstance(expr, BinOp):
        return _idents(expr.left) + _idents(expr.right)
    return []


def _aggregate_rows(
    stmt: Select,
    plan: _Plan,
    members: list[StoredSeries],
    tr: TimeRange,
    cond: Expr | None,
    data: StoredMeasurement,
) -> list[tuple[Any, ...]]:
    points_by_field: dict[str, list[tuple[int, Any]]] = {}
    results: dict[int, tuple[int, Any] | None] = {}
    points_by_call: list[list[tuple[int, Any]]] = []
    for call in plan.calls:
        name = call.args[0].name  # type: ignore[union-attr]  # _check_call made it an Ident
        points = points_by_field.get(name)
        if points is None:
            points = points_by_field[name] = _field_points(name, members, tr, cond, data)
        error = check_types(call.name, points)
        if error:
            raise InvalidQuery(error)
        pct = _percent(call)
        if stmt.interval is not None:
            points_by_call.append(points)
            continue
        results[id(call)] = REDUCERS[call.name](points, pct)
    if stmt.interval is not None:
        return _bucket_rows(stmt, plan, points_by_call, tr)
    if all(r is None for r in results.values()):
        return []
    if plan.selector_time:
        time_ns = next(iter(results.values()))[0]  # type: ignore[index]
    else:
        time_ns = tr.lower if tr.lower is not None else 0

    def resolve(call: Call) -> Any:
        r = results[id(call)]
        return None if r is None else r[1]

    values = [calc(f.expr, resolve) for f in stmt.fields]
    return [(time_ns / 1e9, *values)]


def _bucket_rows(
    stmt: Select, plan: _Plan, points_by_call: list[list[tuple[int, Any]]], tr: TimeRange
) -> list[tuple[Any, ...]]:
    """One row per GROUP BY time bucket (see :mod:`alerter.source.influxql_buckets`)."""
    if not any(points_by_call):
        return []
    interval, offset = stmt.interval or 1, stmt.offset
    first = bucket_start(tr.lower or 0, interval, offset)
    starts = range(first, bucket_start(tr.upper, interval, offset) + 1, interval)
    columns: dict[int, list[Any]] = {}
    for call, points in zip(plan.calls, points_by_call, strict=True):
        pct = _percent(call)
        values = bucket_values(points, REDUCERS[call.name], pct, starts, offset)
        columns[id(call)] = fill(values, stmt.fill, call.name == "count")
    rows: list[tuple[Any, ...]] = []
    for j, start in enumerate(starts):
        if all(col[j] is MISSING for col in columns.values()):
            continue

        def resolve(call: Call, j: int = j) -> Any:
            v = columns[id(call)][j]
            return None if v is MISSING else v

        rows.append((start / 1e9, *(calc(f.expr, resolve) for f in stmt.fields)))
    if stmt.descending:
        rows.reverse()
    return rows


def _percent(call: Call) -> float | None:
    """percentile()'s N (checked to be a number by _check_call); None for other functions."""
    arg = call.args[1] if call.name == "percentile" else None
    return float(arg.value) if isinstance(arg, Number) else None


def _field_points(
    name: str, members: list[StoredSeries], tr: TimeRange, cond: Expr | None, data: StoredMeasurement
) -> list[tuple[int, Any]]:
    points: list[tuple[int, Any]] = []
    for s in members:
        column = s.columns.get(name)
        if column is None:
            continue
        times, span = s.times, s.span(tr)
        if cond is None:
            points += [(times[i], column[i]) for i in span if column[i] is not None]
        else:
            points += [
                (times[i], column[i])
                for i in span
                if column[i] is not None and truth(cond, s.tags, s.row(i), data)
            ]
    if len(members) > 1:
        points.sort(key=lambda p: p[0])  # stable: equal times keep series order
    return points
