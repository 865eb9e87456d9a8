"""Reports for managers: alert volume, noise, interruptions, response times, on-call load.

Place in the flow: a reader of what the engine stored. :mod:`.query` turns the incident database
(incidents, alerts and their state changes, suppressions, the outbox) into the plain records of
:mod:`.records`; everything else is pure computation over those records:

* :mod:`.volume` alerts, incidents, pages, compression and suppressions per day or week; top-N;
* :mod:`.interruptions` pages per person classified as business, off or sleep hours;
* :mod:`.response` MTTA/MTTR (mean, median, p90) and on-call hours per person;
* :mod:`.report` the whole report for one range, assembled from the parts above;
* :mod:`.charts` server-side SVG charts, :mod:`.csv_export` CSV, :mod:`.weekly` the weekly mail.

The web UI and ``alerter report`` render the same :class:`~alerter.reports.report.Report`.
"""

from alerter.reports.records import AlertFiring, IncidentRow, PageRow, ReportData, SuppressionRow
from alerter.reports.report import PersonLoad, Report, build_report

__all__ = [
    "AlertFiring",
    "IncidentRow",
    "PageRow",
    "PersonLoad",
    "Report",
    "ReportData",
    "SuppressionRow",
    "build_report",
]
