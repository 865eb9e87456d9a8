"""The report provider over the incident database: W2's ``alerter.reports`` behind the web's
:class:`~alerter.web.context.ReportProvider` protocol.

Place in the flow: incident store -> :func:`alerter.reports.query.read_report_data` ->
:func:`alerter.reports.report.build_report` -> the report page, its charts
(:func:`alerter.reports.weekly.charts`, the same SVG the weekly mail shows) and CSV
(:func:`alerter.reports.csv_export.table_csv`). The on-call spec, when there is one, adds names,
timezones (for the interruption classes) and on-call hours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from alerter.config.oncall import OnCallSpec
from alerter.incidents.store import IncidentStore
from alerter.reports.csv_export import table_csv
from alerter.reports.query import read_report_data
from alerter.reports.report import Report, build_report
from alerter.reports.volume import Bucket
from alerter.reports.weekly import charts

UTC = ZoneInfo("UTC")


class StoreReportProvider:
    """Reports read from ``store``, in ``zone`` (UTC by default)."""

    def __init__(
        self,
        store: IncidentStore,
        oncall: Callable[[], OnCallSpec | None] = lambda: None,
        *,
        zone: ZoneInfo = UTC,
    ) -> None:
        self._store = store
        self._oncall = oncall
        self._zone = zone

    def report(self, start: float, end: float, by: Bucket) -> Report:
        data = read_report_data(self._store, start, end)
        return build_report(data, start, end, by=by, zone=self._zone, spec=self._oncall())

    def charts(self, report: Report) -> Mapping[str, str]:
        return {name: str(svg) for name, svg in charts(report).items()}

    def csv(self, report: Report, table: str) -> str:
        return table_csv(report, table)


__all__ = ["StoreReportProvider"]
