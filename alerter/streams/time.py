"""The streams' scheduler: Riemann's ``once!``/``every!``/``defer``/``cancel`` over an injected Clock.

Place in the flow: used by the wall-clock streams (throttle, rollup, batch, coalesce, rate,
percentiles, stable's timeout, ddt_real) and the index reaper. One implementation serves both
modes, as ``riemann.time`` and ``riemann.time.controlled`` do:

* **live**: an asyncio task (:func:`drive`) calls ``run_until(clock.now())`` every tick;
* **controlled** (tests, replay): ``Scheduler.controlled(start)`` owns a FakeClock and the test
  calls :meth:`Scheduler.advance` by hand. Nothing sleeps.

While a task runs in controlled mode, :meth:`Scheduler.now` is that task's scheduled time (the
controlled clock's rule); in live mode it is the clock (at most one tick past the scheduled time).
Time never goes backwards: a task scheduled in the past runs with the current time.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections.abc import Awaitable, Callable

from alerter.clock import Clock, FakeClock
from alerter.streams.core import ErrorReporter, log_errors


class Task:
    """A scheduled callback. ``interval`` is None for a one-shot (``once``) task."""

    __slots__ = ("_gen", "at", "cancelled", "fn", "id", "interval")

    def __init__(self, task_id: int, fn: Callable[[], object], at: float, interval: float | None) -> None:
        self.id = task_id
        self.fn = fn
        self.at = at
        self.interval = interval
        self.cancelled = False
        self._gen = 0

    def __repr__(self) -> str:
        return f"Task(id={self.id}, at={self.at}, interval={self.interval}, cancelled={self.cancelled})"


class Scheduler:
    """Runs tasks in order of (time, creation id) when told the time has come.

    >>> s = Scheduler.controlled(0.0)
    >>> seen = []
    >>> t = s.every(10, lambda: seen.append(s.now()), delay=5)
    >>> s.advance(30); seen
    [5.0, 15.0, 25.0]
    >>> s.cancel(t); s.advance(100); seen
    [5.0, 15.0, 25.0]
    """

    __slots__ = ("_clock", "_controlled", "_current", "_heap", "_ids", "_seq", "on_error")

    def __init__(self, clock: Clock, on_error: ErrorReporter = log_errors) -> None:
        self._clock = clock
        self.on_error = on_error
        self._heap: list[tuple[float, int, int, int, Task]] = []
        self._ids = 0
        self._seq = 0
        self._current: float | None = None
        self._controlled = False

    @classmethod
    def controlled(cls, start: float = 0.0, on_error: ErrorReporter = log_errors) -> Scheduler:
        """A scheduler on its own FakeClock, advanced only by :meth:`advance`."""
        return cls(FakeClock(start), on_error)

    @property
    def clock(self) -> Clock:
        return self._clock

    def now(self) -> float:
        """The clock, or while a task runs, the time it runs at (see the module docstring)."""
        current = self._current
        return self._clock.now() if current is None else current

    def once(self, at: float, fn: Callable[[], object]) -> Task:
        """Run ``fn`` once at time ``at`` (Riemann's ``once!``)."""
        return self._push(self._new(fn, float(at), None))

    def after(self, delay: float, fn: Callable[[], object]) -> Task:
        """Run ``fn`` once ``delay`` seconds from now (Riemann's ``after!``)."""
        return self.once(self.now() + delay, fn)

    def every(self, interval: float, fn: Callable[[], object], delay: float = 0.0) -> Task:
        """Run ``fn`` at ``now + delay`` and then every ``interval`` (Riemann's ``every!``).

        Raises ValueError for a non-positive interval (it would loop forever).
        """
        if not interval > 0:
            raise ValueError(f"every: interval must be > 0, got {interval}")
        return self._push(self._new(fn, self.now() + delay, float(interval)))

    def defer(self, task: Task, delay: float) -> None:
        """Move ``task``'s next run to ``now + delay``; the run already queued is suppressed."""
        if task.cancelled:
            return
        task._gen += 1
        task.at = self.now() + delay
        self._push(task)

    def cancel(self, task: Task) -> None:
        """Stop ``task``; a cancelled task never runs again."""
        task.cancelled = True

    def pending(self) -> int:
        """Number of live queued runs (for tests and metrics)."""
        return sum(1 for _, _, _, gen, t in self._heap if not t.cancelled and gen == t._gen)

    def run_until(self, t: float) -> int:
        """Run every task due at or before ``t``, successors included; return how many ran.

        A failing task is reported to ``on_error``; a periodic one keeps its schedule.
        """
        heap = self._heap
        ran = 0
        while heap and heap[0][0] <= t:
            at, _, _, gen, task = heapq.heappop(heap)
            if task.cancelled or gen != task._gen:
                continue
            self._current = self._before_task(at)
            try:
                task.fn()
            except Exception as exc:  # a timer must survive its callback failing; reported as data
                self.on_error(exc, task.fn, at)
            finally:
                self._current = None
            ran += 1
            if task.interval is not None and not task.cancelled and gen == task._gen:
                task.at = at + task.interval
                self._push(task)
        return ran

    def advance(self, t: float) -> None:
        """Controlled mode: run tasks due up to ``t``, then set the clock to ``t``.

        Like ``riemann.time.controlled/advance!``, going backwards does nothing; ``t`` equal to now
        runs tasks due now. Raises TypeError when the clock cannot be set (a live clock).
        """
        setter = getattr(self._clock, "set", None)
        if setter is None:
            raise TypeError(f"advance needs a settable clock, got {type(self._clock).__name__}")
        if t < self._clock.now():
            return
        self._controlled = True
        try:
            self.run_until(t)
        finally:
            self._controlled = False
        setter(t)

    def _before_task(self, at: float) -> float:
        # Controlled mode: keep the shared FakeClock in step with the running task's time.
        now = self._clock.now()
        if self._controlled and at > now:
            self._clock.set(at)  # type: ignore[attr-defined]
            return at
        return now

    def _new(self, fn: Callable[[], object], at: float, interval: float | None) -> Task:
        self._ids += 1
        return Task(self._ids, fn, at, interval)

    def _push(self, task: Task) -> Task:
        self._seq += 1
        heapq.heappush(self._heap, (task.at, task.id, self._seq, task._gen, task))
        return task


async def drive(
    scheduler: Scheduler,
    tick: float = 0.1,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """Live mode: run due tasks every ``tick`` seconds until cancelled (run it as an asyncio task)."""
    if not (tick > 0 and math.isfinite(tick)):
        raise ValueError(f"drive: tick must be a positive number of seconds, got {tick}")
    while True:
        scheduler.run_until(scheduler.clock.now())
        await sleep(tick)
