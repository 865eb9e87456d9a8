"""State-change detection: changed, changed_state, stable, runs.

Place in the flow: turns the evaluator's every-tick events into transitions for incidents.
Riemann semantics to know:

* ``changed`` keeps **one** previous value for the whole stream (not per host); it starts from
  ``init`` (None by default), so a first event with a non-None value is emitted and a first event
  with a None value is not;
* ``changed_state`` is ``by([host, service], changed(state))``: every new host/service emits its
  first state, also after a restart (unless its state was restored from a snapshot); "expired" is
  just another state;
* ``stable`` buffers in event time and times out on the scheduler clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from alerter.model import Event
from alerter.streams.core import ErrorReporter, Stream, StreamContext, call_children, fan_out, log_errors
from alerter.streams.filters import clj_eq

_FIELDS = frozenset(("host", "service", "state", "description", "metric", "time", "ttl", "tags"))


def field_getter(f: str | Callable[[Event], Any]) -> Callable[[Event], Any]:
    """A field name (core field or attribute) or a function of the event -> a getter."""
    if callable(f):
        return f
    if f in _FIELDS:
        return attrgetter(f)
    return lambda e: e.attributes.get(f)


class Changed:
    """See :func:`changed`."""

    __slots__ = ("_emit", "_f", "_pairs", "_prev", "_prev_event")

    def __init__(
        self,
        f: str | Callable[[Event], Any],
        children: tuple[Stream, ...],
        init: Any,
        pairs: bool,
        on_error: ErrorReporter,
    ) -> None:
        self._f = field_getter(f)
        self._prev = init
        self._prev_event: Event | None = None
        self._pairs = pairs
        self._emit = fan_out(children, on_error)

    def __call__(self, event: Event) -> None:
        value = self._f(event)
        prev, prev_event = self._prev, self._prev_event
        self._prev, self._prev_event = value, event
        if not clj_eq(value, prev):
            self._emit((prev_event, event) if self._pairs else event)

    def snapshot(self) -> dict[str, Any]:
        prev_event = self._prev_event
        return {
            "previous": self._prev,
            "previous_event": None if prev_event is None else prev_event.to_dict(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._prev = state["previous"]
        pe = state.get("previous_event")
        self._prev_event = None if pe is None else Event.from_dict(pe)


def changed(
    f: str | Callable[[Event], Any],
    *children: Stream,
    init: Any = None,
    pairs: bool = False,
    on_error: ErrorReporter = log_errors,
) -> Changed:
    """Emit events whose ``f(e)`` differs (Clojure ``=``) from the previous event's; not per host.

    The previous value starts at ``init`` (None). With ``pairs=True`` emits ``(previous, event)``,
    previous being None before any event.

    >>> got = []; s = changed("state", got.append)
    >>> for st in [None, "ok", "ok", "critical"]: s(Event(state=st))
    >>> [e.state for e in got]
    ['ok', 'critical']
    """
    return Changed(f, children, init, pairs, on_error)


_NO_KEY: Any = object()


class ChangedState:
    """See :func:`changed_state`. State: ``{(host, service): previous state}``, plain values.

    Memory matters (one instance per fork under ``by``, 10,000s of series): the first key is
    kept in two slots and a dict is made only when a second key shows up; children are called
    without a per-instance closure.
    """

    __slots__ = ("_children", "_events", "_init", "_key", "_on_error", "_pairs", "_prev", "_state")

    def __init__(
        self, children: tuple[Stream, ...], init: str | None, pairs: bool, on_error: ErrorReporter
    ) -> None:
        self._children = children
        self._on_error = on_error
        self._init = init
        self._pairs = pairs
        self._key: Any = _NO_KEY
        self._state: str | None = None
        self._prev: dict[tuple[str | None, str | None], str | None] | None = None
        self._events: dict[tuple[str | None, str | None], Event] | None = {} if pairs else None

    def __call__(self, event: Event) -> None:
        key = (event.host, event.service)
        state = event.state
        prev_map = self._prev
        if prev_map is None:
            if self._key is _NO_KEY:
                self._key, prev, self._state = key, self._init, state
            elif self._key == key:
                prev, self._state = self._state, state
            else:
                prev_map = self._prev = {self._key: self._state}
                self._key = _NO_KEY
        if prev_map is not None:
            prev = prev_map.get(key, self._init)
            prev_map[key] = state
        if self._events is not None:
            before = self._events.get(key)
            self._events[key] = event
            if state != prev:
                call_children(self._children, (before, event), self._on_error)
        elif state != prev:
            for child in self._children:
                try:
                    child(event)
                except Exception as exc:  # isolation boundary
                    self._on_error(exc, child, event)

    def _items(self) -> list[tuple[tuple[str | None, str | None], str | None]]:
        if self._prev is not None:
            return list(self._prev.items())
        return [] if self._key is _NO_KEY else [(self._key, self._state)]

    def __len__(self) -> int:
        return len(self._items())

    def snapshot(self) -> list[list[Any]]:
        """``[[host, service, state], ...]``: JSON-ready (the previous events are not kept)."""
        return [[h, s, st] for (h, s), st in self._items()]

    def restore(self, state: list[list[Any]]) -> None:
        self._key, self._state = _NO_KEY, None
        self._prev = {(h, s): st for h, s, st in state}


def changed_state(
    *children: Stream,
    init: str | None = None,
    pairs: bool = False,
    on_error: ErrorReporter = log_errors,
) -> ChangedState:
    """Emit an event when its (host, service)'s state differs from the previous one (first from
    ``init``, None: so every new series' first state is emitted, "expired" included).

    States compare with ``!=`` (they are strings, where this equals Clojure ``=``).

    >>> got = []; s = changed_state(got.append)
    >>> for h, st in [("a", "ok"), ("b", "ok"), ("a", "ok"), ("a", "critical")]: s(Event(host=h, state=st))
    >>> [(e.host, e.state) for e in got]
    [('a', 'ok'), ('b', 'ok'), ('a', 'critical')]
    """
    return ChangedState(children, init, pairs, on_error)


_UNKNOWN = object()


class Stable:
    """See :func:`stable`."""

    __slots__ = ("_buffer", "_ctx", "_dt", "_emit", "_f", "_prev", "_start")

    def __init__(
        self, ctx: StreamContext, dt: float, f: str | Callable[[Event], Any], children: tuple[Stream, ...]
    ) -> None:
        self._ctx = ctx
        self._dt = dt
        self._f = field_getter(f)
        self._prev: Any = _UNKNOWN
        self._buffer: list[Event] = []
        self._start = 0.0  # time of the first buffered event
        self._emit = fan_out(children, ctx.on_error)

    def __call__(self, event: Event) -> None:
        t = event.time
        if t is None:
            raise ValueError(f"stable: event without time (host={event.host!r}, service={event.service!r})")
        value = self._f(event)
        if self._prev is not _UNKNOWN and clj_eq(value, self._prev):
            if not self._buffer:
                self._emit(event)
                return
            self._buffer.append(event)
            if t - self._start >= self._dt:
                self._flush()
            return
        self._prev = value
        self._buffer = [event]
        self._start = t
        self._ctx.scheduler.once(t + self._dt, self._timeout)

    def _timeout(self) -> None:
        if self._buffer and self._ctx.now() - self._start >= self._dt:
            self._flush()

    def _flush(self) -> None:
        buffer, self._buffer = self._buffer, []
        for e in buffer:
            self._emit(e)


def stable(ctx: StreamContext, dt: float, f: str | Callable[[Event], Any], *children: Stream) -> Stable:
    """Pass events only once ``f(e)`` has held the same value for ``dt`` seconds.

    A change of value restarts the buffer with the new event (earlier buffered events are
    dropped) and sets a timer at ``e.time + dt`` on the scheduler clock; the buffer is released,
    event by event, when a later event is ``dt`` past the first buffered one (event time) or when
    the timer finds ``now - first.time >= dt``. While stable, events pass straight through.
    Events need a ``time`` (ValueError otherwise, reported by the parent's isolation).

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0)); got = []
    >>> s = stable(ctx, 10, "state", got.append)
    >>> s(Event(state="ok", time=0.0)); s(Event(state="ok", time=5.0)); len(got)
    0
    >>> ctx.scheduler.advance(10); len(got)
    2
    """
    return Stable(ctx, dt, f, children)


def runs(
    n: int, f: str | Callable[[Event], Any], *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], None]:
    """Emit the newest event once the last ``n`` events (n >= 1) all share ``f``; n = 0 never emits.

    >>> got = []; s = runs(2, "state", got.append)
    >>> for st in ["ok", "bad", "bad", "bad"]: s(Event(state=st))
    >>> len(got)
    2
    """
    get = field_getter(f)
    window: deque[Any] = deque(maxlen=max(n, 0))
    emit = fan_out(children, on_error)

    def stream(event: Event) -> None:
        if n < 1:
            return
        window.append(get(event))
        if len(window) == n:
            first = window[0]
            if all(clj_eq(first, v) for v in window):
                emit(event)

    return stream
