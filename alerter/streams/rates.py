"""Rates and averages: rate, percentiles, ewma, ewma_timeless, ddt, ddt_real, and the ticker
they share (Riemann's ``periodically-until-expired``).

Place in the flow: derived metrics over event streams (request rates, latency percentiles).
The ticker rule, kept from Riemann: **the most recent event alone** decides whether ticks
continue. Each event sets ``expires_at = time + ttl`` (infinity if either is missing); an
``expired?`` event (state "expired", or older than ttl, **default 60 s**) stops the ticker; any
other event starts it if stopped; a tick after ``expires_at`` stops it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from alerter.model import Event
from alerter.streams.core import ErrorReporter, Stream, StreamContext, fan_out, is_expired, log_errors
from alerter.streams.time import Task


class Ticker:
    """``periodically-until-expired(interval, delay, f)``; call it with every incoming event.

    With ``delay`` 0 the first tick runs at once, inside the call that starts the ticker (Riemann
    runs it immediately on its thread pool); later ticks come every ``interval``.
    """

    __slots__ = ("_ctx", "_delay", "_expires_at", "_f", "_interval", "_task")

    def __init__(self, ctx: StreamContext, interval: float, delay: float, f: Callable[[], object]) -> None:
        if not interval > 0:
            raise ValueError(f"ticker interval must be > 0 seconds, got {interval}")
        self._ctx = ctx
        self._interval = interval
        self._delay = delay
        self._f = f
        self._expires_at = math.inf
        self._task: Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def __call__(self, event: Event) -> None:
        t, ttl = event.time, event.ttl
        self._expires_at = t + ttl if t is not None and ttl is not None else math.inf
        if is_expired(event, self._ctx.now()):
            self._stop()
        elif self._task is None:
            sched = self._ctx.scheduler
            if self._delay <= 0:
                self._task = sched.every(self._interval, self._tick, delay=self._interval)
                self._f()
            else:
                self._task = sched.every(self._interval, self._tick, delay=self._delay)

    def _tick(self) -> None:
        if self._expires_at < self._ctx.now():
            self._stop()
        else:
            self._f()

    def _stop(self) -> None:
        if self._task is not None:
            self._ctx.scheduler.cancel(self._task)
            self._task = None


def rate(ctx: StreamContext, interval: float, *children: Stream) -> Callable[[Event], None]:
    """Every ``interval`` (first at first event + interval) emit ``sum(metrics) / interval``.

    The emitted event is the latest event with a metric (its ttl raised by ``interval``), with
    ``metric = sum/interval``, ``time = now`` and ttl lowered by ``interval``; it then becomes the
    template, so with no new events the ttl keeps falling and 0 is emitted. A metric of 0 counts.

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0)); got = []
    >>> s = rate(ctx, 10, got.append)
    >>> for m in [10, 20]: s(Event(service="req", metric=m, time=0.0))
    >>> ctx.scheduler.advance(10); [(e.metric, e.time) for e in got]
    [(3.0, 10.0)]
    """
    emit = fan_out(children, ctx.on_error)
    total: list[float] = [0.0]
    template: list[Event] = [Event()]

    def tick() -> None:
        t = template[0]
        out = t.with_(
            metric=total[0] / interval, time=ctx.now(), ttl=None if t.ttl is None else t.ttl - interval
        )
        total[0] = 0.0
        template[0] = out
        emit(out)

    ticker = Ticker(ctx, interval, interval, tick)

    def stream(event: Event) -> None:
        m = event.metric
        if m is not None:
            total[0] += m
            template[0] = event if event.ttl is None else event.with_(ttl=event.ttl + interval)
        ticker(event)

    return stream


def part_time_fast(
    ctx: StreamContext,
    interval: float,
    create: Callable[[], Any],
    add: Callable[[Any, Event], object],
    finish: Callable[[Any], object],
) -> Callable[[Event], None]:
    """Bins on ticks at first event + k*interval; an ``expired?`` event discards the current bin."""
    bin_: list[Any] = [create()]

    def tick() -> None:
        full, bin_[0] = bin_[0], create()
        finish(full)

    ticker = Ticker(ctx, interval, interval, tick)
    now = ctx.now

    def stream(event: Event) -> None:
        if is_expired(event, now()):
            bin_[0] = create()
        else:
            add(bin_[0], event)
        ticker(event)

    return stream


def percentiles(
    ctx: StreamContext, interval: float, points: Sequence[float] | Mapping[float, str], *children: Stream
) -> Callable[[Event], None]:
    """Every ``interval``, emit for each point p the sampled event at index ``min(n-1, floor(n*p))``
    of the bin sorted by metric, its service suffixed ``" " + str(p)`` (or the mapping's suffix).

    The emitted events are the original sampled events (their own time). An empty bin emits
    nothing; an expired event discards the bin and stops the ticker.

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0)); got = []
    >>> s = percentiles(ctx, 10, [0.5, 1], got.append)
    >>> for m in [3, 1, 2]: s(Event(service="lat", metric=m, time=0.0))
    >>> ctx.scheduler.advance(10); [(e.service, e.metric) for e in got]
    [('lat 0.5', 2), ('lat 1', 3)]
    """
    emit = fan_out(children, ctx.on_error)
    suffixes = (
        tuple(points.items()) if isinstance(points, Mapping) else tuple((p, " " + str(p)) for p in points)
    )

    def add(samples: list[Event], event: Event) -> None:
        if event.metric is not None:
            samples.append(event)

    def finish(samples: list[Event]) -> None:
        if not samples:
            return
        samples.sort(key=lambda e: e.metric)  # type: ignore[arg-type, return-value]
        n = len(samples)
        for p, suffix in suffixes:
            e = samples[min(n - 1, math.floor(n * p))]
            emit(e.with_(service=(e.service or "") + suffix))

    return part_time_fast(ctx, interval, list, add, finish)


def ewma_timeless(
    r: float, *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], None]:
    """Emit each event with ``metric = m``, ``m = r*metric + (1-r)*m``, m starting at **0**.

    An event without a metric is emitted with metric None and leaves m unchanged.

    >>> got = []; s = ewma_timeless(0.5, got.append)
    >>> for m in [10, 10, None]: s(Event(metric=m))
    >>> [e.metric for e in got]
    [5.0, 7.5, None]
    """
    emit = fan_out(children, on_error)
    m: list[float] = [0.0]

    def stream(event: Event) -> None:
        metric = event.metric
        if metric is None:
            emit(event)
            return
        m[0] = r * metric + (1 - r) * m[0]
        emit(event.with_(metric=m[0]))

    return stream


def ewma(halflife: float, *children: Stream, on_error: ErrorReporter = log_errors) -> Callable[[Event], None]:
    """Time-aware EWMA (event time): a weight halves every ``halflife`` seconds.

    Riemann's formula: with ``c = 0.5 ** (1/halflife)`` and ``dt`` the time since the newest event
    seen, ``m = (1-c)*metric + m*c**dt`` for a newer event, ``m + (1-c)*metric*c**|dt|`` for an older
    one and ``m + (1-c)*metric`` for the same time; m starts at 0 (not seeded) and the emitted
    event carries the newest time seen. Events without a metric pass unchanged.

    >>> got = []; s = ewma(1.0, got.append)
    >>> s(Event(metric=10, time=0.0)); s(Event(metric=10, time=1.0)); [e.metric for e in got]
    [5.0, 7.5]
    """
    emit = fan_out(children, on_error)
    c = 0.5 ** (1.0 / halflife)
    state: list[Any] = [0.0, None]  # m, newest time

    def stream(event: Event) -> None:
        metric = event.metric
        if metric is None:
            emit(event)
            return
        m, t_old = state
        t_new = 0.0 if event.time is None else event.time
        if t_old is None:
            t_old = t_new
        dt = t_new - t_old
        if dt > 0:
            m, t = (1 - c) * metric + m * c**dt, t_new
        elif dt < 0:
            m, t = m + (1 - c) * metric * c ** abs(dt), t_old
        else:
            m, t = m + (1 - c) * metric, t_old
        state[0], state[1] = m, t
        emit(event.with_(metric=m, time=t))

    return stream


def ddt(*children: Stream, on_error: ErrorReporter = log_errors) -> Callable[[Event], None]:
    """Emit each event (after the first) with ``metric = d(metric)/d(time)`` against the previous
    event with a metric; events without a metric are skipped, a zero time difference emits nothing.

    >>> got = []; s = ddt(got.append)
    >>> for m, t in [(0, 0.0), (10, 5.0), (10, 5.0)]: s(Event(metric=m, time=t))
    >>> [e.metric for e in got]
    [2.0]
    """
    emit = fan_out(children, on_error)
    prev: list[Event | None] = [None]

    def stream(event: Event) -> None:
        m = event.metric
        if m is None:
            return
        before, prev[0] = prev[0], event
        if before is None:
            return
        dt = event.time - before.time  # type: ignore[operator]
        if dt != 0:
            emit(event.with_(metric=(m - before.metric) / dt))  # type: ignore[operator]

    return stream


def ddt_real(ctx: StreamContext, n: float, *children: Stream) -> Callable[[Event], None]:
    """Riemann's ``(ddt n)``: every ``n`` seconds emit the rate of change between the latest event
    of the last interval and the one before it (``time = now``; 0 for a zero time difference).

    With no new event in an interval the previous one is reused, so the derivative becomes 0.

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0)); got = []
    >>> s = ddt_real(ctx, 5, got.append)
    >>> s(Event(metric=0, time=0.0)); ctx.scheduler.advance(1); s(Event(metric=10, time=1.0))
    >>> ctx.scheduler.advance(5); [(e.metric, e.time) for e in got]
    [(10.0, 5.0)]
    """
    emit = fan_out(children, ctx.on_error)
    slots: list[Event | None] = [None, None, None]  # newest this interval, previous, before that

    def tick() -> None:
        e3, e2, _ = slots
        slots[:] = [None, e3, e2] if e3 is not None else [None, e2, e2]
        _, e2, e1 = slots
        if e1 is None or e2 is None:
            return
        dt = e2.time - e1.time  # type: ignore[operator]
        metric = 0 if dt == 0 else (e2.metric - e1.metric) / dt  # type: ignore[operator]
        emit(e2.with_(metric=metric, time=ctx.now()))

    ticker = Ticker(ctx, n, 0.0, tick)

    def stream(event: Event) -> None:
        if event.metric is not None:
            slots[0] = event
        ticker(event)

    return stream
