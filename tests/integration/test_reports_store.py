"""Reports over a real incident store (SQLite AND PostgreSQL): a small history built through
``IncidentStore`` on a FakeClock (observe, ack, resolve, suppress, outbox pages), then the report's
numbers checked exactly, through the pure API and through ``alerter report``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from alerter.clock import FakeClock
from alerter.config.oncall import OnCallSpec, parse_oncall
from alerter.incidents.lifecycle import LifecyclePolicy
from alerter.incidents.records import AlertObservation
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import IncidentEvent, SuppressionReason
from alerter.model import Severity
from alerter.notify.outbox import Outbox, enqueue
from alerter.notify.pager import PageAction, PageRequest
from alerter.reports.interruptions import Interruptions
from alerter.reports.query import read_report_data
from alerter.reports.report import Report, build_report
from alerter.reports.response import OnCallHours, Stats
from alerter.reports.volume import Ranked

pytestmark = pytest.mark.timeout(60)

POLICY = LifecyclePolicy(resolve_delay=60, reopen_window=600)
MON = datetime(2026, 11, 16, tzinfo=UTC).timestamp()
WEEK_END = MON + 7 * 86400
HOUR, DAY = 3600, 86400

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


def obs(fp: str, rule: str, host: str, role: str, state: Severity, at: float, group: str) -> AlertObservation:
    return AlertObservation(
        fingerprint=fp,
        rule=rule,
        state=state,
        at=at,
        group_key=group,
        title=f"{rule} on {group}",
        host=host,
        labels={"role": role, "env": "prod"},
    )


def page(store: IncidentStore, key: str, transition: str, target: str, now: float, *, channel: str = "pagerduty",
         action: PageAction = PageAction.TRIGGER, responder: str | None = None) -> None:  # fmt: skip
    """Queue a page as the dispatcher does: ``target`` set for e-mail, the person named in
    ``custom_details.responder`` for channels that address them themselves (PagerDuty)."""
    details = {} if responder is None else {"responder": responder}
    request = PageRequest(action, key, summary=key, source="alerter", custom_details=details)
    with store.transaction() as tx:
        assert enqueue(tx.session, request, transition=transition, channel=channel, now=now, target=target)


def deliver_all(store: IncidentStore, now: float) -> None:
    box = Outbox(store)
    for entry in box.claim(now, 100, lease=30):
        assert box.mark_delivered(entry.id, now + 5)
    assert box.pending() == []


def build_history(store: IncidentStore) -> None:
    """The week of 16 Nov 2026, in UTC:

    * Mon 09:00 disk_full on db-1 opens A; db-2 joins 30 s later; anna (PagerDuty) and the e-mail
      channel are paged; anna acks 2 min after the open (and an acknowledge notification goes out,
      which pages nobody); all ok at 09:10, anna resolves at 09:15.
    * Tue 23:00 disk_full on db-1 again: a new incident B (after the reopen window); grace is paged
      and re-notified 30 s later. B stays open, never acked.
    * Wed 10:00 cpu_high on web-1 opens C inside maintenance: suppressed, no page; resolved by hand
      an hour later without an ack.
    """
    clock = FakeClock(MON + 9 * HOUR)
    a = store.observe(obs("fp1", "disk_full", "db-1", "db", Severity.CRITICAL, clock.now(), "db"), POLICY)
    assert a.key is not None
    page(store, a.key, "opened#0", "anna", clock.now())
    page(store, a.key, "opened#0", "", clock.now(), channel="email")
    deliver_all(store, clock.now())
    clock.advance(30)
    store.observe(obs("fp2", "disk_full", "db-2", "db", Severity.CRITICAL, clock.now(), "db"), POLICY)
    clock.set(MON + 9 * HOUR + 120)
    store.acknowledge(a.key, "anna", clock.now())
    page(store, a.key, "acknowledged#0", "anna", clock.now(), action=PageAction.ACKNOWLEDGE)
    deliver_all(store, clock.now())
    clock.set(MON + 9 * HOUR + 600)
    for fp, host in (("fp1", "db-1"), ("fp2", "db-2")):
        store.observe(obs(fp, "disk_full", host, "db", Severity.OK, clock.now(), "db"), POLICY)
    clock.set(MON + 9 * HOUR + 900)
    store.resolve(a.key, "anna", clock.now())

    clock.set(MON + DAY + 23 * HOUR)
    b = store.observe(obs("fp1", "disk_full", "db-1", "db", Severity.CRITICAL, clock.now(), "db"), POLICY)
    assert b.key is not None and b.key != a.key
    page(store, b.key, "opened#0", "", clock.now(), responder="Grace Miller (grace)")
    deliver_all(store, clock.now())
    clock.advance(30)
    page(store, b.key, "renotify#1", "", clock.now(), responder="Grace Miller (grace)")
    deliver_all(store, clock.now())

    clock.set(MON + 2 * DAY + 10 * HOUR)
    c = store.observe(obs("fp3", "cpu_high", "web-1", "web", Severity.WARNING, clock.now(), "web"), POLICY)
    assert c.key is not None
    with store.transaction() as tx:
        tx.record_suppression(SuppressionReason.MAINTENANCE, clock.now(), "window 7", incident=c.key)
    clock.advance(HOUR)
    store.resolve(c.key, "ben", clock.now())


@pytest.fixture
def store(store_url: str) -> Iterator[IncidentStore]:
    with IncidentStore(store_url) as s:
        build_history(s)
        yield s


def report_of(store: IncidentStore) -> Report:
    return build_report(read_report_data(store, MON, WEEK_END), MON, WEEK_END, spec=spec())


def test_volume_per_day_is_exact(store: IncidentStore) -> None:
    report = report_of(store)
    days = [
        (r.start.strftime("%a"), r.alerts, r.incidents, r.pages, dict(r.suppressed))
        for r in report.volume.rows
    ]
    assert days == [
        ("Mon", 2, 1, 2, {}),
        ("Tue", 1, 1, 2, {}),
        ("Wed", 1, 1, 0, {"maintenance": 1}),
        ("Thu", 0, 0, 0, {}),
        ("Fri", 0, 0, 0, {}),
        ("Sat", 0, 0, 0, {}),
        ("Sun", 0, 0, 0, {}),
    ]
    total = report.volume.total
    assert (total.alerts, total.incidents, total.pages, total.compression) == (4, 3, 4, 1.0)
    assert report.volume.top_rules == (Ranked("disk_full", 3), Ranked("cpu_high", 1))
    assert report.volume.top_hosts == (Ranked("db-1", 2), Ranked("db-2", 1), Ranked("web-1", 1))
    assert report.volume.top_roles == (Ranked("db", 3), Ranked("web", 1))


def test_response_times_are_exact(store: IncidentStore) -> None:
    response = report_of(store).response
    assert response.incidents == 3
    assert response.mtta == Stats(count=1, missing=2, mean=120.0, median=120.0, p90=120.0)
    assert response.mttr == Stats(count=2, missing=1, mean=2250.0, median=2250.0, p90=3600.0)


def test_people_pages_interruptions_and_hours_are_exact(store: IncidentStore) -> None:
    people = {p.person: p for p in report_of(store).people}
    assert {k: (p.pages, p.interruptions) for k, p in people.items()} == {
        "(email)": (1, Interruptions(business=1)),  # UTC 09:00
        "anna": (1, Interruptions(business=1)),  # Berlin 10:00
        "grace": (2, Interruptions(off=1)),  # New York 18:00, the re-notify merged
    }
    assert people["anna"].oncall == OnCallHours(primary=168.0)
    assert people["grace"].oncall == OnCallHours(sub=168.0)


def test_a_range_reads_only_its_own_rows(store: IncidentStore) -> None:
    data = read_report_data(store, MON + DAY, MON + 2 * DAY)
    assert [f.at for f in data.firings] == [MON + DAY + 23 * HOUR]
    assert [(p.person, p.at) for p in data.pages] == [
        ("grace", MON + DAY + 23 * HOUR),
        ("grace", MON + DAY + 23 * HOUR + 30),
    ]
    assert len(data.incidents) == 1 and data.suppressions == ()


def test_without_an_outbox_table_pages_come_from_the_timeline(store: IncidentStore) -> None:
    with store.transaction() as tx:
        incident = tx.open_incidents()[0]
        tx.session.add(IncidentEvent(incident_id=incident.id, at=MON + 3 * DAY, kind="paged", actor="grace"))
        tx.session.add(
            IncidentEvent(
                incident_id=incident.id,
                at=MON + 3 * DAY + 10,
                kind="escalated",
                detail="sub Anna Becker (anna) via email: not acknowledged in 10m",
            )
        )
        tx.session.add(
            IncidentEvent(incident_id=incident.id, at=MON + 3 * DAY + 20, kind="acknowledged", actor="x")
        )
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE outbox"))
    pages = read_report_data(store, MON, WEEK_END).pages
    assert [(p.person, p.channel, p.at, p.delivered_at, p.incident_key) for p in pages] == [
        ("grace", "timeline", MON + 3 * DAY, MON + 3 * DAY, incident.key),
        ("anna", "email", MON + 3 * DAY + 10, MON + 3 * DAY + 10, incident.key),
    ]


def test_the_command_prints_the_same_figures(store: IncidentStore, store_url: str, tmp_path: Path) -> None:
    from alerter.cli.report import report_command

    oncall = tmp_path / "oncall.yaml"
    oncall.write_text(ONCALL)
    command = report_command(clock=FakeClock(MON + 8 * DAY))  # default range: last week
    result = CliRunner().invoke(command, ["--db", store_url, "--format", "json", "--oncall", str(oncall)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["start"], doc["end"]) == ("2026-11-16T00:00:00+00:00", "2026-11-23T00:00:00+00:00")
    assert {k: doc["total"][k] for k in ("alerts", "incidents", "pages", "compression")} == {
        "alerts": 4, "incidents": 3, "pages": 4, "compression": 1.0,
    }  # fmt: skip
    assert doc["response"]["mttr"] == {
        "count": 2,
        "missing": 1,
        "mean": 2250.0,
        "median": 2250.0,
        "p90": 3600.0,
    }

    table = CliRunner().invoke(command, ["--db", store_url, "--by", "week", "--top", "1"])
    assert table.exit_code == 0, table.output
    lines = [line.split() for line in table.output.splitlines()]
    assert ["TOTAL", "4", "3", "4", "1", "1"] in lines  # alerts, incidents, pages, per page, maintenance
    assert ["grace", "2", "1", "0", "0", "1", "-"] in lines  # no --oncall: her 18:00 is 23:00 UTC, sleep
    assert [line for line in lines if line[:1] in (["rule"], ["host"], ["role"])] == [
        ["rule", "disk_full", "3"], ["host", "db-1", "2"], ["role", "db", "3"],
    ]  # fmt: skip

    csv_out = CliRunner().invoke(command, ["--db", store_url, "--format", "csv", "--table", "people",
                                           "--oncall", str(oncall)])  # fmt: skip
    assert csv_out.exit_code == 0, csv_out.output
    assert b"grace,Grace Miller,2,1,0,1,0,0.0,168.0\r\n" in csv_out.stdout_bytes  # .output folds CRLF
