"""alerter.selfmetrics: per-interval lines from events, batches, rule statuses, the source and the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import pytest

from alerter.clock import FakeClock
from alerter.config.oncall import parse_oncall
from alerter.errors import SourceUnavailable
from alerter.evaluate.cycle import RuleStatus
from alerter.incidents.lifecycle import Decision, IncidentSnapshot, IncidentStatus, Transition
from alerter.incidents.records import Applied
from alerter.incidents.suppression import AlertSuppression, Page, PagingDecision, Suppressed
from alerter.model import ATTR_FINGERPRINT, ATTR_RULE, Event, Severity
from alerter.pipeline import BatchResult
from alerter.selfmetrics import (
    Hours,
    OutboxStats,
    PageRecipient,
    SelfMetrics,
    hours_of,
    oncall_recipients,
    outbox_stats,
)
from alerter.source import StatementResult

T0 = 1_767_600_000.0  # Monday 2026-01-05 08:00 UTC, a multiple of 60
BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
HOUR = 3600.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ListWriter:
    """A MetricWriter keeping what it was given; ``fail`` makes the next writes raise."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.fail = False

    async def write(self, lines: Sequence[str]) -> None:
        if self.fail:
            raise SourceUnavailable("influxdb: write: connection refused")
        self.lines.extend(lines)


def event(t: float, state: str, fp: str, rule: str = "cpu_high") -> Event:
    return Event(
        host="h", service=rule, state=state, time=t, attributes={ATTR_RULE: rule, ATTR_FINGERPRINT: fp}
    )


def decision(key: str, status: IncidentStatus, *transitions: Transition, at: float) -> Decision:
    inc = IncidentSnapshot(key, f"group-{key}", "t", status, Severity.CRITICAL, T0, at)
    return Decision(inc, (), transitions, at)


def lines_of(lines: list[str], measurement: str) -> list[str]:
    return [
        line for line in lines if line.startswith(measurement + ",") or line.startswith(measurement + " ")
    ]


@pytest.mark.parametrize(
    ("local", "zone", "expected"),
    [
        ("2026-01-05T09:00", BERLIN, Hours.BUSINESS),  # Monday morning
        ("2026-01-09T17:59", BERLIN, Hours.BUSINESS),  # Friday, a minute before six
        ("2026-01-05T18:00", BERLIN, Hours.OFF),  # weekday evening
        ("2026-01-05T21:59", BERLIN, Hours.OFF),
        ("2026-01-05T22:00", BERLIN, Hours.SLEEP),
        ("2026-01-06T07:59", BERLIN, Hours.SLEEP),
        ("2026-01-06T08:00", BERLIN, Hours.BUSINESS),
        ("2026-01-10T12:00", BERLIN, Hours.OFF),  # Saturday daytime
        ("2026-01-11T07:00", BERLIN, Hours.SLEEP),  # Sunday early
        ("2026-01-05T09:00", NEW_YORK, Hours.BUSINESS),
    ],
)
def test_hours_follow_pagerdutys_interruption_definitions_in_the_persons_zone(
    local: str, zone: ZoneInfo, expected: Hours
) -> None:
    from datetime import datetime

    at = datetime.fromisoformat(local).replace(tzinfo=zone).timestamp()
    assert hours_of(at, zone) is expected


def test_one_instant_is_business_in_berlin_and_sleep_in_new_york() -> None:
    at = T0 + 1 * HOUR  # 10:00 Berlin, 04:00 New York
    assert (hours_of(at, BERLIN), hours_of(at, NEW_YORK)) == (Hours.BUSINESS, Hours.SLEEP)


def test_events_are_counted_per_interval_of_their_own_time_and_alerts_follow_transitions() -> None:
    clock = FakeClock(T0)
    metrics = SelfMetrics(ListWriter(), clock, interval=60)
    for e in [
        event(T0 + 10, "critical", "a"),
        event(T0 + 10, "ok", "b"),
        event(T0 + 40, "critical", "a"),  # still firing: not a new alert
        event(T0 + 70, "warning", "c"),
        event(T0 + 70, "ok", "a"),
    ]:
        metrics(e)

    lines = metrics.collect(T0 + 120)

    assert lines_of(lines, "alerter_events") == [
        f"alerter_events,state=ok count=1i,rate={1 / 60!r} {int(T0)}",
        f"alerter_events,state=warning count=0i,rate=0.0 {int(T0)}",
        f"alerter_events,state=critical count=2i,rate={2 / 60!r} {int(T0)}",
        f"alerter_events,state=ok count=1i,rate={1 / 60!r} {int(T0) + 60}",
        f"alerter_events,state=warning count=1i,rate={1 / 60!r} {int(T0) + 60}",
        f"alerter_events,state=critical count=0i,rate=0.0 {int(T0) + 60}",
    ]
    # active is the state when the interval ended: a critical at T0+60, c warning at T0+120
    assert lines_of(lines, "alerter_alerts") == [
        f"alerter_alerts,state=warning active=0i,new=0i {int(T0)}",
        f"alerter_alerts,state=critical active=1i,new=1i {int(T0)}",
        f"alerter_alerts,state=warning active=1i,new=1i {int(T0) + 60}",
        f"alerter_alerts,state=critical active=0i,new=0i {int(T0) + 60}",
    ]
    assert lines_of(lines, "alerter_rule") == [
        f"alerter_rule,rule=cpu_high evaluations=0i,errors=0i,fired=1i {int(T0)}",
        f"alerter_rule,rule=cpu_high evaluations=0i,errors=0i,fired=1i {int(T0) + 60}",
    ]


def test_an_interval_is_written_only_once_it_has_ended() -> None:
    clock = FakeClock(T0)
    metrics = SelfMetrics(ListWriter(), clock, interval=60)
    metrics(event(T0 + 10, "critical", "a"))

    assert metrics.collect(T0 + 59.9) == []
    assert lines_of(metrics.collect(T0 + 60), "alerter_volume") == [
        f"alerter_volume events=1i,alerts=1i,incidents=0i,pages=0i,suppressed=0i {int(T0)}"
    ]
    assert metrics.collect(T0 + 60) == []


def test_a_quiet_interval_keeps_the_gauges_of_the_one_before() -> None:
    clock = FakeClock(T0)
    metrics = SelfMetrics(ListWriter(), clock, interval=60)
    metrics(event(T0 + 10, "critical", "a"))
    metrics(event(T0 + 130, "ok", "a"))  # nothing at all in [T0+60, T0+120)

    lines = lines_of(metrics.collect(T0 + 180), "alerter_alerts,state=critical")

    assert [line.split(" ", 1)[1] for line in lines] == [
        f"active=1i,new=1i {int(T0)}",
        f"active=1i,new=0i {int(T0) + 60}",
        f"active=0i,new=0i {int(T0) + 120}",
    ]


def test_batches_give_incidents_pages_by_person_and_hours_and_suppressions_once_per_alert() -> None:
    clock = FakeClock(T0)
    people = {"inc-1": PageRecipient("anna", "pagerduty", "Europe/Berlin")}
    metrics = SelfMetrics(
        ListWriter(),
        clock,
        interval=60,
        recipients=lambda d: [people[d.incident_key]] if d.incident_key in people else [],
    )
    opened = decision("inc-1", IncidentStatus.TRIGGERED, Transition.OPENED, at=T0 + 30)
    stg = decision("inc-2", IncidentStatus.TRIGGERED, Transition.OPENED, at=T0 + 30)
    maint = AlertSuppression("fp-9", "disk", Suppressed.MAINTENANCE, T0 + 30)
    metrics.observe_batch(
        BatchResult(
            T0 + 30,
            (Applied(1, "inc-1", opened), Applied(2, "inc-2", stg), Applied(None, None, None)),
            (
                PagingDecision(1, "inc-1", Transition.OPENED, T0 + 30, Page(Severity.CRITICAL, "t")),
                PagingDecision(2, "inc-2", Transition.OPENED, T0 + 30, Suppressed.POLICY),
                PagingDecision(3, "inc-3", Transition.OPENED, T0 + 30, Page(Severity.CRITICAL, "t")),
            ),
            (maint,),
        )
    )
    resolved = decision("inc-1", IncidentStatus.RESOLVED, Transition.RESOLVED_AUTO, at=T0 + 90)
    metrics.observe_batch(BatchResult(T0 + 90, (Applied(1, "inc-1", resolved),), (), (maint,)))

    lines = metrics.collect(T0 + 120)

    t0, t1 = int(T0), int(T0) + 60
    assert lines_of(lines, "alerter_incidents") == [
        f"alerter_incidents opened=2i,reopened=0i,resolved=0i,open=2i {t0}",
        f"alerter_incidents opened=0i,reopened=0i,resolved=1i,open=1i {t1}",
    ]
    # 08:00:30 UTC is 09:00:30 in Berlin (business); the unrouted page is classified in UTC
    assert lines_of(lines, "alerter_pages") == [
        f"alerter_pages,channel=pagerduty,hours=business,person=anna count=1i {t0}",
        f"alerter_pages,channel=none,hours=business,person=unrouted count=1i {t0}",
    ]
    assert [line for line in lines_of(lines, "alerter_suppressed") if "count=0i" not in line] == [
        f"alerter_suppressed,reason=maintenance count=1i {t0}",  # not again at T0+90
        f"alerter_suppressed,reason=policy count=1i {t0}",
    ]
    assert len(lines_of(lines, "alerter_suppressed")) == 2 * len(Suppressed)


def test_rule_statuses_are_filed_under_their_last_evaluation_with_new_evaluations_and_errors() -> None:
    clock = FakeClock(T0)
    statuses: list[RuleStatus] = []
    metrics = SelfMetrics(ListWriter(), clock, interval=60, rules=lambda: statuses)

    def status(evaluations: int, failures: int, at: float, error: str | None = None) -> RuleStatus:
        return RuleStatus(
            "disk_full", "host", 30.0, "rules/host.yaml:3:7", evaluations, failures, at, 0.0125, 12, 2, error
        )

    statuses[:] = [status(2, 0, T0 + 30)]
    metrics.roll(T0 + 45)
    statuses[:] = [status(4, 1, T0 + 90, "influxdb: timeout")]

    lines = lines_of(metrics.collect(T0 + 120), "alerter_rule")

    assert lines == [
        f"alerter_rule,group=host,rule=disk_full evaluations=2i,errors=0i,fired=0i,duration_ms=12.5,series=12i,firing=2i {int(T0)}",
        f"alerter_rule,group=host,rule=disk_full evaluations=2i,errors=1i,fired=0i,duration_ms=12.5,series=12i,firing=2i {int(T0) + 60}",
    ]


def test_outbox_is_sampled_when_an_interval_closes() -> None:
    clock = FakeClock(T0)
    depth = [OutboxStats(3, 1)]
    metrics = SelfMetrics(ListWriter(), clock, interval=60, outbox=lambda: depth[0])

    assert lines_of(metrics.collect(T0 + 60), "alerter_outbox") == [
        f"alerter_outbox depth=3i,failed=1i {int(T0)}"
    ]


class FlakySource:
    """A MetricSource answering one rejected statement, or failing when ``down``."""

    def __init__(self) -> None:
        self.down = False

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        if self.down:
            raise SourceUnavailable("influxdb: connection refused")
        return [StatementResult((), error="database not found") for _ in statements]


@pytest.mark.anyio
async def test_the_counting_source_counts_round_trips_failures_and_rejected_statements() -> None:
    clock = FakeClock(T0)
    inner = FlakySource()
    metrics = SelfMetrics(ListWriter(), clock, interval=60)
    source = metrics.source(inner)

    assert await source.query(["SELECT 1", "SELECT 2"], now=T0 + 5) == [
        StatementResult((), error="database not found"),
        StatementResult((), error="database not found"),
    ]
    inner.down = True
    with pytest.raises(SourceUnavailable):
        await source.query(["SELECT 1"], now=T0 + 35)

    assert lines_of(metrics.collect(T0 + 60), "alerter_source") == [
        f"alerter_source queries=2i,errors=1i,statement_errors=2i,write_errors=0i {int(T0)}"
    ]


@pytest.mark.anyio
async def test_a_failed_write_keeps_the_lines_and_is_counted_in_the_next_interval() -> None:
    clock = FakeClock(T0 + 60)
    writer = ListWriter()
    metrics = SelfMetrics(writer, clock, interval=60)
    writer.fail = True
    clock.set(T0 + 120)

    assert await metrics.tick() == 0
    assert writer.lines == [] and metrics.pending > 0
    writer.fail = False
    clock.set(T0 + 180)
    written = await metrics.tick()

    assert written == len(writer.lines) > 0 and metrics.pending == 0
    assert lines_of(writer.lines, "alerter_source") == [
        f"alerter_source queries=0i,errors=0i,statement_errors=0i,write_errors=0i {int(T0) + 60}",
        f"alerter_source queries=0i,errors=0i,statement_errors=0i,write_errors=1i {int(T0) + 120}",
    ]


@pytest.mark.anyio
async def test_pending_lines_are_bounded_while_influxdb_is_down() -> None:
    clock = FakeClock(T0)
    writer = ListWriter()
    writer.fail = True
    metrics = SelfMetrics(writer, clock, interval=60, max_pending=20)
    clock.set(T0 + 600)

    await metrics.tick()

    assert metrics.pending == 20 and metrics.dropped_lines > 0


def test_oncall_recipients_name_the_primary_in_their_own_zone() -> None:
    spec, problems = parse_oncall(ONCALL, "oncall.yaml")
    assert spec is not None, problems
    recipients = oncall_recipients(spec)

    def at(t: float) -> PagingDecision:
        return PagingDecision(1, "k", Transition.OPENED, t, Page(Severity.CRITICAL, "t"))

    assert recipients(at(T0)) == ()  # before the first handoff (10:00 Berlin = 09:00 UTC)
    assert recipients(at(T0 + 2 * HOUR)) == (PageRecipient("grace", "pagerduty", "America/New_York"),)


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval must be > 0, got 0"):
        SelfMetrics(ListWriter(), FakeClock(T0), interval=0)


ONCALL = """\
rotation:
  name: platform
  start: 2026-01-05
  handoff: {weekday: monday, time: "10:00", timezone: Europe/Berlin}
  order: [grace, anna]
  sub_offset: 1
members:
  - {id: anna, name: Anna B, email: anna@example.com, pagerduty_user_id: PANNA01, timezone: Europe/Berlin}
  - {id: grace, name: Grace M, email: grace@example.com, pagerduty_user_id: PGRACE7, timezone: America/New_York}
"""


@pytest.mark.anyio
async def test_tick_soon_writes_in_the_background_and_aclose_waits_for_it() -> None:
    clock = FakeClock(T0)
    writer = ListWriter()
    metrics = SelfMetrics(writer, clock, interval=60)
    metrics(event(T0 + 5, "critical", "a"))
    clock.set(T0 + 60)

    metrics.tick_soon()
    metrics.tick_soon()  # the first write is still running: nothing new starts
    clock.set(T0 + 120)
    await metrics.aclose()

    assert [line.rsplit(" ", 1)[1] for line in lines_of(writer.lines, "alerter_volume")] == [
        str(int(T0)),
        str(int(T0) + 60),
    ]
    assert metrics.pending == 0


def test_a_failing_outbox_query_skips_its_line_and_nothing_else(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> OutboxStats:
        raise RuntimeError("outbox table is locked")

    metrics = SelfMetrics(ListWriter(), FakeClock(T0), interval=60, outbox=broken)

    lines = metrics.collect(T0 + 60)

    assert lines_of(lines, "alerter_outbox") == [] and lines_of(lines, "alerter_volume") != []
    assert "reading the outbox's depth failed" in caplog.text


def test_outbox_stats_count_waiting_and_given_up_rows() -> None:
    # Outbox.counts() keys are OutboxStatus (a StrEnum): equal to and hashed as these strings
    counts = {"pending": 2, "sending": 1, "delivered": 40, "failed": 0, "dead": 1}

    assert outbox_stats(counts) == OutboxStats(depth=3, failed=1)
    assert outbox_stats({}) == OutboxStats(depth=0, failed=0)


def test_with_batch_pages_off_only_recorded_pages_count() -> None:
    metrics = SelfMetrics(ListWriter(), FakeClock(T0), interval=60, batch_pages=False)
    page = PagingDecision(1, "inc-1", Transition.OPENED, T0 + 5, Page(Severity.CRITICAL, "t"))
    metrics.observe_batch(BatchResult(T0 + 5, (), (page,), ()))
    # the escalation stage: primary at once, then the sub (New York, 03:10 there) ten minutes later
    metrics.record_page(T0 + 5, PageRecipient("anna", "pagerduty", "Europe/Berlin"))
    metrics.record_page(T0 + 605, PageRecipient("grace", "pagerduty", "America/New_York"))

    assert lines_of(metrics.collect(T0 + 660), "alerter_pages") == [
        f"alerter_pages,channel=pagerduty,hours=business,person=anna count=1i {int(T0)}",
        f"alerter_pages,channel=pagerduty,hours=sleep,person=grace count=1i {int(T0) + 600}",
    ]
