"""The outbox and its sender against the fake PagerDuty over real HTTP, with the real PagerDutyPager.

Pages are enqueued in the same transaction as real incident changes (SQLite file and
PostgreSQL); time is a FakeClock shared with the fake's rate window; nothing sleeps: the test
advances the clock and calls ``run_once``. Scenarios from the on-call issue (section 4):

* PagerDuty down for 10 minutes (503 / timeout / dropped connection on every request) during a
  storm of 200 incidents: after recovery every trigger arrives exactly once as a distinct alert,
  each resolve after its trigger, none twice;
* 429 storms (injected, and the fake's real 120-per-minute window): no request before the
  throttle's retry-after, everything delivered once;
* 400 (a wrong integration key): ``failed`` at once, never retried, shown by ``alerter outbox``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from alerter.cli.outbox import outbox_command
from alerter.clock import FakeClock
from alerter.incidents.lifecycle import LifecyclePolicy
from alerter.incidents.outbox_tables import OutboxStatus
from alerter.incidents.records import AlertObservation
from alerter.incidents.store import IncidentStore
from alerter.model import Severity
from alerter.notify.delivery import Deliverer, DeliveryReport, RetryPolicy
from alerter.notify.outbox import Outbox, enqueue
from alerter.notify.pager import PageAction, PageRequest
from integrations.pagerduty import PagerDutyPager
from integrations.pagerduty.fake import FakePagerDuty, Fault, Received
from integrations.pagerduty.fake.state import Applied

pytestmark = pytest.mark.timeout(60)

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
T0 = 1_764_300_000.0
LIFECYCLE = LifecyclePolicy(resolve_delay=60, reopen_window=600)
POLICY = RetryPolicy(base=2.0, cap=120.0, jitter=0.2, max_attempts=25, batch_size=20)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakePagerDuty]:
    with FakePagerDuty(clock=clock, hold_seconds=1.0) as pd:
        yield pd
        assert pd.violations == []


@pytest.fixture
def store(store_url: str) -> Iterator[IncidentStore]:
    """The storm runs on both databases; the single-channel scenarios on SQLite only."""
    with IncidentStore(store_url) as s:
        yield s


@pytest.fixture
async def pager(fake: FakePagerDuty) -> AsyncIterator[PagerDutyPager]:
    # a TIMEOUT fault costs this much real time; the fake answers in ~15 ms, so 0.5 s does not trip
    # on a healthy request (a spurious timeout would re-send: a duplicate request, not a bug)
    async with PagerDutyPager(SecretStr(ROUTING_KEY), base_url=fake.url, timeout=0.5) as p:
        yield p


def storm(store: IncidentStore, n: int, at: float) -> list[str]:
    """A storm: the trigger pages of ``n`` incidents, committed in one batch."""
    keys = [f"storm-{i:03d}" for i in range(n)]
    with store.transaction() as tx:
        for i, key in enumerate(keys):
            page = PageRequest(PageAction.TRIGGER, key, summary=f"db{i} disk full", source=f"db{i}")
            assert enqueue(tx.session, page, transition="opened#0", channel="pagerduty", now=at)
    return keys


def resolve_pages(store: IncidentStore, keys: list[str], at: float) -> None:
    with store.transaction() as tx:
        for key in keys:
            page = PageRequest(PageAction.RESOLVE, key)
            assert enqueue(tx.session, page, transition="resolved_auto#0", channel="pagerduty", now=at)


def outage_fault(probe: int) -> Fault:
    """What the n-th request during the outage gets: a timeout now and then (each costs the
    pager's timeout in real time), 503, dropped connections and 500 otherwise."""
    return (
        Fault.TIMEOUT if probe in (0, 5) else (Fault.UNAVAILABLE, Fault.DROP, Fault.SERVER_ERROR)[probe % 3]
    )


def undelivered(box: Outbox) -> int:
    counts = box.counts()
    return counts[OutboxStatus.PENDING] + counts[OutboxStatus.SENDING]


def accepted(fake: FakePagerDuty) -> list[tuple[str, str]]:
    """``(action, dedup_key)`` of every event PagerDuty accepted (202), in arrival order."""
    out = []
    for r in fake.received:
        if r.status == 202:
            body = r.json()
            out.append((body["event_action"], body["dedup_key"]))
    return out


class Timeline:
    """Runs the sender tick by tick and remembers which requests reached the fake at which time."""

    def __init__(self, deliverer: Deliverer, clock: FakeClock, fake: FakePagerDuty) -> None:
        self.deliverer, self.clock, self.fake = deliverer, clock, fake
        self.requests: list[tuple[float, Received]] = []
        self.reports: list[DeliveryReport] = []

    async def tick(self) -> DeliveryReport:
        seen = len(self.fake.received)
        report = await self.deliverer.run_once(self.clock.now())
        self.requests += [(self.clock.now(), r) for r in self.fake.received[seen:]]
        self.reports.append(report)
        return report


@pytest.mark.anyio
async def test_pagerduty_down_10_minutes_during_a_storm_every_page_arrives_once_after_recovery(
    store: IncidentStore, fake: FakePagerDuty, pager: PagerDutyPager, clock: FakeClock
) -> None:
    box = Outbox(store)
    deliverer = Deliverer(box, {"pagerduty": pager}, clock, POLICY, rng=random.Random(4))
    timeline = Timeline(deliverer, clock, fake)
    keys = storm(store, 200, T0)
    resolved = keys[::10]
    probes = 0
    while clock.now() < T0 + 600:  # PagerDuty is down: every request fails
        if clock.now() == T0 + 300:  # a tenth of the storm clears while PagerDuty is still down
            resolve_pages(store, resolved, clock.now())
        paused = deliverer.paused_until("pagerduty")
        if (paused is None or paused <= clock.now()) and box.due(clock.now(), 1):
            fake.inject(outage_fault(probes))  # the sender will send one request now: fail it
            probes += 1
        report = await timeline.tick()
        assert report.sent <= 1 and report.delivered == 0
        assert sum(1 for r in fake.received if r.fault is not None) == probes  # each fault was used
        clock.advance(10)
    assert fake.received and all(r.status != 202 for r in fake.received)
    assert {r.fault for r in fake.received} == {
        Fault.TIMEOUT,
        Fault.UNAVAILABLE,
        Fault.DROP,
        Fault.SERVER_ERROR,
    }
    assert 5 <= probes <= 12  # the channel pause backs off: probes, not a request per queued page

    while undelivered(box) and clock.now() < T0 + 3 * 3600:
        await timeline.tick()
        clock.advance(5)
    assert undelivered(box) == 0 and box.failed() == []
    assert box.counts()[OutboxStatus.DELIVERED] == 220

    events = accepted(fake)
    assert Counter(events) == Counter([("trigger", k) for k in keys] + [("resolve", k) for k in resolved])
    assert len(fake.alerts) == 200 and {a.dedup_key for a in fake.alerts} == set(keys)
    assert Counter(r.applied for r in fake.received if r.status == 202) == {
        Applied.OPENED: 200,
        Applied.RESOLVED: 20,
    }
    for key in resolved:
        assert events.index(("trigger", key)) < events.index(("resolve", key))
    # 220 events at PagerDuty's 120 per minute: the fake's own window throttled the catch-up
    assert any(r.status == 429 for r in fake.received)


@pytest.mark.anyio
async def test_429_storm_no_request_before_retry_after_and_every_page_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = IncidentStore(f"sqlite:///{tmp_path / 'alerter.db'}")
    with FakePagerDuty(clock=clock, rate_limit=15) as fake:
        async with PagerDutyPager(SecretStr(ROUTING_KEY), base_url=fake.url, timeout=2.0) as pager:
            box = Outbox(store)
            deliverer = Deliverer(box, {"pagerduty": pager}, clock, POLICY, rng=random.Random(9))
            timeline = Timeline(deliverer, clock, fake)
            keys = storm(store, 40, T0)
            fake.inject(Fault.THROTTLE, 3)
            while undelivered(box) and clock.now() < T0 + 3600:
                await timeline.tick()
                clock.advance(1)
        assert fake.violations == []
    store.close()
    throttled = [t for t, r in timeline.requests if r.status == 429]
    assert len(throttled) >= 4  # 3 injected, then the fake's own 15-per-minute window
    for t in throttled:
        # PagerDuty's Events API sends no Retry-After; the pager's default (30 s, PagerDuty's advice)
        assert [u for u, _ in timeline.requests if t < u < t + 30] == []
    assert Counter(accepted(fake)) == Counter([("trigger", k) for k in keys])
    assert len(fake.alerts) == 40


@pytest.mark.anyio
async def test_400_is_failed_at_once_never_retried_and_shown_by_alerter_outbox(
    tmp_path: Path, fake: FakePagerDuty, pager: PagerDutyPager, clock: FakeClock
) -> None:
    url = f"sqlite:///{tmp_path / 'alerter.db'}"
    store = IncidentStore(url)
    box = Outbox(store)
    with store.transaction() as tx:
        obs = AlertObservation("fp-1", "disk_full", Severity.CRITICAL, T0, "g-1", "db1 disk full")
        key = tx.observe(obs, LIFECYCLE).key
        assert key is not None
        for channel in ("pagerduty", "pagerduty-db-team"):
            page = PageRequest(PageAction.TRIGGER, key, summary="db1 disk full", source="db1")
            enqueue(tx.session, page, transition="opened#0", channel=channel, now=T0)
    # the db team's integration key was pasted one character short: PagerDuty answers 400
    async with PagerDutyPager(SecretStr(ROUTING_KEY[:-1]), base_url=fake.url, timeout=2.0) as wrong:
        deliverer = Deliverer(box, {"pagerduty": pager, "pagerduty-db-team": wrong}, clock, POLICY)
        first = await deliverer.run_once(T0)
        for _ in range(10):
            clock.advance(600)
            assert (await deliverer.run_once(clock.now())).sent == 0
    store.close()
    assert (first.sent, first.delivered, first.failed) == (2, 1, 1)
    assert sorted(r.status or 0 for r in fake.received) == [202, 400]
    [failed] = box.failed()
    assert (failed.channel, failed.status, failed.attempts) == ("pagerduty-db-team", OutboxStatus.FAILED, 1)
    assert failed.last_error is not None and "400: Event object is invalid: routing_key" in failed.last_error
    assert ROUTING_KEY[:-1] not in failed.last_error

    result = CliRunner().invoke(outbox_command(clock), ["--db", url])
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if "pagerduty-db-team" in line]
    assert row.split()[:8] == ["2", "failed", "pagerduty-db-team", "-", key, "opened#0", "1", "-"]
    assert "400: Event object is invalid: routing_key: must be a 32-character integration key" in row
    assert [a.dedup_key for a in fake.alerts] == [key]
