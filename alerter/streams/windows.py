"""Windows over events: moving/fixed by event time, moving/fixed by count. Each emits lists.

Place in the flow: aggregation stages (e.g. "3 of the last 5 checks failed"). Time windows use
**event time** only; there is no timer, so the last fixed window is emitted only when a later
event arrives. Riemann's edge cases kept on purpose:

* moving_time_window: ``cutoff = max(cutoff, (time or 0) - n)`` starting at 0; a late event (at or
  below the cutoff) is dropped and nothing is emitted; n = 0 never emits timed events;
* fixed_time_window: windows start at the first timed event; a gap emits one empty list per
  skipped window; events older than the window start are dropped; untimed events join the
  current buffer but are lost before the first timed event; n = 0 raises.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from alerter.model import Event
from alerter.streams.core import ErrorReporter, Stream, fan_out, log_errors


def moving_time_window(
    n: float, *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], None]:
    """On each accepted event, emit every event with time in ``(cutoff, newest]`` (untimed ones stay).

    >>> got = []; s = moving_time_window(10, got.append)
    >>> for t in [1.0, 5.0, 12.0, 2.0]: s(Event(time=t))
    >>> [[e.time for e in w] for w in got]
    [[1.0], [1.0, 5.0], [5.0, 12.0]]
    """
    emit = fan_out(children, on_error)
    cut = [0.0]  # Riemann starts the cutoff at 0, so an event at time <= 0 is dropped
    buffer: list[Event] = []

    def stream(event: Event) -> None:
        t = event.time
        cutoff = max(cut[0], (0.0 if t is None else t) - n)
        cut[0] = cutoff
        if t is not None and t <= cutoff:
            return
        buffer.append(event)
        buffer[:] = [e for e in buffer if e.time is None or e.time > cutoff]
        emit(list(buffer))

    return stream


def fixed_time_window(
    n: float, *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], None]:
    """Emit ``[start, start+n)`` blocks of events by event time, starting at the first timed event.

    Raises ValueError for n <= 0.

    >>> got = []; s = fixed_time_window(10, got.append)
    >>> for t in [0.0, 3.0, 35.0]: s(Event(time=t))
    >>> [[e.time for e in w] for w in got]
    [[0.0, 3.0], [], []]
    """
    return _fixed_window(n, children, on_error, offset=False)


def fixed_offset_time_window(
    n: float, *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], None]:
    """As :func:`fixed_time_window`, with windows aligned to multiples of ``n`` in event time.

    >>> got = []; s = fixed_offset_time_window(10, got.append)
    >>> for t in [7.0, 12.0]: s(Event(time=t))
    >>> [[e.time for e in w] for w in got]
    [[7.0]]
    """
    return _fixed_window(n, children, on_error, offset=True)


def _fixed_window(
    n: float, children: tuple[Stream, ...], on_error: ErrorReporter, offset: bool
) -> Callable[[Event], None]:
    if not n > 0:
        raise ValueError(f"fixed time window: n must be > 0 seconds, got {n}")
    emit = fan_out(children, on_error)
    start: list[float | None] = [None]
    buffer: list[Event] = []

    def stream(event: Event) -> None:
        t = event.time
        s = start[0]
        if t is None:
            if s is not None:
                buffer.append(event)
            return
        if s is None:
            start[0] = t - t % n if offset else t
            buffer.append(event)
            return
        if t < s:
            return
        if t < s + n:
            buffer.append(event)
            return
        delta = t - s
        dstart = delta - delta % n
        emit(list(buffer))
        for _ in range(round(dstart / n) - 1):
            emit([])
        start[0] = s + dstart
        buffer[:] = [event]

    return stream


def moving_event_window(
    n: int, *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], None]:
    """On every event emit the last ``n`` events, oldest first (partial at first; n = 0 emits []).

    >>> got = []; s = moving_event_window(2, got.append)
    >>> for m in [1, 2, 3]: s(Event(metric=m))
    >>> [[e.metric for e in w] for w in got]
    [[1], [1, 2], [2, 3]]
    """
    emit = fan_out(children, on_error)
    window: deque[Event] = deque(maxlen=max(n, 0))

    def stream(event: Event) -> None:
        window.append(event)
        emit(list(window))

    return stream


def fixed_event_window(
    n: int, *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], None]:
    """Emit each complete block of ``n`` events; never a partial one; n = 0 never emits.

    >>> got = []; s = fixed_event_window(2, got.append)
    >>> for m in [1, 2, 3]: s(Event(metric=m))
    >>> [[e.metric for e in w] for w in got]
    [[1, 2]]
    """
    emit = fan_out(children, on_error)
    buffer: list[Event] = []

    def stream(event: Event) -> None:
        if n < 1:
            return
        buffer.append(event)
        if len(buffer) >= n:
            block = buffer[:]
            buffer.clear()
            emit(block)

    return stream
