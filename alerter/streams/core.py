"""Composition for the stream vocabulary: the Stream type, child fan-out, error isolation, expiry.

Place in the flow: evaluate -> **streams** -> incidents. Every stream function in this package
builds a ``Stream``: a callable taking one value (an :class:`~alerter.model.Event`, or a list of
events for rollup/batch/coalesce/windows) and passing results to its children, as Riemann's
``call-rescue`` does. Each child call is isolated: an exception in one child is handed to the
injected :data:`ErrorReporter` and the remaining children still run.

There is no global state (no ``*exception-stream*``): the error reporter and the scheduler are
passed in explicitly, through :class:`StreamContext` for streams that need time.

Streams keep plain mutable state and take no locks: run a pipeline and its scheduler on one
thread (the engine's event loop), which is also what keeps the per-event cost under a microsecond.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from alerter.model import Event

if TYPE_CHECKING:
    from alerter.streams.time import Scheduler

Stream = Callable[[Any], object]
"""A stream: called with one event (or a list of events); its return value is ignored by parents,
except for where/tagged_*, whose return value can serve as a predicate (as in Riemann)."""

ErrorReporter = Callable[[Exception, object, object], None]
"""``on_error(exception, failing_stream, value)``: where an isolated child failure is reported."""

DEFAULT_TTL = 60.0
"""Riemann's ``index/default-ttl``: an event with a time but no ttl is expired after 60 s."""

EXPIRED = "expired"

_log = logging.getLogger("alerter.streams")


def log_errors(exc: Exception, stream: object, value: object) -> None:
    """Default reporter: log the failure with its traceback (Riemann logs and carries on)."""
    _log.error("stream %s failed on %r: %s", _name(stream), value, exc, exc_info=exc)


@dataclass(frozen=True, slots=True)
class StreamFailure:
    """One isolated child failure, as data."""

    exception: Exception
    stream: object
    value: object


@dataclass(slots=True)
class ErrorCollector:
    """An :data:`ErrorReporter` that keeps failures as data (tests, metrics, an error stream).

    >>> errors = ErrorCollector()
    >>> errors(ValueError("boom"), print, Event())
    >>> len(errors.failures)
    1
    """

    failures: list[StreamFailure] = field(default_factory=list)

    def __call__(self, exc: Exception, stream: object, value: object) -> None:
        self.failures.append(StreamFailure(exc, stream, value))


def exception_event(failure: StreamFailure, now: float) -> Event:
    """Riemann's ``exception->event``: service "riemann exception", state "error", the traceback."""
    exc = failure.exception
    trace = "".join(traceback.format_exception(exc))
    return Event(
        service="riemann exception",
        state="error",
        time=now,
        tags=("exception", type(exc).__name__),
        description=f"{exc}\n\n{trace}",
    )


def _name(stream: object) -> str:
    return getattr(stream, "__qualname__", None) or type(stream).__name__


def call_children(children: Sequence[Stream], value: object, on_error: ErrorReporter) -> None:
    """Call each child with ``value`` in order; a failing child is reported and the rest still run."""
    for child in children:
        try:
            child(value)
        except Exception as exc:  # isolation boundary: report as data, keep the pipeline alive
            on_error(exc, child, value)


class Fanout:
    """Several children called in order with isolation; one object so ``by`` can snapshot it."""

    __slots__ = ("children", "on_error")

    def __init__(self, children: Sequence[Stream], on_error: ErrorReporter) -> None:
        self.children = tuple(children)
        self.on_error = on_error

    def __call__(self, value: object) -> None:
        for child in self.children:
            try:
                child(value)
            except Exception as exc:  # isolation boundary
                self.on_error(exc, child, value)

    def snapshot(self) -> list[Any]:
        return [snapshot_of(c) for c in self.children]

    def restore(self, state: list[Any]) -> None:
        for child, s in zip(self.children, state, strict=False):
            restore_into(child, s)


def _discard(value: object) -> None:
    """A stream with no children drops what it gets (Riemann's ``bit-bucket``)."""


def fan_out(children: Sequence[Stream], on_error: ErrorReporter) -> Callable[[Any], None]:
    """One callable that feeds ``children`` with isolation; specialised for 0 and 1 child (hot path)."""
    if not children:
        return _discard
    if len(children) == 1:
        child = children[0]

        def one(value: object) -> None:
            try:
                child(value)
            except Exception as exc:  # isolation boundary
                on_error(exc, child, value)

        return one
    return Fanout(children, on_error)


class Stateful(Protocol):
    """A stream whose state is plain data that can be saved and restored (restart rebuilds it)."""

    def snapshot(self) -> Any: ...

    def restore(self, state: Any) -> None: ...


def snapshot_of(stream: object) -> Any:
    """``stream.snapshot()`` if it keeps restorable state, else None."""
    snap = getattr(stream, "snapshot", None)
    return snap() if callable(snap) else None


def restore_into(stream: object, state: Any) -> None:
    """``stream.restore(state)`` when both exist; stateless streams ignore it."""
    restore = getattr(stream, "restore", None)
    if state is not None and callable(restore):
        restore(state)


@dataclass(slots=True)
class StreamContext:
    """What time-aware streams need: the scheduler (wall clock + timers) and the error reporter.

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0))
    >>> ctx.now()
    0.0
    """

    scheduler: Scheduler
    on_error: ErrorReporter = log_errors

    def now(self) -> float:
        return self.scheduler.now()


def is_expired(event: Event, now: float) -> bool:
    """Riemann's streams ``expired?``: state "expired", or ``now - time > (ttl or 60)``, strictly.

    ``now`` is the wall/scheduler clock, never an event's time. Note the default ttl of 60 s: an
    event with an old time and no ttl counts as expired.

    >>> is_expired(Event(time=0.0), 60.0), is_expired(Event(time=0.0), 60.5)
    (False, True)
    """
    if event.state == EXPIRED:
        return True
    t = event.time
    if t is None:
        return False
    ttl = event.ttl
    return now - t > (DEFAULT_TTL if ttl is None else ttl)


def expire(event: Event, now: float) -> Event:
    """Riemann's ``expire``: ``{host, service, time: now, state: "expired"}``, nothing else kept."""
    return Event(host=event.host, service=event.service, time=now, state=EXPIRED)
