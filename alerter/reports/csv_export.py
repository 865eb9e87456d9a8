"""CSV export of a :class:`~alerter.reports.report.Report`, one table per function.

Place in the flow: :mod:`.report` -> **here** -> ``alerter report --format csv`` and the web UI's
download links. RFC 4180 (comma, ``"`` doubled inside quoted fields, CRLF line ends), UTF-8.

A cell that starts with ``=``, ``+``, ``-``, ``@``, tab or CR is prefixed with ``'`` (OWASP's CSV
injection advice): a rule or host name must not become a formula when a manager opens the file in
a spreadsheet. Numbers are written as numbers; instants as ISO 8601 with their offset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from alerter.reports.report import Report

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TABLES = ("volume", "people", "noisy", "response")
"""The names :func:`table_csv` accepts."""


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """``header`` and ``rows`` as CSV text (None -> empty cell, floats rounded to 3 places)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()


def volume_csv(report: Report) -> str:
    """One row per bucket: alerts, incidents, pages, compression, suppressions per reason."""
    reasons = sorted(report.volume.total.suppressed)
    header = ["bucket_start", "bucket_end", "alerts", "incidents", "pages", "compression"]
    rows = (
        [r.start.isoformat(), r.end.isoformat(), r.alerts, r.incidents, r.pages, r.compression]
        + [r.suppressed.get(reason, 0) for reason in reasons]
        for r in report.volume.rows
    )
    return to_csv(header + [f"suppressed_{reason}" for reason in reasons], rows)


def people_csv(report: Report) -> str:
    """One row per person: pages, interruptions by class, on-call hours by role."""
    header = [
        "person", "name", "pages", "interruptions", "business", "off", "sleep",
        "oncall_primary_hours", "oncall_sub_hours",
    ]  # fmt: skip
    rows = (
        [
            p.person,
            p.name,
            p.pages,
            p.interruptions.total,
            p.interruptions.business,
            p.interruptions.off,
            p.interruptions.sleep,
            None if p.oncall is None else p.oncall.primary,
            None if p.oncall is None else p.oncall.sub,
        ]
        for p in report.people
    )
    return to_csv(header, rows)


def noisy_csv(report: Report) -> str:
    """The top-N lists: ``kind`` (rule, host, role), rank, name, alerts."""
    v = report.volume
    lists = (("rule", v.top_rules), ("host", v.top_hosts), ("role", v.top_roles))
    rows = ([kind, rank, r.name, r.count] for kind, ranked in lists for rank, r in enumerate(ranked, 1))
    return to_csv(["kind", "rank", "name", "alerts"], rows)


def response_csv(report: Report) -> str:
    """MTTA and MTTR: count, missing, mean, median, p90 (seconds)."""
    r = report.response
    rows = (
        [name, s.count, s.missing, s.mean, s.median, s.p90]
        for name, s in (("mtta", r.mtta), ("mttr", r.mttr))
    )
    return to_csv(["metric", "count", "missing", "mean_s", "median_s", "p90_s"], rows)


def table_csv(report: Report, table: str) -> str:
    """The CSV of one of :data:`TABLES`. Raises ValueError for another name."""
    writers = {"volume": volume_csv, "people": people_csv, "noisy": noisy_csv, "response": response_csv}
    if table not in writers:
        raise ValueError(f"unknown report table {table!r} (expected one of: {', '.join(TABLES)})")
    return writers[table](report)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
