"""The standard charts of a :class:`~alerter.reports.report.Report`, as SVG strings.

Place in the flow: :mod:`.report` -> **here** (using :mod:`.charts`) -> the weekly mail and the web
UI, which show the same pictures. Each chart has a stable ``id`` (``report-volume``, ...), so a page
holding several stays valid HTML and its ``aria-labelledby`` references resolve.
"""

from __future__ import annotations

from alerter.reports.charts import bar_chart, line_chart, stacked_bar_chart
from alerter.reports.report import Report
from alerter.reports.volume import Bucket, VolumeRow

CHARTS = ("volume", "compression", "interruptions", "oncall", "suppressed")
"""The keys of :func:`report_charts`, in the order a page shows them."""


def bucket_label(row: VolumeRow, by: Bucket) -> str:
    """``Mon 16`` for a day, ``16 Nov`` (the bucket's first day) for a week."""
    return row.start.strftime("%a %d" if by is Bucket.DAY else "%d %b")


def report_charts(report: Report, *, prefix: str = "report") -> dict[str, str]:
    """Every standard chart of ``report``, keyed as :data:`CHARTS`; ids start with ``prefix``."""
    v, by = report.volume, report.volume.by
    labels = [bucket_label(r, by) for r in v.rows]
    people = [p for p in report.people if p.interruptions.total]
    staffed = [p for p in report.people if p.oncall is not None and p.oncall.total]
    reasons = sorted(v.total.suppressed)
    return {
        "volume": line_chart(
            f"Alerts, incidents and pages per {by.value}", labels,
            [("alerts", [r.alerts for r in v.rows]), ("incidents", [r.incidents for r in v.rows]),
             ("pages", [r.pages for r in v.rows])],
            x_label=by.value, y_label="count", chart_id=f"{prefix}-volume",
        ),
        "compression": bar_chart(
            f"Alerts per page, per {by.value}", labels, [r.compression or 0 for r in v.rows],
            x_label=by.value, y_label="alerts per page", chart_id=f"{prefix}-compression",
        ),
        "interruptions": stacked_bar_chart(
            "Interruptions per person", [p.name for p in people],
            [("business hours", [p.interruptions.business for p in people]),
             ("off hours", [p.interruptions.off for p in people]),
             ("sleep hours", [p.interruptions.sleep for p in people])],
            x_label="person", y_label="interruptions", unit="interruptions", chart_id=f"{prefix}-interruptions",
        ),
        "oncall": stacked_bar_chart(
            "On-call hours per person", [p.name for p in staffed],
            [("primary", [p.oncall.primary if p.oncall else 0 for p in staffed]),
             ("sub", [p.oncall.sub if p.oncall else 0 for p in staffed])],
            x_label="person", y_label="hours", unit="h", chart_id=f"{prefix}-oncall",
        ),
        "suppressed": bar_chart(
            "Suppressed by reason", reasons, [v.total.suppressed[r] for r in reasons],
            x_label="reason", y_label="suppressed", unit="suppressed", chart_id=f"{prefix}-suppressed",
        ),
    }  # fmt: skip
