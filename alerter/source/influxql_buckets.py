"""GROUP BY time(interval[, offset]) buckets and fill(), influxd 1.x style, for the in-memory source.

Place in the flow: :mod:`alerter.source.influxql` hands each call's time-ordered points of one group
here when the statement groups by time; this module reduces them per bucket and fills the empty
buckets. Rules reproduced (checked against influxd 1.6.7):

* buckets start at ``floor((t - offset) / interval) * interval + offset`` and run from the bucket
  of the lower time bound to the bucket of the upper one (``now`` at the latest), so the first
  bucket may start before the lower bound; a row's time is its bucket's start, selectors included;
* a group with no point in the whole range has no series at all;
* fill is per column: ``null`` (default; ``count`` gives 0), ``none`` (no value; the row is dropped
  when every column is empty), a number, ``previous`` (last value, null before any) or ``linear``
  (interpolated between the nearest non-empty buckets, null at the edges).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from alerter.source.influxql_parse import Fill
from alerter.source.influxql_reduce import Reducer

MISSING: Any = object()  # "this call produced no point in this bucket"


def bucket_start(t: int, interval: int, offset: int) -> int:
    """Start (ns) of the bucket holding ``t``."""
    return (t - offset) // interval * interval + offset


def bucket_values(
    points: Sequence[tuple[int, Any]], reducer: Reducer, arg: float | None, starts: range, offset: int
) -> list[Any]:
    """The reduced value of each bucket in ``starts``, MISSING where the reducer gave no point."""
    interval = starts.step
    by_bucket: dict[int, list[tuple[int, Any]]] = {}
    for p in points:
        by_bucket.setdefault(bucket_start(p[0], interval, offset), []).append(p)
    out: list[Any] = []
    for start in starts:
        members = by_bucket.get(start)
        point = reducer(members, arg) if members else None
        out.append(MISSING if point is None else point[1])
    return out


def fill(values: list[Any], how: Fill, is_count: bool) -> list[Any]:
    """Apply ``fill(...)`` to one column; ``none`` leaves MISSING in place for the caller."""
    if how.kind == "none":
        return values
    if how.kind == "value":
        return [how.value if v is MISSING else v for v in values]
    if how.kind == "previous":
        out: list[Any] = []
        last = None
        for v in values:
            last = last if v is MISSING else v
            out.append(last)
        return out
    if how.kind == "linear":
        return _linear(values)
    return [(0 if is_count else None) if v is MISSING else v for v in values]


def _linear(values: list[Any]) -> list[Any]:
    known = [i for i, v in enumerate(values) if v is not MISSING and v is not None]
    out = [None if v is MISSING else v for v in values]
    for a, b in pairwise(known):
        left, right = values[a], values[b]
        for i in range(a + 1, b):
            value = left + (right - left) * (i - a) / (b - a)
            out[i] = int(value) if isinstance(left, int) and isinstance(right, int) else value
    return out
