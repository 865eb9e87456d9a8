"""A scheduler on virtual time: runs the live scheduler's jobs, in time order, on a FakeClock.

Place in the flow: replay (``alerter replay``), acceptance tests and unit tests drive the engine
with :class:`VirtualScheduler` instead of :class:`alerter.evaluate.scheduler.EvaluationScheduler`.
Both ask :class:`~alerter.evaluate.timing.Timing` for due times and call the same
:meth:`RuleEngine.run <alerter.evaluate.cycle.RuleEngine.run>`, so a replay evaluates each rule at
the instants the live engine would have. Nothing sleeps: :meth:`VirtualScheduler.run_until` jumps
the clock from one due time to the next (Riemann's controlled time).

>>> # clock = FakeClock(t0); engine = RuleEngine(source, sink, clock)
>>> # virtual = VirtualScheduler(engine, clock, Timing(max_jitter=2)); engine.apply(rules)
>>> # await virtual.run_until(t0 + 3600)  # every evaluation due in (t0, t0 + 1h], in order
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping

from alerter.clock import FakeClock
from alerter.evaluate.cycle import Change, RuleEngine
from alerter.evaluate.timing import Timing

_RULE, _JOB = "rule", "job"


class VirtualScheduler:
    """Runs rule evaluations and periodic jobs due in ``(clock.now(), t]`` when told to.

    At one instant, periodic jobs (e.g. the rules reloader's poll) run first, then every rule due
    at that instant in ONE :meth:`RuleEngine.run` call (one source round trip), in load order.
    The scheduler follows the engine's rule set by itself (it subscribes to
    :meth:`RuleEngine.on_change`): a rule added or given a new interval at ``t`` is first due
    strictly after ``t``.
    """

    def __init__(self, engine: RuleEngine, clock: FakeClock, timing: Timing | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._timing = timing if timing is not None else Timing()
        self._heap: list[tuple[float, int, str, str]] = []
        self._due: dict[tuple[str, str], tuple[float, int]] = {}
        self._seq = 0
        self._plans: dict[str, tuple[str, float]] = {}
        self._jobs: dict[str, tuple[float, Callable[[], object]]] = {}
        self.evaluations = 0
        engine.on_change(self._on_change)
        self.sync()

    def every(self, job_id: str, interval: float, func: Callable[[], object]) -> None:
        """Call ``func()`` every ``interval`` seconds of virtual time, first at ``now + interval``."""
        if not interval > 0:
            raise ValueError(f"job {job_id!r}: interval must be > 0, got {interval}")
        self._jobs[job_id] = (interval, func)
        self._push(_JOB, job_id, self._clock.now() + interval)

    def sync(self) -> None:
        """Follow the engine's rule set: schedule new rules and new intervals, drop removed rules."""
        wanted = {name: (rule.group, rule.interval) for name, rule in self._engine.rules.items()}
        for name in self._plans.keys() - wanted.keys():
            self._due.pop((_RULE, name), None)
        now = self._clock.now()
        for name, (group, interval) in wanted.items():
            if self._plans.get(name) != (group, interval):
                self._push(_RULE, name, self._timing.next_due(group, interval, after=now))
        self._plans = wanted

    def _on_change(self, _changes: Mapping[str, Change]) -> None:
        self.sync()

    def next_due(self) -> float | None:
        """The next instant something is due, or None when nothing is scheduled."""
        while self._heap:
            due, seq, kind, key = self._heap[0]
            if self._due.get((kind, key)) == (due, seq):
                return due
            heapq.heappop(self._heap)  # superseded by a reschedule or removal
        return None

    async def run_until(self, t: float) -> int:
        """Run everything due up to and including ``t`` in time order; leave the clock at ``t``.

        Returns the number of rule evaluations run.
        """
        before = self.evaluations
        while (due := self.next_due()) is not None and due <= t:
            if due > self._clock.now():
                self._clock.set(due)
            await self._run_instant(due)
        if t > self._clock.now():
            self._clock.set(t)
        return self.evaluations - before

    async def _run_instant(self, due: float) -> None:
        rules: list[str] = []
        while self.next_due() == due:
            _due, _seq, kind, key = heapq.heappop(self._heap)
            del self._due[(kind, key)]
            if kind == _JOB:
                interval, func = self._jobs[key]
                self._push(_JOB, key, due + interval)
                func()
            else:
                rules.append(key)
        order = {name: i for i, name in enumerate(self._engine.rules)}
        rules = sorted((r for r in rules if r in order), key=order.__getitem__)
        for name in rules:
            group, interval = self._plans[name]
            self._push(_RULE, name, self._timing.next_due(group, interval, after=due))
        if rules:
            self.evaluations += len(rules)
            await self._engine.run(rules, now=due)

    def _push(self, kind: str, key: str, due: float) -> None:
        self._seq += 1
        self._due[(kind, key)] = (due, self._seq)
        heapq.heappush(self._heap, (due, self._seq, kind, key))
