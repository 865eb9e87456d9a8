"""Flow control on the wall clock: throttle, rollup, batch, coalesce.

Place in the flow: in front of notifications, to bound how often people are paged.

throttle, rollup and batch use Riemann's ``part-time-simple`` windows, which surprise people:
windows are **fixed** (not sliding), lie on wall-clock boundaries ``anchor + k*dt`` where the
anchor is the **stream's construction time**, and open only when an event arrives (an event
exactly on a boundary opens the next window). rollup counts a non-empty flush against the next
window that opens. coalesce flushes through the shared ticker (see :mod:`alerter.streams.rates`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alerter.model import Event
from alerter.streams.core import Stream, StreamContext, fan_out, is_expired
from alerter.streams.rates import Ticker
from alerter.streams.time import Task


class PartTimeSimple:
    """Riemann's ``part-time-simple(dt, reset, add, side_effects, finish)`` on the scheduler clock.

    ``reset(old) -> new`` is called at each window end (and for the initial state with None),
    ``add(state, event) -> state``, ``side_effects(state, event)`` right after, and
    ``finish(old_state, start, end)`` at the window's end.
    """

    __slots__ = ("_add", "_anchor", "_ctx", "_dt", "_end", "_finish", "_reset", "_side", "_task", "state")

    def __init__(
        self,
        ctx: StreamContext,
        dt: float,
        reset: Callable[[Any], Any],
        add: Callable[[Any, Event], Any],
        side_effects: Callable[[Any, Event], object],
        finish: Callable[[Any, float, float], object],
    ) -> None:
        if not dt > 0:
            raise ValueError(f"window dt must be > 0 seconds, got {dt}")
        self._ctx = ctx
        self._dt = dt
        self._anchor = ctx.now()
        self._reset, self._add, self._side, self._finish = reset, add, side_effects, finish
        self.state = reset(None)
        self._end: float | None = None
        self._task: Task | None = None

    def __call__(self, event: Event) -> None:
        now = self._ctx.now()
        if self._end is not None and now >= self._end:
            # The end-of-window task is late (live mode lags up to one tick): close it first.
            self._close()
        if self._end is None:
            self._end = now + self._dt - ((now - self._anchor) % self._dt)
            self._task = self._ctx.scheduler.once(self._end, self._close)
        self.state = self._add(self.state, event)
        self._side(self.state, event)

    def _close(self) -> None:
        end = self._end
        if end is None:
            return
        if self._task is not None:
            self._ctx.scheduler.cancel(self._task)
        self._end = self._task = None
        old, self.state = self.state, self._reset(self.state)
        self._finish(old, end - self._dt, end)


def throttle(ctx: StreamContext, n: int, dt: float, *children: Stream) -> PartTimeSimple:
    """Pass the first ``n`` events (or lists) of each ``dt`` window at once; drop the rest.

    Expired events count like any other.

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0)); got = []
    >>> s = throttle(ctx, 2, 10, got.append)
    >>> for _ in range(3): s(Event())
    >>> ctx.scheduler.advance(10); s(Event()); len(got)
    3
    """
    emit = fan_out(children, ctx.on_error)

    def side(sent: int, value: Any) -> None:
        if sent <= n:
            emit(value)

    return PartTimeSimple(
        ctx, dt, lambda _old: 0, lambda sent, _e: sent + 1, side, lambda _s, _start, _end: None
    )


def rollup(ctx: StreamContext, n: int, dt: float, *children: Stream) -> PartTimeSimple:
    """Emit each of the first ``n`` events of a window at once as a **one-element list**; buffer the
    rest and emit them as one list at the window's end. A non-empty flush uses 1 of the next
    window's ``n``.

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0)); got = []
    >>> s = rollup(ctx, 2, 10, got.append)
    >>> for m in [1, 2, 3, 4]: s(Event(metric=m))
    >>> ctx.scheduler.advance(10); [[e.metric for e in batch] for batch in got]
    [[1], [2], [3, 4]]
    """
    emit = fan_out(children, ctx.on_error)

    def reset(old: tuple[int, list[Event]] | None) -> tuple[int, list[Event]]:
        return (1 if old is not None and old[1] else 0, [])

    def add(state: tuple[int, list[Event]], event: Event) -> tuple[int, list[Event]]:
        sent, buffer = state
        if sent >= n:
            buffer.append(event)
        return (sent + 1, buffer)

    def side(state: tuple[int, list[Event]], event: Event) -> None:
        if state[0] <= n:
            emit([event])

    def finish(state: tuple[int, list[Event]], _start: float, _end: float) -> None:
        if state[1]:
            emit(state[1])

    return PartTimeSimple(ctx, dt, reset, add, side, finish)


def batch(ctx: StreamContext, n: int, dt: float, *children: Stream) -> PartTimeSimple:
    """Emit a list whenever ``n`` events have accumulated, and the partial list at each window end.

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0)); got = []
    >>> s = batch(ctx, 2, 10, got.append)
    >>> for m in [1, 2, 3]: s(Event(metric=m))
    >>> ctx.scheduler.advance(10); [[e.metric for e in b] for b in got]
    [[1, 2], [3]]
    """
    emit = fan_out(children, ctx.on_error)

    def add(state: list[Event], event: Event) -> list[Event]:
        state.append(event)
        if len(state) >= n:
            full = state[:]
            state.clear()
            emit(full)
        return state

    def finish(state: list[Event], _start: float, _end: float) -> None:
        if state:
            emit(state)

    return PartTimeSimple(ctx, dt, lambda _old: [], add, lambda _s, _e: None, finish)


def coalesce(ctx: StreamContext, dt: float, *children: Stream) -> Callable[[Event], None]:
    """Keep the latest event per (service, host); every ``dt`` emit all of them as one list.

    The first flush happens at the first event's arrival, then one every ``dt``. ``expired?``
    events are included once, unchanged, then removed. The ticker follows only the latest event:
    an expired one (or one whose time + ttl has passed) pauses flushing until a live event comes.
    Riemann's default ``dt`` is 1 s.

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0)); got = []
    >>> s = coalesce(ctx, 5, got.append)
    >>> s(Event(host="a", time=0.0)); s(Event(host="b", time=0.0))
    >>> ctx.scheduler.advance(5); [sorted(e.host for e in flush) for flush in got]
    [['a'], ['a', 'b']]
    """
    emit = fan_out(children, ctx.on_error)
    latest: dict[tuple[str | None, str | None], Event] = {}

    def flush() -> None:
        now = ctx.now()
        events = list(latest.values())
        for e in events:
            if is_expired(e, now):
                key = (e.service, e.host)
                if latest.get(key) is e:
                    del latest[key]
        emit(events)

    ticker = Ticker(ctx, dt, 0.0, flush)

    def stream(event: Event) -> None:
        latest[(event.service, event.host)] = event
        ticker(event)

    return stream
