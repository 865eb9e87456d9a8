"""The sender (alerter.notify.delivery) over a real SQLite outbox with scripted pagers: outcomes,
backoff, channel pauses (429), bounded attempts, order per incident, and the live loop.

The pagers here are scripted, not mocks: each answers from a fixed list of deliveries and records
what it was asked to send. The PagerDuty versions of these scenarios (real HTTP, the fake
PagerDuty) are in tests/integration/test_outbox_pagerduty.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlmodel import Session

from alerter.clock import FakeClock
from alerter.incidents.outbox_tables import OutboxStatus
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import metadata
from alerter.notify.delivery import Deliverer, RetryPolicy, serve
from alerter.notify.outbox import INTERRUPTED, Outbox, enqueue
from alerter.notify.pager import Delivery, Outcome, PageAction, PageRequest

T0 = 10_000.0
OK = Delivery(Outcome.OK, "202: Event processed")
DOWN = Delivery(Outcome.RECOVERABLE, "503: Service Unavailable")
THROTTLED = Delivery(Outcome.RECOVERABLE, "429: throttled; retry in 30s", retry_after=30.0)
INVALID = Delivery(Outcome.PERMANENT, "400: Event object is invalid")
NO_JITTER = RetryPolicy(base=2.0, factor=2.0, cap=60.0, jitter=0.0, max_attempts=4, batch_size=3)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ScriptedPager:
    """Answers each send with the next scripted delivery (then ``then``); records every page."""

    def __init__(self, *script: Delivery, then: Delivery = OK) -> None:
        self.script = list(script)
        self.then = then
        self.sent: list[PageRequest] = []

    async def send(self, page: PageRequest) -> Delivery:
        self.sent.append(page)
        return self.script.pop(0) if self.script else self.then


class BrokenPager:
    """A pager with a bug: it raises instead of returning a Delivery."""

    async def send(self, page: PageRequest) -> Delivery:
        raise KeyError("routing")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IncidentStore]:
    with IncidentStore(f"sqlite:///{tmp_path_factory.mktemp('delivery') / 'alerter.db'}") as s:
        yield s


@pytest.fixture
def store(migrated: IncidentStore) -> IncidentStore:
    with migrated.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    return migrated


@pytest.fixture
def box(store: IncidentStore) -> Outbox:
    return Outbox(store)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def put(
    box: Outbox, key: str, action: PageAction = PageAction.TRIGGER, channel: str = "pagerduty", **kw: object
) -> None:
    page = PageRequest(action, key, summary=f"{key} down", source="db1")
    with Session(box.engine) as session, session.begin():
        assert enqueue(session, page, transition=f"{action.value}#0", channel=channel, now=T0, **kw)  # type: ignore[arg-type]


def deliverer(box: Outbox, clock: FakeClock, policy: RetryPolicy = NO_JITTER, **pagers: object) -> Deliverer:
    return Deliverer(box, pagers, clock, policy, rng=random.Random(7))  # type: ignore[arg-type]


def sent(pager: ScriptedPager) -> list[tuple[str, str]]:
    return [(p.action.value, p.dedup_key) for p in pager.sent]


# -- the policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "retry_after", "expected"),
    [
        (1, None, 2.0),
        (2, None, 4.0),
        (3, None, 8.0),
        (6, None, 60.0),
        (40, None, 60.0),
        (1, 30.0, 30.0),
        (6, 5.0, 60.0),
    ],
)
def test_backoff_is_exponential_capped_and_never_below_retry_after(
    attempt: int, retry_after: float | None, expected: float
) -> None:
    assert NO_JITTER.delay(attempt, random.Random(1), retry_after) == expected


def test_jitter_only_shortens_and_is_repeatable_with_a_seed() -> None:
    policy = RetryPolicy(base=10.0, cap=100.0, jitter=0.5)
    first = [policy.delay(2, random.Random(3)) for _ in range(3)]
    assert first == [policy.delay(2, random.Random(3))] * 3
    rng = random.Random(3)
    draws = [policy.delay(2, rng) for _ in range(200)]
    assert all(10.0 <= d <= 20.0 for d in draws) and len(set(draws)) > 100


@pytest.mark.parametrize(
    "bad",
    [
        {"base": 0.0},
        {"factor": 0.5},
        {"cap": 1.0, "base": 2.0},
        {"jitter": 1.0},
        {"max_attempts": 0},
        {"batch_size": 0},
        {"lease": 0.0},
    ],
)
def test_a_nonsense_policy_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="retry policy"):
        RetryPolicy(**bad)  # type: ignore[arg-type]


# -- outcomes --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_ok_pages_are_delivered_in_order_trigger_before_resolve(box: Outbox, clock: FakeClock) -> None:
    for key in ("a", "b"):
        put(box, key)
    put(box, "a", PageAction.RESOLVE)
    put(box, "b", PageAction.ACKNOWLEDGE)
    pd = ScriptedPager()
    report = await deliverer(box, clock, pagerduty=pd).run_once(T0)
    assert (report.sent, report.delivered, report.retrying) == (4, 4, 0)
    assert sent(pd) == [("trigger", "a"), ("trigger", "b"), ("resolve", "a"), ("acknowledge", "b")]
    assert box.pending() == [] and box.counts()[OutboxStatus.DELIVERED] == 4


@pytest.mark.anyio
async def test_a_permanent_failure_is_failed_not_retried_and_keeps_its_error(
    box: Outbox, clock: FakeClock
) -> None:
    put(box, "a")
    put(box, "b")
    pd = ScriptedPager(INVALID)
    d = deliverer(box, clock, pagerduty=pd)
    report = await d.run_once(T0)
    assert (report.sent, report.failed, report.delivered) == (2, 1, 1)
    [failed] = box.failed()
    assert failed.status is OutboxStatus.FAILED
    assert (
        failed.last_error
        == "pagerduty: trigger a (trigger#0): 400: Event object is invalid; rejected, not retried (attempt 1)"
    )
    clock.advance(3600)
    assert (await d.run_once(clock.now())).sent == 0
    assert d.paused_until("pagerduty") is None  # a rejected page says nothing about the channel


@pytest.mark.anyio
async def test_a_recoverable_failure_retries_with_backoff_and_pauses_the_channel(
    box: Outbox, clock: FakeClock
) -> None:
    for key in ("a", "b", "c"):
        put(box, key)
    pd = ScriptedPager(DOWN)
    d = deliverer(box, clock, pagerduty=pd)
    report = await d.run_once(T0)
    # one probe: the rest of the batch is handed back unsent, and the channel waits 2 s
    assert (report.sent, report.retrying, report.deferred, dict(report.paused)) == (
        1,
        1,
        2,
        {"pagerduty": T0 + 2},
    )
    a, b, c = box.pending()
    assert (a.attempts, a.next_attempt_at) == (1, T0 + 2)
    assert (
        a.last_error == "pagerduty: trigger a (trigger#0): 503: Service Unavailable (attempt 1/4; next in 2s)"
    )
    assert (b.attempts, b.next_attempt_at, b.last_error) == (0, T0 + 2, None)
    assert (c.attempts, c.next_attempt_at, c.last_error) == (0, T0 + 2, None)
    assert (await d.run_once(T0 + 1)).sent == 0
    report = await d.run_once(T0 + 2)
    assert (report.sent, report.delivered) == (3, 3)
    assert sent(pd) == [("trigger", "a"), ("trigger", "a"), ("trigger", "b"), ("trigger", "c")]
    assert d.paused_until("pagerduty") is None


@pytest.mark.anyio
async def test_consecutive_channel_failures_grow_the_pause(box: Outbox, clock: FakeClock) -> None:
    for key in "abcdef":
        put(box, key)
    d = deliverer(box, clock, pagerduty=ScriptedPager(then=DOWN))
    probes = []
    for _ in range(240):
        if (await d.run_once(clock.now())).sent:
            probes.append(clock.now() - T0)
        clock.advance(1)
    assert probes == [0, 2, 6, 14, 30, 62, 122, 182]  # 2, 4, 8, 16, 32, then the 60 s cap


@pytest.mark.anyio
async def test_429_waits_retry_after_for_the_whole_channel(box: Outbox, clock: FakeClock) -> None:
    for key in "abc":
        put(box, key)
    put(box, "m", channel="email")
    pd, mail = ScriptedPager(THROTTLED), ScriptedPager()
    d = deliverer(box, clock, pagerduty=pd, email=mail)
    report = await d.run_once(T0)
    assert dict(report.paused) == {"pagerduty": T0 + 30}
    assert sent(mail) == [("trigger", "m")]  # another channel is not held up
    for t in range(1, 30):
        assert (await d.run_once(T0 + t)).sent == 0
    assert sent(pd) == [("trigger", "a")]
    report = await d.run_once(T0 + 30)
    assert report.delivered == 3
    assert sent(pd) == [("trigger", "a"), ("trigger", "a"), ("trigger", "b"), ("trigger", "c")]


@pytest.mark.anyio
async def test_attempts_are_bounded_then_the_row_is_dead_with_its_error(
    box: Outbox, clock: FakeClock
) -> None:
    put(box, "a")
    d = deliverer(box, clock, pagerduty=ScriptedPager(then=DOWN))
    reports = []
    for _ in range(100):
        reports.append(await d.run_once(clock.now()))
        clock.advance(1)
    assert sum(r.sent for r in reports) == 4 and sum(r.dead for r in reports) == 1
    [dead] = box.failed()
    assert (dead.status, dead.attempts) == (OutboxStatus.DEAD, 4)
    assert (
        dead.last_error
        == "pagerduty: trigger a (trigger#0): 503: Service Unavailable; giving up (attempt 4/4)"
    )


@pytest.mark.anyio
async def test_a_resolve_waits_while_its_trigger_is_retried(box: Outbox, clock: FakeClock) -> None:
    put(box, "a")
    put(box, "a", PageAction.RESOLVE)
    put(box, "b")
    pd = ScriptedPager(DOWN)
    d = deliverer(box, clock, NO_JITTER, pagerduty=pd)
    await d.run_once(T0)
    await d.run_once(T0 + 2)
    assert sent(pd) == [("trigger", "a"), ("trigger", "a"), ("trigger", "b"), ("resolve", "a")]


@pytest.mark.anyio
async def test_a_channel_without_pager_is_retried_and_says_so(box: Outbox, clock: FakeClock) -> None:
    put(box, "a", channel="sms")
    report = await deliverer(box, clock).run_once(T0)
    assert report.retrying == 1
    [row] = box.pending()
    assert row.last_error is not None and "no pager configured for channel 'sms'" in row.last_error


@pytest.mark.anyio
async def test_a_pager_that_raises_loses_nothing(box: Outbox, clock: FakeClock) -> None:
    put(box, "a")
    report = await deliverer(box, clock, pagerduty=BrokenPager()).run_once(T0)
    assert report.retrying == 1
    [row] = box.pending()
    assert row.last_error is not None and "pager raised KeyError" in row.last_error


@pytest.mark.anyio
async def test_a_stored_request_that_is_not_a_page_fails_without_a_send(
    box: Outbox, clock: FakeClock
) -> None:
    put(box, "a")
    with box.engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET request = :r"), {"r": '{"action": "explode", "dedup_key": "a"}'})
    pd = ScriptedPager()
    report = await deliverer(box, clock, pagerduty=pd).run_once(T0)
    assert (report.failed, pd.sent) == (1, [])
    [row] = box.failed()
    assert row.last_error is not None and "stored request is not a page: ValueError" in row.last_error


@pytest.mark.anyio
async def test_a_page_for_a_person_uses_their_pager_first(box: Outbox, clock: FakeClock) -> None:
    put(box, "a", channel="email", target="alice")
    put(box, "b", channel="email", target="bob")
    alice, team = ScriptedPager(), ScriptedPager()
    await deliverer(box, clock, **{"email:alice": alice, "email": team}).run_once(T0)
    assert (sent(alice), sent(team)) == ([("trigger", "a")], [("trigger", "b")])


@pytest.mark.anyio
async def test_max_per_run_bounds_one_run(box: Outbox, clock: FakeClock) -> None:
    for key in "abcde":
        put(box, key)
    policy = RetryPolicy(jitter=0.0, batch_size=2, max_per_run=3)
    pd = ScriptedPager()
    d = deliverer(box, clock, policy, pagerduty=pd)
    assert (await d.run_once(T0)).delivered == 3
    assert (await d.run_once(T0)).delivered == 2


# -- the live loop ---------------------------------------------------------------------------


class Ticks:
    """A stop flag and a sleep that advances the fake clock; stops after ``n`` sleeps."""

    def __init__(self, clock: FakeClock, n: int) -> None:
        self.clock, self.left, self.slept = clock, n, 0.0

    def is_set(self) -> bool:
        return self.left <= 0

    async def sleep(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.slept += seconds
        self.left -= 1


@pytest.mark.anyio
async def test_serve_recovers_rows_left_in_flight_then_delivers_each_tick(
    box: Outbox, clock: FakeClock
) -> None:
    put(box, "a")
    put(box, "b")
    box.claim(T0, 1, lease=600)  # a previous sender died with "a" in flight
    pd = ScriptedPager(DOWN)
    ticks = Ticks(clock, 3)
    failures = await serve(deliverer(box, clock, pagerduty=pd), clock, ticks, tick=5.0, sleep=ticks.sleep)
    assert failures == 0 and ticks.slept == 15.0
    assert sent(pd) == [("trigger", "a"), ("trigger", "a"), ("trigger", "b")]
    [first, _] = box.entries()
    assert (first.status, first.attempts) == (OutboxStatus.DELIVERED, 3)  # interrupted + 503 + ok
    assert first.last_error is not None and first.last_error.startswith("pagerduty: trigger a")
    assert INTERRUPTED.startswith("interrupted")


@pytest.mark.anyio
async def test_serve_survives_a_failing_run(box: Outbox, clock: FakeClock, migrated: IncidentStore) -> None:
    put(box, "a")

    class Flaky(Outbox):
        calls = 0

        def claim(self, *args: object, **kw: object) -> list:  # type: ignore[override]
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise ConnectionError("database away")
            return super().claim(*args, **kw)  # type: ignore[arg-type]

    pd = ScriptedPager()
    ticks = Ticks(clock, 2)
    failures = await serve(
        deliverer(Flaky(migrated), clock, pagerduty=pd), clock, ticks, tick=1.0, sleep=ticks.sleep
    )
    assert failures == 1
    assert sent(pd) == [("trigger", "a")]
