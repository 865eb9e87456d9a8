"""Timing (due times, bounded deterministic jitter) and the VirtualScheduler driving RuleEngine."""

from __future__ import annotations

import itertools
import math

import pytest
from scheduler_fakes import START, FakeSource, failing_for, make_rule, query_of

from alerter.clock import FakeClock
from alerter.evaluate.cycle import RuleEngine
from alerter.evaluate.timing import Timing
from alerter.evaluate.virtual import VirtualScheduler
from alerter.model import Event


@pytest.mark.parametrize(
    ("after", "interval", "expected"),
    [(100.0, 30.0, 120.0), (120.0, 30.0, 150.0), (119.999, 30.0, 120.0), (0.0, 0.1, 0.1), (-5.0, 10.0, 0.0)],
)
def test_next_due_without_jitter_is_the_next_boundary_strictly_after(
    after: float, interval: float, expected: float
) -> None:
    assert Timing(max_jitter=0.0).next_due("g", interval, after=after) == pytest.approx(expected)


@pytest.mark.parametrize("interval", [0.5, 10.0, 30.0, 3600.0])
def test_jitter_is_bounded_by_max_jitter_and_the_interval(interval: float) -> None:
    timing = Timing(max_jitter=5.0, seed="s")
    phases = [timing.phase(f"group-{i}", interval) for i in range(200)]
    assert all(0 <= p < min(5.0, interval) for p in phases)
    assert len(set(phases)) > 150  # spread, not one value


def test_jitter_is_deterministic_for_a_seed_and_differs_between_seeds() -> None:
    assert Timing(seed="a").phase("g", 30.0) == Timing(seed="a").phase("g", 30.0)
    assert Timing(seed="a").phase("g", 30.0) != Timing(seed="b").phase("g", 30.0)


def test_due_times_are_phase_plus_whole_intervals() -> None:
    timing = Timing(max_jitter=2.0, seed="x")
    phase = timing.phase("g", 30.0)
    due = START
    for _ in range(5):
        due = timing.next_due("g", 30.0, after=due)
        assert math.isclose((due - phase) / 30.0, round((due - phase) / 30.0), abs_tol=1e-9)
    assert START + 120 < due <= START + 150


@pytest.mark.parametrize(("jitter", "interval"), [(-1.0, 30.0), (1.0, 0.0), (1.0, -30.0)])
def test_invalid_timing_is_refused(jitter: float, interval: float) -> None:
    with pytest.raises(ValueError):
        Timing(max_jitter=jitter).phase("g", interval)


@pytest.mark.anyio
async def test_each_rule_is_evaluated_at_its_interval_within_the_jitter_bound(
    clock: FakeClock, source: FakeSource
) -> None:
    engine = RuleEngine(source, [].append, clock)
    virtual = VirtualScheduler(engine, clock, Timing(max_jitter=2.0, seed="t"))
    engine.apply([make_rule("a", group="g1", interval=30.0), make_rule("b", group="g2", interval=60.0)])

    runs = await virtual.run_until(START + 600)

    a, b = source.evaluation_times(query_of("a")), source.evaluation_times(query_of("b"))
    assert (len(a), len(b), runs) == (20, 10, 30)
    assert all(later - earlier == pytest.approx(30.0) for earlier, later in itertools.pairwise(a))
    assert all(later - earlier == pytest.approx(60.0) for earlier, later in itertools.pairwise(b))
    assert START < a[0] < START + 2 and START < b[0] < START + 2  # boundary + jitter
    assert a[0] != b[0]  # different groups, different phases
    assert clock.now() == START + 600
    all_times = [now for _statements, now in source.calls]
    assert all_times == sorted(all_times)


@pytest.mark.anyio
async def test_rules_of_one_group_share_a_round_trip_and_groups_are_spread(
    clock: FakeClock, source: FakeSource
) -> None:
    engine = RuleEngine(source, [].append, clock)
    virtual = VirtualScheduler(engine, clock, Timing(max_jitter=10.0, seed="spread"))
    engine.apply([make_rule("a", group="web"), make_rule("b", group="db"), make_rule("c", group="web")])

    await virtual.run_until(START + 30)

    assert sorted(source.calls) == sorted(
        [
            ((query_of("a"), query_of("c")), source.evaluation_times(query_of("a"))[0]),
            ((query_of("b"),), source.evaluation_times(query_of("b"))[0]),
        ]
    )
    assert source.evaluation_times(query_of("a")) != source.evaluation_times(query_of("b"))


@pytest.mark.anyio
async def test_a_rule_that_keeps_failing_never_stops_the_others(clock: FakeClock, source: FakeSource) -> None:
    events: list[Event] = []
    engine = RuleEngine(source, events.append, clock, evaluate=failing_for("broken"))
    virtual = VirtualScheduler(engine, clock, Timing(max_jitter=0.0))
    engine.apply([make_rule("ok1"), make_rule("broken"), make_rule("ok2")])
    source.answers = {query_of("ok1"): 1.0, query_of("broken"): 1.0, query_of("ok2"): 1.0}

    await virtual.run_until(START + 300)

    assert [engine.status(n).evaluations for n in ("ok1", "broken", "ok2")] == [10, 10, 10]
    assert engine.status("broken").failures == 10
    assert sum(1 for e in events if e.service == "alerter rule broken" and e.state == "critical") == 10
    assert sum(1 for e in events if e.attributes["rule"] == "ok2" and e.state == "ok") == 10


@pytest.mark.anyio
async def test_periodic_jobs_run_before_rules_due_at_the_same_instant(
    clock: FakeClock, source: FakeSource
) -> None:
    engine = RuleEngine(source, [].append, clock)
    virtual = VirtualScheduler(engine, clock, Timing(max_jitter=0.0))
    engine.apply([make_rule("a")])
    order: list[str] = []
    source.on_query = lambda statements, now: order.append(f"query@{now - START:g}")
    virtual.every("poll", 30.0, lambda: order.append(f"poll@{clock.now() - START:g}"))

    await virtual.run_until(START + 60)

    assert order == ["poll@30", "query@30", "poll@60", "query@60"]


@pytest.mark.anyio
async def test_rules_added_and_removed_mid_replay_follow_the_engine(
    clock: FakeClock, source: FakeSource
) -> None:
    engine = RuleEngine(source, [].append, clock)
    virtual = VirtualScheduler(engine, clock, Timing(max_jitter=0.0))
    engine.apply([make_rule("a"), make_rule("b")])
    swaps = iter([[make_rule("a"), make_rule("c")], [make_rule("a", interval=60.0), make_rule("c")]])
    virtual.every("reload", 60.0, lambda: engine.apply(next(swaps)))

    await virtual.run_until(START + 150)

    assert source.evaluation_times(query_of("b")) == [START + 30]  # the reload at +60 removed it first
    assert source.evaluation_times(query_of("c")) == [START + 90, START + 120, START + 150]
    # a's interval became 60s by the reload at +120, which runs before a's evaluation due then: a
    # rescheduled at t is first due strictly after t
    assert source.evaluation_times(query_of("a")) == [START + 30, START + 60, START + 90]
    assert virtual.next_due() == START + 180


@pytest.mark.anyio
async def test_replay_is_deterministic(source: FakeSource) -> None:
    def build(src: FakeSource) -> tuple[RuleEngine, VirtualScheduler]:
        clock = FakeClock(START)
        engine = RuleEngine(src, [].append, clock)
        virtual = VirtualScheduler(engine, clock, Timing(max_jitter=5.0, seed="replay"))
        engine.apply([make_rule(n, group=n[0], interval=15.0 * (1 + i % 3)) for i, n in enumerate("abcdef")])
        return engine, virtual

    other = FakeSource()
    _e1, v1 = build(source)
    _e2, v2 = build(other)
    await v1.run_until(START + 900)
    await v2.run_until(START + 900)
    assert source.calls == other.calls
    assert len(source.calls) > 60
