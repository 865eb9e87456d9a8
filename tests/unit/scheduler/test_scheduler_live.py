"""EvaluationScheduler: APScheduler wiring. One short real-time smoke test; the rest never waits.

Everything about WHEN rules run and WHAT happens then is tested on virtual time elsewhere (the
same Timing and RuleEngine.run); here we check that APScheduler really runs the jobs, follows
reloads, never overlaps one rule, batches rules due together and survives a raising rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import anyio
import pytest
from scheduler_fakes import FakeSource, failing_for, make_rule, query_of

from alerter.clock import FakeClock, SystemClock
from alerter.evaluate.cycle import RuleEngine
from alerter.evaluate.scheduler import EvaluationScheduler
from alerter.evaluate.timing import Timing
from alerter.model import Event
from alerter.source import StatementResult

pytestmark = pytest.mark.anyio


FUTURE = 4_102_444_800.0  # 2100-01-01: APScheduler (on wall time) keeps a first run in the future as given


async def test_jobs_follow_the_engines_rule_set(source: FakeSource) -> None:
    clock = FakeClock(FUTURE)
    engine = RuleEngine(source, [].append, clock)
    timing = Timing(max_jitter=2.0, seed="live")
    scheduler = EvaluationScheduler(engine, clock, timing)
    engine.apply([make_rule("a", group="g1", interval=3600.0), make_rule("b", group="g2", interval=3600.0)])
    scheduler.start()
    try:
        # the first due time comes from Timing on the engine's clock, the rest from APScheduler
        assert scheduler.next_runs() == pytest.approx(
            {
                "a": timing.next_due("g1", 3600.0, after=FUTURE),
                "b": timing.next_due("g2", 3600.0, after=FUTURE),
            }
        )
        engine.apply(
            [make_rule("b", group="g2", interval=3600.0), make_rule("c", group="g1", interval=7200.0)]
        )
        assert sorted(scheduler.next_runs()) == ["b", "c"]
        assert scheduler.next_runs()["c"] == pytest.approx(timing.next_due("g1", 7200.0, after=FUTURE))
    finally:
        await scheduler.aclose()
    assert not scheduler.running


class SlowSource:
    """Real-time fake: a statement containing "slow" takes ``delay`` seconds; records overlap."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.batches: list[tuple[str, ...]] = []
        self.running: Counter[str] = Counter()
        self.max_running: Counter[str] = Counter()

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        self.batches.append(tuple(statements))
        for s in statements:
            self.running[s] += 1
            self.max_running[s] = max(self.max_running[s], self.running[s])
        try:
            if any("slow" in s for s in statements):
                await anyio.sleep(self.delay)
            return [StatementResult() for _ in statements]
        finally:
            for s in statements:
                self.running[s] -= 1


@pytest.mark.slow
@pytest.mark.timeout(10)
async def test_smoke_real_time_jobs_run_batch_never_overlap_and_survive_a_raising_rule() -> None:
    source = SlowSource(delay=0.5)
    events: list[Event] = []
    clock = SystemClock()
    engine = RuleEngine(source, events.append, clock, evaluate=failing_for("broken"))
    timing = Timing(max_jitter=0.1, seed="smoke")
    assert len({timing.phase(g, 0.2) for g in ("fast", "slow", "bad")}) == 3  # three distinct instants
    scheduler = EvaluationScheduler(engine, clock, timing)
    engine.apply(
        [
            make_rule("fast1", group="fast", interval=0.2),
            make_rule("fast2", group="fast", interval=0.2),
            make_rule("slow", group="slow", interval=0.2),
            make_rule("broken", group="bad", interval=0.2),
        ]
    )
    scheduler.start()
    try:
        await anyio.sleep(1.3)
    finally:
        await scheduler.aclose()

    fast_batches = [b for b in source.batches if query_of("fast1") in b]
    assert len(fast_batches) >= 4
    assert all(b == (query_of("fast1"), query_of("fast2")) for b in fast_batches)  # one round trip
    slow_runs = source.batches.count((query_of("slow"),))
    assert 2 <= slow_runs <= 3  # 0.5 s each in 1.3 s: runs due meanwhile were skipped, not stacked
    assert source.max_running[query_of("slow")] == 1
    broken = [e for e in events if e.service == "alerter rule broken"]
    assert len(broken) >= 4 and all(e.state == "critical" for e in broken)
    assert engine.status("fast1").evaluations == len(fast_batches) and engine.status("fast1").healthy
