"""Stateless filters: where, split, tagged_all/tagged_any, over/under, expired/not_expired, match.

Place in the flow: the first thing correlation rules apply to evaluated events. Matching follows
Riemann's ``riemann.common/match``:

* ``None`` matches only None;
* a compiled regex is an **unanchored search** (``re.search``): ``re.compile("cpu")`` matches
  "disk cpu x"; a None or non-string value gives False;
* a set/frozenset is membership, a callable is called with the value (truthy = match);
* a mapping matches key by key (the value may be an Event or a dict);
* anything else is Clojure ``=``: ``1`` does not equal ``1.0`` and ``True`` does not equal ``1``.

A predicate that raises (``lambda e: e.metric > 5`` on a None metric) raises out of ``where``; the
enclosing stream's isolation reports it, so that branch drops the event, as in Riemann.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from alerter.model import Event
from alerter.streams.core import (
    ErrorReporter,
    Stream,
    StreamContext,
    fan_out,
    is_expired,
    log_errors,
)

Predicate = Callable[[Event], Any]


def _num_kind(x: object) -> str | None:
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return "int"
    if isinstance(x, float):
        return "float"
    return None


def clj_eq(a: object, b: object) -> bool:
    """Clojure ``=``: like ``==``, but integers, floats and booleans never equal one another.

    >>> clj_eq(1, 1), clj_eq(1, 1.0), clj_eq("ok", "ok")
    (True, False, True)
    """
    if type(a) is type(b):
        return bool(a == b)
    ka, kb = _num_kind(a), _num_kind(b)
    if ka is not None or kb is not None:
        return ka == kb and bool(a == b)
    return bool(a == b)


def match(pattern: object, value: object) -> bool:
    """Riemann's ``match(pattern, value)`` (see the module docstring for the rules).

    >>> match(re.compile("cpu"), "host cpu load"), match(None, None), match({"ok", "warning"}, "ok")
    (True, True, True)
    """
    if pattern is None:
        return value is None
    if isinstance(pattern, re.Pattern):
        return isinstance(value, str) and pattern.search(value) is not None
    if isinstance(pattern, set | frozenset):
        return value in pattern and any(clj_eq(p, value) for p in pattern)
    if isinstance(pattern, Mapping):
        getter = value.get if isinstance(value, Event | Mapping) else None
        return getter is not None and all(match(v, getter(k)) for k, v in pattern.items())
    if callable(pattern):
        return bool(pattern(value))
    return clj_eq(pattern, value)


def any_of(*patterns: object) -> Callable[[object], bool]:
    """Riemann's ``(field v1 v2 ...)`` in ``where``: the value matches any of ``patterns``.

    >>> where({"service": any_of("cpu", re.compile("^disk"))}, print)({"service": "mem"}) is False
    True
    """
    return lambda value: any(match(p, value) for p in patterns)


def predicate(spec: Predicate | Mapping[str, object]) -> Predicate:
    """A callable stays a predicate; a mapping ``{field: pattern}`` matches every field (AND)."""
    if isinstance(spec, Mapping):
        items = tuple(spec.items())
        return lambda e: all(match(p, e.get(k)) for k, p in items)
    return spec


def where(
    pred: Predicate | Mapping[str, object],
    *children: Stream,
    else_: Sequence[Stream] = (),
    on_error: ErrorReporter = log_errors,
) -> Callable[[Event], Any]:
    """Pass events for which ``pred`` is truthy to ``children``, others to ``else_``.

    Returns the predicate's raw value, so a ``where`` can itself serve as a predicate. No special
    handling of expired events: they are tested like any other (and usually lack a metric).

    >>> hits = []
    >>> s = where({"service": re.compile("cpu"), "state": {"warning", "critical"}}, hits.append)
    >>> s(Event(service="web cpu", state="critical")); len(hits)
    True
    1
    """
    test = predicate(pred)
    yes = fan_out(children, on_error)
    no = fan_out(else_, on_error)

    def stream(event: Event) -> Any:
        value = test(event)
        if value:
            yes(event)
        else:
            no(event)
        return value

    return stream


def split(
    *clauses: tuple[Predicate | Mapping[str, object], Stream],
    default: Stream | None = None,
    on_error: ErrorReporter = log_errors,
) -> Callable[[Event], None]:
    """Send each event to the stream of the **first** clause whose predicate holds, else ``default``.

    With no match and no default the event is silently dropped (Riemann's ``split``).

    >>> crit, rest = [], []
    >>> s = split((lambda e: e.metric > 90, crit.append), default=rest.append)
    >>> s(Event(metric=95)); s(Event(metric=1)); (len(crit), len(rest))
    (1, 1)
    """
    compiled = tuple((predicate(p), fan_out((c,), on_error)) for p, c in clauses)
    fallback = fan_out((default,) if default is not None else (), on_error)

    def stream(event: Event) -> None:
        for test, child in compiled:
            if test(event):
                child(event)
                return
        fallback(event)

    return stream


def splitp(
    pred: Callable[[Any, Any], Any],
    expr: Callable[[Event], Any],
    *clauses: tuple[Any, Stream],
    default: Stream | None = None,
    on_error: ErrorReporter = log_errors,
) -> Callable[[Event], None]:
    """Send each event to the first clause whose ``pred(test, expr(e))`` holds, else ``default``.

    Unlike :func:`split`, no match and no default raises ValueError (Riemann raises
    IllegalArgumentException), reported by the enclosing stream.

    >>> import operator
    >>> crit, warn = [], []
    >>> s = splitp(operator.lt, lambda e: e.metric, (90, crit.append), (50, warn.append))
    >>> s(Event(metric=95)); s(Event(metric=60)); (len(crit), len(warn))
    (1, 1)
    """
    compiled = tuple((test, fan_out((c,), on_error)) for test, c in clauses)
    fallback = fan_out((default,), on_error) if default is not None else None

    def stream(event: Event) -> None:
        value = expr(event)
        for test, child in compiled:
            if pred(test, value):
                child(event)
                return
        if fallback is None:
            raise ValueError(f"splitp: no clause matches {value!r} and there is no default")
        fallback(event)

    return stream


def _tag_list(tags: str | Iterable[str]) -> tuple[str, ...]:
    return (tags,) if isinstance(tags, str) else tuple(tags)


def tagged_all(
    tags: str | Iterable[str], *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], bool | None]:
    """Pass events carrying **all** of ``tags``; returns True, or None (usable as a predicate).

    >>> tagged_all(["a", "b"])(Event(tags=("a", "b", "c"))), tagged_all("a")(Event())
    (True, None)
    """
    wanted = frozenset(_tag_list(tags))
    emit = fan_out(children, on_error)

    def stream(event: Event) -> bool | None:
        if wanted.issubset(event.tags):
            emit(event)
            return True
        return None

    return stream


tagged = tagged_all
"""Riemann's alias for :func:`tagged_all`."""


def tagged_any(
    tags: str | Iterable[str], *children: Stream, on_error: ErrorReporter = log_errors
) -> Callable[[Event], bool | None]:
    """Pass events carrying **any** of ``tags``; returns True, or None.

    >>> tagged_any(["a", "z"])(Event(tags=("a",))), tagged_any(["z"])(Event(tags=("a",)))
    (True, None)
    """
    wanted = frozenset(_tag_list(tags))
    emit = fan_out(children, on_error)

    def stream(event: Event) -> bool | None:
        if not wanted.isdisjoint(event.tags):
            emit(event)
            return True
        return None

    return stream


def over(x: float, *children: Stream, on_error: ErrorReporter = log_errors) -> Callable[[Event], None]:
    """Pass events whose metric is strictly greater than ``x``; a None metric is dropped.

    >>> got = []; s = over(5, got.append)
    >>> s(Event(metric=5)); s(Event(metric=6)); s(Event()); [e.metric for e in got]
    [6]
    """
    emit = fan_out(children, on_error)

    def stream(event: Event) -> None:
        m = event.metric
        if m is not None and m > x:
            emit(event)

    return stream


def under(x: float, *children: Stream, on_error: ErrorReporter = log_errors) -> Callable[[Event], None]:
    """Pass events whose metric is strictly less than ``x``; a None metric is dropped.

    >>> got = []; s = under(5, got.append)
    >>> s(Event(metric=5)); s(Event(metric=4)); [e.metric for e in got]
    [4]
    """
    emit = fan_out(children, on_error)

    def stream(event: Event) -> None:
        m = event.metric
        if m is not None and m < x:
            emit(event)

    return stream


def expired(ctx: StreamContext, *children: Stream) -> Callable[[Event], None]:
    """Pass events that are streams-``expired?`` at scheduler time (state "expired", or older than
    ``ttl``, **default 60 s**, strictly).

    >>> from alerter.streams.time import Scheduler
    >>> ctx = StreamContext(Scheduler.controlled(100.0)); got = []
    >>> s = expired(ctx, got.append)
    >>> s(Event(time=40.0)); s(Event(time=39.0)); s(Event(state="expired")); len(got)
    2
    """
    emit = fan_out(children, ctx.on_error)
    now = ctx.now

    def stream(event: Event) -> None:
        if is_expired(event, now()):
            emit(event)

    return stream


def not_expired(ctx: StreamContext, *children: Stream) -> Callable[[Event], None]:
    """Pass events that are not streams-``expired?`` (the complement of :func:`expired`).

    >>> from alerter.streams.time import Scheduler
    >>> got = []; s = not_expired(StreamContext(Scheduler.controlled(100.0)), got.append)
    >>> s(Event(time=40.0)); s(Event(time=39.0)); len(got)
    1
    """
    emit = fan_out(children, ctx.on_error)
    now = ctx.now

    def stream(event: Event) -> None:
        if not is_expired(event, now()):
            emit(event)

    return stream
