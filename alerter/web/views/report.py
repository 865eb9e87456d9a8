"""The report range people pick (dates, day or week buckets) and the report as JSON.

Place in the flow: the range picker's query string -> :class:`ReportRange` -> the
:class:`~alerter.web.context.ReportProvider` (``alerter.reports``) -> the report page, its CSV and
SVG charts, and ``/api/v1/report``. Dates are whole days in UTC; ``end`` is the last day
included, so ``?start=2026-11-01&end=2026-11-07`` is one week. The default is the last 7 days
including today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from pydantic import TypeAdapter

from alerter.reports.report import Report
from alerter.reports.volume import Bucket

DEFAULT_DAYS = 7
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class ReportRange:
    """Days ``start`` to ``end`` inclusive, bucketed ``by``."""

    start: date
    end: date
    by: Bucket

    @property
    def start_ts(self) -> float:
        return datetime.combine(self.start, time(0), UTC).timestamp()

    @property
    def end_ts(self) -> float:
        return datetime.combine(self.end + timedelta(days=1), time(0), UTC).timestamp()

    def query(self) -> str:
        """The query string that selects this range again (links to the CSV and charts)."""
        return urlencode({"start": self.start.isoformat(), "end": self.end.isoformat(), "by": self.by.value})


def parse_range(start: str | None, end: str | None, by: str | None, now: float) -> ReportRange:
    """The range the query asks for; raises ValueError with a message for the person."""
    today = datetime.fromtimestamp(now, UTC).date()
    last = _day(end, "end") if end else today
    first = _day(start, "start") if start else last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise ValueError(f"end {last.isoformat()} is before start {first.isoformat()}")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"a report covers at most {MAX_DAYS} days")
    try:
        bucket = Bucket(by or Bucket.DAY.value)
    except ValueError:
        raise ValueError(f"by: {by!r} is not one of day, week") from None
    return ReportRange(first, last, bucket)


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a date (expected YYYY-MM-DD)") from None


_REPORT = TypeAdapter(Report)


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON data, with the derived figures a page shows (totals, compression)."""
    data: dict[str, Any] = _REPORT.dump_python(report, mode="json")
    volume = report.volume
    for row, out in zip(
        (*volume.rows, volume.total), (*data["volume"]["rows"], data["volume"]["total"]), strict=True
    ):
        out["compression"] = row.compression
        out["suppressed_total"] = row.suppressed_total
    for person, out in zip(report.people, data["people"], strict=True):
        out["interruptions"]["total"] = person.interruptions.total
        if person.oncall is not None:
            out["oncall"]["total"] = person.oncall.total
    return data


__all__ = ["ReportRange", "parse_range", "report_json"]
