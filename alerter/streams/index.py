"""The index: the latest event per (host, service), with TTL expiry and a reaper.

Place in the flow: the streams' view of "what is true now", read by incidents and the web pages.
Riemann semantics kept:

* a new event **replaces** the previous one (no merge); an event with state "expired" **deletes**
  its key; an event without ``time`` is refused (ValueError), as Riemann's core index does;
* :meth:`Index.expire` removes every event with ``now - time > (ttl or 60)`` — the **60 s default
  ttl** applies to events without one;
* the reaper (:func:`periodically_expire`) runs every ``interval`` (default 10 s, first run one
  interval after start) and emits for each expired event only ``keep_keys`` (host and service by
  default) plus ``state="expired"`` and ``time`` = the **reap time** (not time + ttl), so expiry
  is seen up to one interval late.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from alerter.model import Event
from alerter.streams.core import DEFAULT_TTL, EXPIRED, Stream, StreamContext, fan_out
from alerter.streams.time import Task

Key = tuple[str | None, str | None]


class Index:
    """Latest event per (host, service). Also a stream: calling it inserts.

    >>> idx = Index()
    >>> idx(Event(host="a", service="cpu", metric=1, time=0.0))
    >>> idx.lookup("a", "cpu").metric, len(idx)
    (1, 1)
    >>> [e.host for e in idx.expire(61.0)], len(idx)
    (['a'], 0)
    """

    __slots__ = ("_events",)

    def __init__(self) -> None:
        self._events: dict[Key, Event] = {}

    def __call__(self, event: Event) -> None:
        self.update(event)

    def update(self, event: Event) -> None:
        """Insert (replace) ``event``; state "expired" deletes its key. Raises ValueError without time."""
        if event.time is None:
            raise ValueError(
                f"index: refusing event without time (host={event.host!r}, service={event.service!r})"
            )
        key = (event.host, event.service)
        if event.state == EXPIRED:
            self._events.pop(key, None)
        else:
            self._events[key] = event

    def delete(self, event: Event) -> None:
        """Remove ``event``'s (host, service), if present."""
        self._events.pop((event.host, event.service), None)

    def lookup(self, host: str | None, service: str | None) -> Event | None:
        return self._events.get((host, service))

    def search(self, pred: Callable[[Event], Any]) -> list[Event]:
        """Every indexed event for which ``pred`` is truthy."""
        return [e for e in self._events.values() if pred(e)]

    def expire(self, now: float) -> list[Event]:
        """Remove and return every event with ``now - time > (ttl or 60)`` (strict)."""
        gone = [
            (k, e)
            for k, e in self._events.items()
            if now - e.time > (DEFAULT_TTL if e.ttl is None else e.ttl)  # type: ignore[operator]
        ]
        for k, _ in gone:
            del self._events[k]
        return [e for _, e in gone]

    def clear(self) -> None:
        self._events.clear()

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(list(self._events.values()))

    def snapshot(self) -> list[dict[str, Any]]:
        """The indexed events as JSON-ready dicts (:meth:`Event.to_dict`)."""
        return [e.to_dict() for e in self._events.values()]

    def restore(self, state: list[dict[str, Any]]) -> None:
        """Replace the contents with the saved events."""
        self._events = {}
        for d in state:
            self.update(Event.from_dict(d))


def _reaped(event: Event, keep_keys: Sequence[str] | Literal["all"], now: float) -> Event:
    if keep_keys == "all":
        return event.with_(state=EXPIRED, time=now)
    kept: dict[str, Any] = {}
    for k in keep_keys:
        v = event.get(k)
        if v is not None and v != ():
            kept[k] = v
    kept["state"], kept["time"] = EXPIRED, now
    return Event().with_(**kept)


def periodically_expire(
    ctx: StreamContext,
    index: Index,
    *children: Stream,
    interval: float = 10.0,
    keep_keys: Sequence[str] | Literal["all"] = ("host", "service"),
) -> Task:
    """Start the reaper: every ``interval`` expire ``index`` and emit one expired event per removal.

    Returns the scheduler task (cancel it to stop reaping).

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0)); idx = Index(); got = []
    >>> idx(Event(host="a", service="cpu", metric=3, time=0.0, ttl=5.0))
    >>> _ = periodically_expire(ctx, idx, got.append)
    >>> ctx.scheduler.advance(10); [(e.host, e.service, e.state, e.time, e.metric) for e in got]
    [('a', 'cpu', 'expired', 10.0, None)]
    """
    emit = fan_out(children, ctx.on_error)

    def reap() -> None:
        now = ctx.now()
        for event in index.expire(now):
            emit(_reaped(event, keep_keys, now))

    return ctx.scheduler.every(interval, reap, delay=interval)
