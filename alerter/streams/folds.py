"""Transformations and folds: with_, default, tag, untag, smap, smapcat, sflatten, sdo, sreduce,
counter, project.

Place in the flow: reshaping events between filters and the index/incidents. Riemann rules kept:
``with_`` overrides unconditionally and a None value **removes** the key; ``default`` fills only
missing (None) values; ``tag`` puts the new tags first, without duplicates; ``smap`` drops a None
result but forwards False; ``sreduce`` without an init swallows the first event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from alerter.model import Event
from alerter.streams.core import ErrorReporter, Stream, StreamContext, expire, fan_out, is_expired, log_errors

_MISSING = object()


def _each(fn: Callable[[Event], Event]) -> Callable[[Any], Any]:
    """Apply ``fn`` to an event, or to each event of a list (Riemann's with/default accept both)."""

    def apply(value: Any) -> Any:
        if isinstance(value, Event):
            return fn(value)
        return [fn(e) for e in value]

    return apply


def _normalise(changes: Mapping[str, Any]) -> dict[str, Any]:
    # tags=None means "remove the tags": an event without tags has the empty tuple.
    return {k: (() if k == "tags" and v is None else v) for k, v in changes.items()}


def with_(
    changes: Mapping[str, Any], *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Any], None]:
    """Override the given fields/attributes on every event (or each event of a list); None removes.

    An empty mapping passes events through unchanged.

    >>> got = []; with_({"state": "critical", "team": None}, got.append)(Event(attributes={"team": "db"}))
    >>> got[0].state, dict(got[0].attributes)
    ('critical', {})
    """
    norm = _normalise(changes)
    emit = fan_out(children, on_error)
    apply = _each(lambda e: e.with_(**norm) if norm else e)

    def stream(value: Any) -> None:
        emit(apply(value))

    return stream


def _missing(event: Event, key: str) -> bool:
    if key == "tags":
        return not event.tags
    return event.get(key) is None


def default(
    defaults: Mapping[str, Any], *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Any], None]:
    """Set each key only where the event's value is missing (None).

    >>> got = []; default({"ttl": 300, "state": "ok"}, got.append)(Event(state="critical"))
    >>> got[0].ttl, got[0].state
    (300, 'critical')
    """
    items = tuple(defaults.items())
    emit = fan_out(children, on_error)

    def fill(e: Event) -> Event:
        missing = {k: v for k, v in items if _missing(e, k)}
        return e.with_(**missing) if missing else e

    apply = _each(fill)

    def stream(value: Any) -> None:
        emit(apply(value))

    return stream


def _tags(tags: str | Iterable[str]) -> tuple[str, ...]:
    return (tags,) if isinstance(tags, str) else tuple(tags)


def tag(
    tags: str | Iterable[str], *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], None]:
    """Add tags: the new ones first, then the event's own, without duplicates.

    >>> got = []; tag(["b", "c"], got.append)(Event(tags=("a", "b"))); got[0].tags
    ('b', 'c', 'a')
    """
    new = _tags(tags)
    emit = fan_out(children, on_error)

    def stream(event: Event) -> None:
        emit(event.with_(tags=tuple(dict.fromkeys((*new, *event.tags)))))

    return stream


def untag(
    tags: str | Iterable[str], *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], None]:
    """Remove tags (an event without tags passes with no tags).

    >>> got = []; untag("a", got.append)(Event(tags=("a", "b"))); got[0].tags
    ('b',)
    """
    drop = frozenset(_tags(tags))
    emit = fan_out(children, on_error)

    def stream(event: Event) -> None:
        emit(event.with_(tags=tuple(t for t in event.tags if t not in drop)))

    return stream


def smap(
    f: Callable[[Any], Any], *children: Stream, keep_none: bool = False, on_error: ErrorReporter = log_errors
) -> Callable[[Any], None]:
    """Emit ``f(value)``; a None result is dropped (False is forwarded) unless ``keep_none``
    (Riemann's ``smap*``).

    >>> got = []; s = smap(lambda e: e.with_(metric=e.metric * 2) if e.metric else None, got.append)
    >>> s(Event(metric=2)); s(Event()); [e.metric for e in got]
    [4]
    """
    emit = fan_out(children, on_error)

    def stream(value: Any) -> None:
        out = f(value)
        if out is not None or keep_none:
            emit(out)

    return stream


def smapcat(
    f: Callable[[Any], Iterable[Any]], *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Any], None]:
    """Emit each element of ``f(value)``.

    >>> got = []; smapcat(lambda e: [e, e], got.append)(Event()); len(got)
    2
    """
    emit = fan_out(children, on_error)

    def stream(value: Any) -> None:
        for out in f(value):
            emit(out)

    return stream


def sflatten(*children: Stream, on_error: ErrorReporter = log_errors) -> Callable[[Iterable[Any]], None]:
    """Emit each element of an incoming list (e.g. after rollup or coalesce).

    >>> got = []; sflatten(got.append)([Event(), Event()]); len(got)
    2
    """
    emit = fan_out(children, on_error)

    def stream(values: Iterable[Any]) -> None:
        for v in values:
            emit(v)

    return stream


def sdo(*children: Stream, on_error: ErrorReporter = log_errors) -> Callable[[Any], None]:
    """Fan each value out to all ``children``, in order, each isolated; no children discards.

    >>> a, b = [], []; sdo(a.append, b.append)(Event()); (len(a), len(b))
    (1, 1)
    """
    return fan_out(children, on_error)


def sreduce(
    f: Callable[[Any, Any], Any],
    *children: Stream,
    init: Any = _MISSING,
    on_error: ErrorReporter = log_errors,
) -> Callable[[Any], None]:
    """Emit the running fold ``acc = f(acc, value)``. Without ``init`` the first value becomes
    ``acc`` and nothing is emitted for it.

    >>> got = []; s = sreduce(lambda acc, e: acc + e.metric, got.append, init=0)
    >>> for m in [1, 2, 3]: s(Event(metric=m))
    >>> got
    [1, 3, 6]
    """
    emit = fan_out(children, on_error)
    acc: list[Any] = [init]

    def stream(value: Any) -> None:
        if acc[0] is _MISSING:
            acc[0] = value
            return
        acc[0] = f(acc[0], value)
        emit(acc[0])

    return stream


def counter(*children: Stream, on_error: ErrorReporter = log_errors) -> Callable[[Event], None]:
    """Emit each event with ``metric`` = running sum of metrics; a "reset"-tagged event sets the sum
    to its metric. Events without a metric are dropped.

    >>> got = []; s = counter(got.append)
    >>> for m, t in [(1, ()), (2, ()), (5, ("reset",)), (1, ())]: s(Event(metric=m, tags=t))
    >>> [e.metric for e in got]
    [1, 3, 5, 6]
    """
    emit = fan_out(children, on_error)
    total: list[float] = [0]

    def stream(event: Event) -> None:
        m = event.metric
        if m is None:
            return
        total[0] = m if "reset" in event.tags else total[0] + m
        emit(event.with_(metric=total[0]))

    return stream


def project(
    ctx: StreamContext, preds: Sequence[Callable[[Event], Any]], *children: Stream
) -> Callable[[Event], None]:
    """Keep the latest event per predicate; on a matching event emit the whole list of slots.

    A slot holding an ``expired?`` event is emitted once as ``expire(e)`` (time = now, only host
    and service kept) and then cleared to None. An event matching nothing emits nothing.

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(0.0)); got = []
    >>> s = project(ctx, [lambda e: e.service == "a", lambda e: e.service == "b"], got.append)
    >>> s(Event(service="a", time=0.0)); [None if e is None else e.service for e in got[-1]]
    ['a', None]
    """
    emit = fan_out(children, ctx.on_error)
    slots: list[Event | None] = [None] * len(preds)

    def stream(event: Event) -> None:
        hit = False
        for i, p in enumerate(preds):
            if p(event):
                slots[i] = event
                hit = True
        if not hit:
            return
        now = ctx.now()
        out: list[Event | None] = []
        for i, e in enumerate(slots):
            if e is not None and is_expired(e, now):
                out.append(expire(e, now))
                slots[i] = None
            else:
                out.append(e)
        emit(out)

    return stream
