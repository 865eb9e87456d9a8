"""The whole report for one range: volume, response times and the load on each person.

Place in the flow: :mod:`.query` -> :func:`build_report` (pure, from :mod:`.volume`,
:mod:`.interruptions`, :mod:`.response`) -> renderers: ``alerter report`` (table, CSV, JSON),
the weekly mail (:mod:`.weekly`) and the web UI, which all show the same :class:`Report`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from alerter.clock import to_datetime
from alerter.config.oncall import OnCallSpec
from alerter.reports.interruptions import Interruptions, interruptions
from alerter.reports.records import PageRow, ReportData
from alerter.reports.response import OnCallHours, ResponseTimes, oncall_hours, response_times
from alerter.reports.volume import UTC_ZONE, Bucket, VolumeReport, VolumeRow, volume_report


@dataclass(frozen=True, slots=True)
class PersonLoad:
    """One person's share: pages, interruptions by class, on-call hours (None: no rotation given).

    ``person`` is the member id, or ``(channel)`` for pages addressed to a channel's recipients.
    """

    person: str
    name: str
    pages: int
    interruptions: Interruptions
    oncall: OnCallHours | None


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a manager's report shows for ``[start, end)`` (aware, report timezone)."""

    start: datetime
    end: datetime
    volume: VolumeReport
    response: ResponseTimes
    people: tuple[PersonLoad, ...]

    @property
    def zone(self) -> str:
        return self.volume.zone


def build_report(
    data: ReportData,
    start: float,
    end: float,
    *,
    by: Bucket = Bucket.DAY,
    zone: ZoneInfo = UTC_ZONE,
    top: int = 10,
    spec: OnCallSpec | None = None,
) -> Report:
    """The report of ``data`` over ``[start, end)``; ``spec`` adds names, timezones, on-call hours.

    Raises ValueError for an empty range.
    """
    volume = volume_report(data, start, end, by=by, zone=zone, top=top)
    pages = [_addressed(p) for p in data.pages if start <= p.at < end]
    zones = {} if spec is None else {m.id: ZoneInfo(m.timezone) for m in spec.members}
    names = {} if spec is None else {m.id: m.name for m in spec.members}
    hours = None if spec is None else oncall_hours(spec, start, end)
    counted = Counter(p.person for p in pages)
    interrupted = interruptions(pages, zones, default_zone=zone)
    people = sorted(set(counted) | set(hours or {}))
    return Report(
        to_datetime(start).astimezone(zone),
        to_datetime(end).astimezone(zone),
        volume,
        response_times(data.incidents, start, end),
        tuple(
            PersonLoad(
                p,
                names.get(p, p),
                counted[p],
                interrupted.get(p, Interruptions()),
                None if hours is None else hours.get(p, OnCallHours()),
            )
            for p in people
        ),
    )


def _addressed(page: PageRow) -> PageRow:
    """A page to no particular person is shown as its channel, ``(email)``."""
    if page.person:
        return page
    return PageRow(page.at, page.incident_key, f"({page.channel})", page.channel, page.delivered_at)


def report_to_dict(report: Report) -> dict[str, Any]:
    """``report`` as JSON-ready data (instants ISO 8601, durations in seconds, derived figures included)."""
    v = report.volume
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "zone": report.zone,
        "by": v.by.value,
        "total": _row_dict(v.total),
        "rows": [_row_dict(r) for r in v.rows],
        "top": {
            kind: [{"name": r.name, "alerts": r.count} for r in ranked]
            for kind, ranked in (("rules", v.top_rules), ("hosts", v.top_hosts), ("roles", v.top_roles))
        },
        "response": {"incidents": report.response.incidents, "mtta": asdict(report.response.mtta),
                     "mttr": asdict(report.response.mttr)},
        "people": [_person_dict(p) for p in report.people],
    }  # fmt: skip


def _row_dict(row: VolumeRow) -> dict[str, Any]:
    return {
        "start": row.start.isoformat(),
        "end": row.end.isoformat(),
        "alerts": row.alerts,
        "incidents": row.incidents,
        "pages": row.pages,
        "compression": row.compression,
        "suppressed": dict(row.suppressed),
    }


def _person_dict(p: PersonLoad) -> dict[str, Any]:
    i = p.interruptions
    return {
        "person": p.person,
        "name": p.name,
        "pages": p.pages,
        "interruptions": {"total": i.total, "business": i.business, "off": i.off, "sleep": i.sleep},
        "oncall_hours": None if p.oncall is None else {"primary": p.oncall.primary, "sub": p.oncall.sub},
    }
