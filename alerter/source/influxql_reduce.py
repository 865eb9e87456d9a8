"""InfluxQL functions (aggregates and selectors) over one group's points, InfluxDB 1.x semantics.

Place in the flow: :mod:`alerter.source.influxql` collects, per GROUP BY group and per call, the
non-null ``(time_ns, value)`` points of the called field in time order and reduces them here. A
reducer returns None when influxd emits no point at all (no input; percentile out of range) and
``(time_ns, value)`` otherwise, where ``value`` may itself be None (stddev of one point), because
influxd distinguishes "no row" from "a row with null".

Selectors (first, last, min, max, percentile) return the chosen point's own time; aggregates return
``time_ns`` 0 here and the caller substitutes the statement's lower time bound. Rules taken from
influxdb 1.6 ``query/functions.go`` / ``call_iterator.go`` and checked against influxd 1.6.7: min/max
keep the earliest point on ties, median averages the two middle values, stddev is the sample
standard deviation, percentile picks index ``floor(n * p / 100 + 0.5) - 1`` of the sorted values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

Point = tuple[int, Any]
Reducer = Callable[[Sequence[Point], float | None], Point | None]

SELECTORS = frozenset({"first", "last", "min", "max", "percentile"})
AGGREGATES = frozenset({"mean", "median", "sum", "count", "spread", "stddev"})
# functions that accept strings and booleans; every other one needs numbers
ANY_TYPE = frozenset({"first", "last", "count"})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_types(name: str, points: Sequence[Point]) -> str | None:
    """Influx's error text when ``name`` cannot take these values, else None."""
    if name in ANY_TYPE or not points or _is_number(points[0][1]):
        return None
    kind = "string" if isinstance(points[0][1], str) else "boolean"
    return f"unsupported {name} iterator type: {kind} field"


def _first(points: Sequence[Point], _: float | None) -> Point | None:
    return points[0] if points else None


def _last(points: Sequence[Point], _: float | None) -> Point | None:
    return points[-1] if points else None


def _min(points: Sequence[Point], _: float | None) -> Point | None:
    # min() over tuples would compare times first; the key keeps the earliest point on ties
    return min(points, key=lambda p: p[1]) if points else None


def _max(points: Sequence[Point], _: float | None) -> Point | None:
    best: Point | None = None
    for p in points:
        if best is None or p[1] > best[1]:
            best = p
    return best


def _percentile(points: Sequence[Point], pct: float | None) -> Point | None:
    ordered = sorted(points, key=lambda p: p[1])
    i = math.floor(len(ordered) * (pct or 0.0) / 100.0 + 0.5) - 1
    return ordered[i] if 0 <= i < len(ordered) else None


def _count(points: Sequence[Point], _: float | None) -> Point | None:
    return (0, len(points)) if points else None


def _sum(points: Sequence[Point], _: float | None) -> Point | None:
    if not points:
        return None
    total: Any = 0
    for _t, v in points:
        total += v
    return (0, total)


def _mean(points: Sequence[Point], _: float | None) -> Point | None:
    if not points:
        return None
    total = 0.0
    for _t, v in points:
        total += v
    return (0, total / len(points))


def _median(points: Sequence[Point], _: float | None) -> Point | None:
    if not points:
        return None
    values = sorted(v for _t, v in points)
    mid = len(values) // 2
    if len(values) % 2:
        return (0, float(values[mid]))
    return (0, values[mid - 1] + (values[mid] - values[mid - 1]) / 2.0)


def _spread(points: Sequence[Point], _: float | None) -> Point | None:
    if not points:
        return None
    values = [v for _t, v in points]
    return (0, max(values) - min(values))


def _stddev(points: Sequence[Point], _: float | None) -> Point | None:
    if not points:
        return None
    if len(points) == 1:
        return (0, None)  # influxd emits a row with a null stddev here, not "no row"
    mean = 0.0
    for _t, v in points:
        mean += v
    mean /= len(points)
    variance = 0.0
    for _t, v in points:
        variance += (v - mean) ** 2
    return (0, math.sqrt(variance / (len(points) - 1)))


REDUCERS: dict[str, Reducer] = {
    "first": _first,
    "last": _last,
    "min": _min,
    "max": _max,
    "percentile": _percentile,
    "count": _count,
    "sum": _sum,
    "mean": _mean,
    "median": _median,
    "spread": _spread,
    "stddev": _stddev,
}
