"""The standard report charts: one per key, stable ids, labels per bucket kind, bars per person."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from alerter.config.oncall import parse_oncall
from alerter.reports.figures import CHARTS, report_charts
from alerter.reports.records import AlertFiring, PageRow, ReportData, SuppressionRow
from alerter.reports.report import build_report
from alerter.reports.volume import Bucket

SVG = "{http://www.w3.org/2000/svg}"
MON = datetime(2026, 11, 16, tzinfo=UTC).timestamp()
ONCALL = """
rotation:
  name: team
  start: 2026-11-02
  handoff: {weekday: monday, time: "00:00", timezone: UTC}
  order: [anna, ben, carl]
members:
  - {id: anna, name: Anna, email: anna@example.com, pagerduty_user_id: PANNA, timezone: UTC}
  - {id: ben, name: Ben, email: ben@example.com, pagerduty_user_id: PBEN, timezone: UTC}
  - {id: carl, name: Carl, email: carl@example.com, pagerduty_user_id: PCARL, timezone: UTC}
"""

DATA = ReportData(
    firings=(AlertFiring(MON + 10, "f", "disk"), AlertFiring(MON + 8 * 86400, "g", "cpu")),
    suppressions=(SuppressionRow(MON, "storm"), SuppressionRow(MON, "policy")),
    pages=(PageRow(MON + 10, "a", "anna", "pagerduty", MON + 11),),
)


def bars(svg: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(svg).iter(f"{SVG}rect") if e.get("class") == "bar"]


def test_every_chart_is_there_with_a_stable_id_and_well_formed() -> None:
    spec, _ = parse_oncall(ONCALL, "oncall.yaml")
    charts = report_charts(build_report(DATA, MON, MON + 14 * 86400, spec=spec), prefix="x")
    assert tuple(charts) == CHARTS
    assert [ET.fromstring(svg).get("id") for svg in charts.values()] == [f"x-{name}" for name in CHARTS]
    assert len(bars(charts["interruptions"])) == 1  # only anna was interrupted
    # weeks 2 and 3 of the order: carl primary + anna sub, then anna primary + ben sub
    assert len(bars(charts["oncall"])) == 4
    assert len(bars(charts["suppressed"])) == 2


def test_labels_name_days_or_the_first_day_of_each_week() -> None:
    daily = report_charts(build_report(DATA, MON, MON + 3 * 86400))
    weekly = report_charts(build_report(DATA, MON, MON + 14 * 86400, by=Bucket.WEEK))
    ticks = [
        [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("class") == "x-tick"]
        for svg in (daily["volume"], weekly["volume"])
    ]
    assert ticks == [["Mon 16", "Tue 17", "Wed 18"], ["16 Nov", "23 Nov"]]
    assert ET.fromstring(weekly["volume"]).findtext(f"{SVG}title") == "Alerts, incidents and pages per week"
