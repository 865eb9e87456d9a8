"""rate/percentiles ticks on the scheduler clock, ewma, ewma_timeless, ddt, and the ticker rule."""

from __future__ import annotations

import pytest

from alerter.model import Event
from alerter.streams import (
    Scheduler,
    StreamContext,
    Ticker,
    ddt,
    ddt_real,
    ewma,
    ewma_timeless,
    percentiles,
    rate,
)


def _ctx(start: float = 0.0) -> tuple[Scheduler, StreamContext]:
    sched = Scheduler.controlled(start)
    return sched, StreamContext(sched)


def test_ticker_follows_only_the_latest_event() -> None:
    sched, ctx = _ctx()
    ticks: list[float] = []
    t = Ticker(ctx, 10, 10, lambda: ticks.append(sched.now()))
    t(Event(time=0.0, ttl=100.0))
    sched.advance(20)
    assert ticks == [10.0, 20.0]
    t(Event(time=20.0, ttl=15.0))  # expires at 35: the tick at 40 stops the ticker
    sched.advance(50)
    assert ticks == [10.0, 20.0, 30.0] and not t.running
    t(Event(time=50.0))  # no ttl: expires_at = inf; restarted, first tick one interval later
    sched.advance(60)
    assert ticks == [10.0, 20.0, 30.0, 60.0]
    t(Event(state="expired"))  # an expired event stops it at once
    sched.advance(100)
    assert ticks == [10.0, 20.0, 30.0, 60.0] and not t.running


def test_rate_ticks_sum_over_interval_and_ttl_arithmetic() -> None:
    sched, ctx = _ctx()
    got: list[Event] = []
    s = rate(ctx, 5, got.append)
    s(Event(service="req", metric=0, time=0.0, ttl=30.0))  # a metric of 0 counts
    s(Event(service="req", metric=10, time=1.0, ttl=30.0))
    s(Event(service="req", time=2.0, ttl=30.0))  # no metric: not summed, not the template
    sched.advance(5)
    assert [(e.service, e.metric, e.time, e.ttl) for e in got] == [("req", 2.0, 5.0, 30.0)]
    sched.advance(15)  # no events: emits 0, the ttl keeps falling from the emitted template
    assert [(e.metric, e.time, e.ttl) for e in got[1:]] == [(0.0, 10.0, 25.0), (0.0, 15.0, 20.0)]


def test_rate_stops_when_latest_event_lapses() -> None:
    sched, ctx = _ctx()
    got: list[Event] = []
    s = rate(ctx, 5, got.append)
    s(Event(metric=5, time=0.0, ttl=7.0))
    sched.advance(30)
    assert [e.time for e in got] == [5.0]  # the tick at 10 finds time + ttl = 7 passed


def test_rate_first_tick_at_first_event_plus_interval() -> None:
    sched, ctx = _ctx(3.0)
    got: list[Event] = []
    s = rate(ctx, 10, got.append)
    s(Event(metric=1, time=3.0))
    sched.advance(12.9)
    assert got == []
    sched.advance(13)
    assert [(e.metric, e.time) for e in got] == [(0.1, 13.0)]


def test_percentiles_points_mapping_empty_bin_and_expired_discard() -> None:
    sched, ctx = _ctx()
    got: list[Event] = []
    s = percentiles(ctx, 10, {0.0: " min", 0.99: " p99"}, got.append)
    for m in [5, 1, 9, 3]:
        s(Event(service="lat", metric=m, time=0.0, ttl=1000.0))
    s(Event(service="lat", time=0.0, ttl=1000.0))  # no metric: not sampled
    sched.advance(10)
    assert [(e.service, e.metric, e.time) for e in got] == [("lat min", 1, 0.0), ("lat p99", 9, 0.0)]
    sched.advance(20)  # empty bin: nothing
    assert len(got) == 2
    s(Event(service="lat", metric=4, time=20.0, ttl=1000.0))
    s(Event(service="lat", state="expired"))  # discards the bin and stops the ticker
    sched.advance(60)
    assert len(got) == 2


@pytest.mark.parametrize(("points", "suffixes"), [([0.5, 1], ["x 0.5", "x 1"]), ([1.0], ["x 1.0"])])
def test_percentiles_service_suffix_like_clojure_str(points: list[float], suffixes: list[str]) -> None:
    sched, ctx = _ctx()
    got: list[Event] = []
    s = percentiles(ctx, 1, points, got.append)
    s(Event(service="x", metric=1, time=0.0))
    sched.advance(1)
    assert [e.service for e in got] == suffixes


def test_ewma_timeless_starts_from_zero() -> None:
    got: list[Event] = []
    s = ewma_timeless(0.25, got.append)
    for m in [8, None, 8]:
        s(Event(metric=m))
    assert [e.metric for e in got] == [2.0, None, 3.5]


def test_ewma_halflife_weights_by_event_time() -> None:
    got: list[Event] = []
    s = ewma(2.0, got.append)
    s(Event(metric=10, time=0.0))  # not seeded: 0 + (1-c)*10
    s(Event(metric=10, time=2.0))  # two seconds = one half-life
    s(Event(metric=10, time=1.0))  # older event: added with a decayed weight, time stays newest
    s(Event(time=3.0))  # no metric: passes unchanged
    c = 0.5**0.5
    m1 = (1 - c) * 10
    m2 = (1 - c) * 10 + m1 * 0.5
    m3 = m2 + (1 - c) * 10 * c
    assert [e.metric for e in got[:3]] == pytest.approx([m1, m2, m3])
    assert [e.time for e in got] == [0.0, 2.0, 2.0, 3.0]
    assert got[3].metric is None


def test_ddt_between_events() -> None:
    got: list[Event] = []
    s = ddt(got.append)
    for m, t in [(None, 0.0), (10, 0.0), (20, 2.0), (30, 2.0), (0, 7.0)]:
        s(Event(metric=m, time=t))
    assert [(e.metric, e.time) for e in got] == [(5.0, 2.0), (-6.0, 7.0)]


def test_ddt_real_ticks_and_repeats_last_event() -> None:
    sched, ctx = _ctx()
    got: list[Event] = []
    s = ddt_real(ctx, 10, got.append)
    s(Event(metric=0, time=0.0))  # first tick at once: nothing to compare yet
    sched.advance(4)
    s(Event(metric=20, time=4.0))
    sched.advance(10)
    sched.advance(20)  # no new event: the previous one is reused, so the derivative is 0
    assert [(e.metric, e.time) for e in got] == [(5.0, 10.0), (0, 20.0)]
