"""In-memory :class:`~alerter.source.MetricSource`: points held in process, InfluxQL subset answered.

Place in the flow: stands in for InfluxDB wherever the engine needs exact, offline data — rule unit
tests, replay of recorded hours, the acceptance timeline and the contract suite that holds it to
the real influxd (``tests/contract/test_metric_source.py``). Statements are evaluated by
:mod:`alerter.source.influxql`; see its docstring for the subset and the influxd behaviours kept.

Storage is per measurement, per series (tag set), as a time array and one column per field, so a
statement costs one tag check per series plus two bisections — replay over thousands of hosts and
hours of data only touches the rows inside the queried window. Points written for the same series
and time merge their fields (later writes win), as influxd does.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from alerter.source import StatementResult
from alerter.source.influxql import StoredMeasurement, StoredSeries, execute
from alerter.source.influxql_parse import ParseError, split_statements

FieldValue = float | int | bool | str


@dataclass(frozen=True, slots=True)
class Point:
    """One sample as influxd stores it: measurement, tag set, fields and POSIX time in seconds."""

    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time: float


def to_ns(seconds: float) -> int:
    """POSIX seconds -> integer nanoseconds (exact for int seconds, rounded to ns otherwise)."""
    if isinstance(seconds, int):
        return seconds * 1_000_000_000
    return round(seconds * 1_000_000_000)


@dataclass(slots=True)
class _Pending:
    """Points added since the last query, merged lazily so bulk loading stays linear."""

    by_series: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[int, Mapping[str, FieldValue]]]] = (
        field(default_factory=dict)
    )


class StaticSource:
    """A MetricSource over points held in memory.

    >>> src = StaticSource([Point("cpu", {"host": "a"}, {"usage_idle": 90.0}, 100)])
    >>> # await src.query(['SELECT 100 - mean("usage_idle") FROM "cpu" GROUP BY "host"'], now=200)
    """

    def __init__(self, points: Iterable[Point] = ()) -> None:
        self._measurements: dict[str, StoredMeasurement] = {}
        self._pending = _Pending()
        self.add(points)

    def add(self, points: Iterable[Point]) -> None:
        """Add points (any order); they are visible to the next query whose ``now`` covers them."""
        pending = self._pending.by_series
        for p in points:
            key = (p.measurement, tuple(sorted(p.tags.items())))
            pending.setdefault(key, []).append((to_ns(p.time), p.fields))

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        """One result per statement, in order, as :class:`~alerter.source.MetricSource` promises.

        Never raises for a bad statement: its result carries the error instead. A string holding
        several ``;``-separated statements is refused (as the InfluxDB source does), because each
        rule must get exactly its own answer.
        """
        self._settle()
        now_ns = to_ns(now)
        return [self._answer(text, now_ns) for text in statements]

    def _answer(self, text: str, now_ns: int) -> StatementResult:
        try:
            parts = split_statements(text)
        except ParseError as exc:
            return StatementResult(error=f"error parsing query: {exc}")
        if len(parts) != 1:
            if not parts:
                return StatementResult(error="empty statement")
            return StatementResult(
                error=f"{len(parts)} statements in one query string ({text!r}); give each rule one statement"
            )
        return execute(parts[0], self._measurements.get, now_ns)

    def _settle(self) -> None:
        pending, self._pending = self._pending.by_series, _Pending()
        for (name, tag_items), new in pending.items():
            m = self._measurements.setdefault(name, StoredMeasurement())
            m.changed()
            series = m.series.get(tag_items)
            if series is None:
                series = m.series[tag_items] = StoredSeries(dict(tag_items))
                m.tag_keys.update(series.tags)
            for _t, fields in new:
                m.field_keys.update(fields)
            _merge(series, new)


def _merge(series: StoredSeries, new: list[tuple[int, Mapping[str, FieldValue]]]) -> None:
    """Merge ``new`` points into ``series`` keeping times sorted and unique (later writes win)."""
    new.sort(key=lambda p: p[0])  # stable: later writes at the same time stay later
    times = series.times
    if times and new[0][0] <= times[-1]:
        _rebuild(series, new)
        return
    columns = series.columns
    for t, fields in new:  # the common case: appending newer data
        if not times or times[-1] != t:
            times.append(t)
            for column in columns.values():
                column.append(None)
        for name, value in fields.items():
            if name not in columns:
                columns[name] = [None] * len(times)
            columns[name][-1] = value


def _rebuild(series: StoredSeries, new: list[tuple[int, Mapping[str, FieldValue]]]) -> None:
    """Out-of-order points: merge everything by time, then lay the columns out again."""
    merged: dict[int, dict[str, FieldValue]] = {}
    for i, t in enumerate(series.times):
        row = merged[t] = {}
        for name, column in series.columns.items():
            value = column[i]
            if value is not None:
                row[name] = value
    for t, fields in new:
        merged.setdefault(t, {}).update(fields)
    series.times = array("q", sorted(merged))
    series.columns = {}
    for name in {k for fields in merged.values() for k in fields}:
        series.columns[name] = [merged[t].get(name) for t in series.times]
