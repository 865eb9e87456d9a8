"""Response times (MTTA, MTTR) and on-call hours per person.

Place in the flow: :class:`~alerter.reports.records.IncidentRow` and the on-call spec ->
**here** -> :mod:`.report`. Pure.

* **MTTA**: ``acked_at - opened_at``; **MTTR**: ``resolved_at - opened_at``, in seconds, over the
  incidents opened in the range. An incident never acknowledged (it resolved by itself, or is
  still open) is left out of MTTA and counted in ``missing``; likewise unresolved ones for MTTR,
  so a mean is never flattered by silently dropped incidents.
* **Percentiles** use the *nearest-rank* method: the p-th percentile of n sorted values is the
  value at rank ``ceil(p/100 * n)`` (1-based). It is always one of the observed values (a real
  incident's time, not an interpolation); p90 of 1..10 is 9, of 1..20 is 18. The median is the
  usual one (the mean of the two middle values for an even count).
* **On-call hours** per person and role, from the rotation calendar (swaps and overrides
  applied), clipped to the range and to the rotation's first handoff.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC

from alerter.clock import to_datetime
from alerter.config.oncall import OnCallSpec, Role
from alerter.reports.records import IncidentRow


@dataclass(frozen=True, slots=True)
class Stats:
    """Summary of durations in seconds; ``missing`` incidents had no such time."""

    count: int
    missing: int
    mean: float | None
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """MTTA and MTTR over the incidents opened in a range."""

    incidents: int
    mtta: Stats
    mttr: Stats


@dataclass(frozen=True, slots=True)
class OnCallHours:
    """Hours one person held each role in the range."""

    primary: float = 0.0
    sub: float = 0.0

    @property
    def total(self) -> float:
        return self.primary + self.sub


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank ``p``-th percentile (0 < p <= 100). Raises ValueError for no values."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)), 1) - 1]


def stats(durations: Sequence[float], missing: int = 0) -> Stats:
    """Count, mean, median and p90 of ``durations`` (None each when there are none)."""
    if not durations:
        return Stats(0, missing, None, None, None)
    return Stats(
        len(durations),
        missing,
        statistics.fmean(durations),
        statistics.median(durations),
        percentile(durations, 90),
    )


def response_times(incidents: Iterable[IncidentRow], start: float, end: float) -> ResponseTimes:
    """MTTA/MTTR of the incidents opened in ``[start, end)``."""
    chosen = [i for i in incidents if start <= i.opened_at < end]
    acked = [i.acked_at - i.opened_at for i in chosen if i.acked_at is not None]
    resolved = [i.resolved_at - i.opened_at for i in chosen if i.resolved_at is not None]
    return ResponseTimes(
        len(chosen), stats(acked, len(chosen) - len(acked)), stats(resolved, len(chosen) - len(resolved))
    )


def oncall_hours(spec: OnCallSpec, start: float, end: float) -> dict[str, OnCallHours]:
    """Hours per member id (every member listed, sorted) in ``[start, end)``.

    Time before the rotation's first handoff counts for nobody.
    """
    hours = {m.id: {Role.PRIMARY: 0.0, Role.SUB: 0.0} for m in spec.members}
    begin, finish = max(to_datetime(start), spec.handoff_at(0)), to_datetime(end)
    if begin < finish:
        for role in Role:
            for seg in spec.segments(role, begin, finish):
                span = (seg.end.astimezone(UTC) - seg.start.astimezone(UTC)).total_seconds() / 3600
                hours.setdefault(seg.member, {Role.PRIMARY: 0.0, Role.SUB: 0.0})[role] += span
    return {m: OnCallHours(h[Role.PRIMARY], h[Role.SUB]) for m, h in sorted(hours.items())}
