"""Alert volume per day or week: raw alerts, incidents, pages, compression, suppressions, top-N.

Place in the flow: :mod:`.query` -> :class:`~alerter.reports.records.ReportData` -> **here** ->
:mod:`.report`, charts, CSV. Pure: a function of the records, the range and the report timezone.

Definitions (what a manager reads off the table):

* **alerts**: raw alerts, i.e. firings: a series entering a non-ok state from ok or from nothing
  (a warning that turns critical is the same alert, not a new one);
* **incidents**: incidents opened in the bucket;
* **pages**: trigger notifications queued to a person or channel in the bucket;
* **compression**: alerts per page, ``alerts / pages`` (None when nothing paged): how much
  dedup, grouping and suppression spared the on-call person;
* **suppressed**: suppression records by reason (maintenance, dependency, flapping, storm, policy).

Buckets are calendar days or ISO weeks (Monday 00:00) in the report timezone, so a day is 23 or
25 hours long across a DST change. The range ``[start, end)`` is cut into buckets; the first and
last may be partial (their ``start``/``end`` are clipped to the range).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from alerter.clock import to_datetime
from alerter.reports.records import ReportData

UTC_ZONE = ZoneInfo("UTC")


class Bucket(StrEnum):
    """How a report range is cut: per calendar day or per ISO week (Monday first)."""

    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True, slots=True)
class Ranked:
    """One entry of a top-N list."""

    name: str
    count: int


@dataclass(frozen=True, slots=True)
class VolumeRow:
    """The figures of one bucket ``[start, end)`` (aware datetimes in the report timezone)."""

    start: datetime
    end: datetime
    alerts: int = 0
    incidents: int = 0
    pages: int = 0
    suppressed: Mapping[str, int] = field(default_factory=dict)

    @property
    def compression(self) -> float | None:
        """Alerts per page; None when nothing paged (no ratio to speak of)."""
        return self.alerts / self.pages if self.pages else None

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())


@dataclass(frozen=True, slots=True)
class VolumeReport:
    """Per-bucket rows, their total over the range, and the noisiest rules, hosts and roles."""

    by: Bucket
    zone: str
    rows: tuple[VolumeRow, ...]
    total: VolumeRow
    top_rules: tuple[Ranked, ...]
    top_hosts: tuple[Ranked, ...]
    top_roles: tuple[Ranked, ...]


def volume_report(
    data: ReportData,
    start: float,
    end: float,
    *,
    by: Bucket = Bucket.DAY,
    zone: ZoneInfo = UTC_ZONE,
    top: int = 10,
) -> VolumeReport:
    """The volume report of ``data`` over ``[start, end)``. Raises ValueError for an empty range."""
    edges = bucket_edges(start, end, by, zone)
    firings = [f for f in data.firings if start <= f.at < end]
    counts = {
        "alerts": _per_bucket(edges, (f.at for f in firings)),
        "incidents": _per_bucket(edges, (i.opened_at for i in data.incidents)),
        "pages": _per_bucket(edges, (p.at for p in data.pages)),
    }
    reasons = sorted({s.reason for s in data.suppressions})
    by_reason = {r: _per_bucket(edges, (s.at for s in data.suppressions if s.reason == r)) for r in reasons}
    rows = tuple(
        VolumeRow(
            a,
            b,
            counts["alerts"][i],
            counts["incidents"][i],
            counts["pages"][i],
            {r: n[i] for r, n in by_reason.items() if n[i]},
        )
        for i, (a, b) in enumerate(pairwise(edges))
    )
    return VolumeReport(
        by,
        str(zone),
        rows,
        _total(rows),
        top_n((f.rule for f in firings), top),
        top_n((f.host for f in firings if f.host), top),
        top_n((f.role for f in firings if f.role), top),
    )


def top_n(names: Iterable[str], n: int) -> tuple[Ranked, ...]:
    """The ``n`` most frequent names, most first; ties by name so the order never flickers."""
    ranked = sorted(Counter(names).items(), key=lambda item: (-item[1], item[0]))
    return tuple(Ranked(name, count) for name, count in ranked[: max(n, 0)])


def bucket_edges(start: float, end: float, by: Bucket, zone: ZoneInfo) -> list[datetime]:
    """``[start, b1, b2, ..., end]``: the range cut at local midnights (days) or Mondays (weeks).

    Raises ValueError if ``end <= start``.
    """
    if end <= start:
        raise ValueError(
            f"report range is empty: end {_iso(end, zone)} is not after start {_iso(start, zone)}"
        )
    first, last = to_datetime(start).astimezone(zone), to_datetime(end).astimezone(zone)
    day = first.date()
    if by is Bucket.WEEK:
        day -= timedelta(days=day.weekday())
    step = timedelta(days=7 if by is Bucket.WEEK else 1)
    edges = [first]
    cut = _midnight(day + step, zone)
    while cut < last:
        edges.append(cut)
        cut = _midnight(cut.date() + step, zone)
    edges.append(last)
    return edges


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # normalise through UTC: a zone whose DST change is at midnight has no 00:00 on that day
    return datetime.combine(day, time(0), zone).astimezone(UTC).astimezone(zone)


def _per_bucket(edges: list[datetime], instants: Iterable[float]) -> list[int]:
    lows = [e.timestamp() for e in edges]
    out = [0] * (len(edges) - 1)
    for t in instants:
        if lows[0] <= t < lows[-1]:
            out[bisect_right(lows, t) - 1] += 1
    return out


def _total(rows: tuple[VolumeRow, ...]) -> VolumeRow:
    suppressed: Counter[str] = Counter()
    for row in rows:
        suppressed.update(row.suppressed)
    return VolumeRow(
        rows[0].start,
        rows[-1].end,
        sum(r.alerts for r in rows),
        sum(r.incidents for r in rows),
        sum(r.pages for r in rows),
        dict(sorted(suppressed.items())),
    )


def _iso(t: float, zone: ZoneInfo) -> str:
    return to_datetime(t).astimezone(zone).isoformat()
