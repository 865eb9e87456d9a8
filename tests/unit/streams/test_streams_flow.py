"""throttle/rollup/batch on construction-anchored wall-clock windows; coalesce flushing."""

from __future__ import annotations

from alerter.model import Event
from alerter.streams import Scheduler, StreamContext, batch, coalesce, rollup, throttle


def _ctx(start: float = 0.0) -> tuple[Scheduler, StreamContext]:
    sched = Scheduler.controlled(start)
    return sched, StreamContext(sched)


def test_throttle_windows_are_anchored_at_construction() -> None:
    sched, ctx = _ctx(3.0)  # anchor 3: windows [3,13), [13,23), ...
    got: list[float] = []
    s = throttle(ctx, 1, 10, lambda e: got.append(sched.now()))
    sched.advance(12)
    s(Event())
    s(Event())  # dropped: same window
    sched.advance(13)  # exactly on a boundary: a new window
    s(Event())
    sched.advance(22.5)
    s(Event())
    assert got == [12.0, 13.0]


def test_throttle_counts_expired_events_and_adds_no_latency() -> None:
    _sched, ctx = _ctx()
    got: list[Event] = []
    s = throttle(ctx, 2, 5, got.append)
    s(Event(state="expired"))
    s(Event(state="ok"))
    s(Event(state="critical"))
    assert [e.state for e in got] == ["expired", "ok"]


def test_rollup_first_n_as_one_element_lists_rest_at_window_end() -> None:
    sched, ctx = _ctx()
    got: list[list[int]] = []
    s = rollup(ctx, 3, 10, lambda b: got.append([e.metric for e in b]))
    for m in range(1, 6):
        s(Event(metric=m))
    assert got == [[1], [2], [3]]
    sched.advance(10)
    assert got == [[1], [2], [3], [4, 5]]


def test_rollup_flush_uses_one_of_the_next_windows_n() -> None:
    sched, ctx = _ctx()
    got: list[list[int]] = []
    s = rollup(ctx, 2, 10, lambda b: got.append([e.metric for e in b]))
    for m in [1, 2, 3]:
        s(Event(metric=m))
    sched.advance(10)  # flush [3]: the next window starts with 1 of its 2 used
    for m in [4, 5, 6]:
        s(Event(metric=m))
    assert got == [[1], [2], [3], [4]]
    sched.advance(20)
    assert got[-1] == [5, 6]
    sched.advance(30)  # that flush carries into whichever window opens next (here at 30)
    for m in [7, 8]:
        s(Event(metric=m))
    sched.advance(40)
    for m in [9, 10]:
        s(Event(metric=m))
    assert got[-5:] == [[4], [5, 6], [7], [8], [9]]
    sched.advance(50)
    assert got[-1] == [10]


def test_batch_flushes_full_batches_and_partial_at_window_end() -> None:
    sched, ctx = _ctx()
    got: list[list[int]] = []
    s = batch(ctx, 2, 10, lambda b: got.append([e.metric for e in b]))
    for m in range(5):
        s(Event(metric=m))
    assert got == [[0, 1], [2, 3]]
    sched.advance(10)
    assert got == [[0, 1], [2, 3], [4]]
    sched.advance(30)  # no events: no window, no flush
    assert len(got) == 3


def test_late_window_end_task_is_closed_by_the_next_event() -> None:
    clock_sched, ctx = _ctx()
    got: list[list[int]] = []
    s = batch(ctx, 10, 5, lambda b: got.append([e.metric for e in b]))
    s(Event(metric=1))
    clock_sched.clock.set(7.0)  # type: ignore[attr-defined]  # live lag: the end task (at 5) has not run
    s(Event(metric=2))
    assert got == [[1]]
    clock_sched.advance(10)
    assert got == [[1], [2]]


def test_coalesce_first_flush_immediate_then_every_dt() -> None:
    sched, ctx = _ctx()
    got: list[list[tuple[str | None, str | None]]] = []
    s = coalesce(ctx, 5, lambda es: got.append(sorted((e.host, e.service) for e in es)))
    s(Event(host="a", service="x", time=0.0, metric=1))
    assert got == [[("a", "x")]]
    s(Event(host="b", service="x", time=0.0))
    s(Event(host="a", service="x", time=1.0, metric=2))  # latest per (service, host)
    sched.advance(5)
    assert got[-1] == [("a", "x"), ("b", "x")]
    assert len(got) == 2


def test_coalesce_emits_expired_once_unchanged_then_drops() -> None:
    sched, ctx = _ctx()
    got: list[list[Event]] = []
    s = coalesce(ctx, 10, got.append)
    old = Event(host="old", time=0.0)  # no ttl: default 60
    s(old)
    sched.advance(55)
    s(Event(host="live", time=55.0, ttl=1000.0))
    sched.advance(60)  # old is 60 s old: not yet expired (strict)
    assert old in got[-1]
    sched.advance(70)
    assert old in got[-1] and got[-1][got[-1].index(old)].state is None  # included once, unchanged
    sched.advance(80)
    assert [e.host for e in got[-1]] == ["live"]


def test_coalesce_incoming_expired_event_pauses_flushing() -> None:
    sched, ctx = _ctx()
    got: list[list[Event]] = []
    s = coalesce(ctx, 10, got.append)
    s(Event(host="a", time=0.0, ttl=1000.0))
    s(Event(host="b", state="expired", time=0.0))
    sched.advance(50)
    assert len(got) == 1
    s(Event(host="c", time=50.0, ttl=1000.0))  # a live event restarts: immediate flush
    assert len(got) == 2
    assert sorted(e.host for e in got[-1]) == ["a", "b", "c"]
    assert sorted(e.host for e in sched_flush(sched, got, 60)) == ["a", "c"]


def sched_flush(sched: Scheduler, got: list[list[Event]], t: float) -> list[Event]:
    sched.advance(t)
    return got[-1]
