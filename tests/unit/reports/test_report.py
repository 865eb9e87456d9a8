"""The assembled report: people from pages and the rotation, names, zones, on-call hours, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alerter.config.oncall import OnCallSpec, parse_oncall
from alerter.reports.interruptions import Interruptions
from alerter.reports.records import IncidentRow, PageRow, ReportData
from alerter.reports.report import build_report, report_to_dict
from alerter.reports.response import OnCallHours
from alerter.reports.volume import Bucket

ONCALL = """
rotation:
  name: team
  start: 2026-11-02
  handoff: {weekday: monday, time: "00:00", timezone: UTC}
  order: [anna, grace]
members:
  - {id: anna, name: Anna Becker, email: anna@example.com, pagerduty_user_id: PANNA, timezone: Europe/Berlin}
  - {id: grace, name: Grace Miller, email: grace@example.com, pagerduty_user_id: PGRACE, timezone: America/New_York}
"""


def spec() -> OnCallSpec:
    loaded, problems = parse_oncall(ONCALL, "oncall.yaml")
    assert loaded is not None, [str(p) for p in problems]
    return loaded


MON = datetime(2026, 11, 16, tzinfo=UTC).timestamp()
WEEK = 7 * 86400


def test_people_get_names_their_own_timezone_and_on_call_hours() -> None:
    at = datetime(2026, 11, 16, 17, 30, tzinfo=UTC).timestamp()  # 18:30 Berlin, 12:30 New York
    data = ReportData(
        incidents=(IncidentRow(1, "a", at),),
        pages=(
            PageRow(at, "a", "anna", "pagerduty", at + 1),
            PageRow(at, "a", "grace", "pagerduty", at + 1),
            PageRow(at + 5, "a", "", "email", None),
            PageRow(MON + WEEK, "b", "anna", "pagerduty", MON + WEEK),  # after the range
        ),
    )
    report = build_report(data, MON, MON + WEEK, by=Bucket.WEEK, spec=spec())
    people = {p.person: p for p in report.people}
    assert list(people) == ["(email)", "anna", "grace"]
    assert (people["anna"].name, people["anna"].pages, people["anna"].interruptions) == (
        "Anna Becker", 1, Interruptions(off=1)
    )  # fmt: skip
    assert people["grace"].interruptions == Interruptions(business=1)
    assert people["(email)"].interruptions == Interruptions()  # never delivered
    # week 2 from the 2 Nov epoch: anna primary (slot 2 mod 2 = 0), grace sub
    assert people["anna"].oncall == OnCallHours(primary=168.0, sub=0.0)
    assert people["grace"].oncall == OnCallHours(primary=0.0, sub=168.0)
    assert people["(email)"].oncall == OnCallHours()
    assert [r.pages for r in report.volume.rows] == [3]


def test_without_a_rotation_people_are_those_paged_and_hours_are_unknown() -> None:
    data = ReportData(pages=(PageRow(MON + 60, "a", "zoe", "pagerduty", MON + 61),))
    report = build_report(data, MON, MON + WEEK)
    assert [(p.person, p.name, p.oncall) for p in report.people] == [("zoe", "zoe", None)]


def test_the_json_form_holds_derived_figures_and_iso_instants() -> None:
    data = ReportData(
        incidents=(IncidentRow(1, "a", MON + 1, acked_at=MON + 31),),
        pages=(PageRow(MON + 1, "a", "anna", "pagerduty", MON + 2),),
    )
    doc = json.loads(json.dumps(report_to_dict(build_report(data, MON, MON + 86400, spec=spec()))))
    assert doc["start"] == "2026-11-16T00:00:00+00:00"
    assert doc["total"] == {
        "start": "2026-11-16T00:00:00+00:00", "end": "2026-11-17T00:00:00+00:00",
        "alerts": 0, "incidents": 1, "pages": 1, "compression": 0.0, "suppressed": {},
    }  # fmt: skip
    assert doc["response"]["mtta"] == {"count": 1, "missing": 0, "mean": 30.0, "median": 30.0, "p90": 30.0}
    assert doc["response"]["mttr"]["missing"] == 1
    assert doc["people"][0] == {
        "person": "anna", "name": "Anna Becker", "pages": 1,
        "interruptions": {"total": 1, "business": 0, "off": 0, "sleep": 1},
        "oncall_hours": {"primary": 24.0, "sub": 0.0},
    }  # fmt: skip
