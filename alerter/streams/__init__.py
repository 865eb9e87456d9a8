"""Riemann-style stream vocabulary: where, by, changed_state, throttle, rollup, coalesce, index, ...

Place in the flow: evaluate -> **streams** -> incidents. A stream is a callable taking one event
(or a list of events) and passing results to its children; an exception in one child is isolated
and reported to an injected error reporter. Names and semantics follow Riemann's
``riemann.streams`` (snake_case; ``with`` is ``with_``), including its surprises, so Riemann users
are at home: the 60 s default ttl in expiry checks, wall-clock windows anchored at construction,
``changed`` starting from None, unanchored regex matching. See /work/shared/riemann-semantics.md.

Streams that need time take a :class:`StreamContext` (scheduler + error reporter) as their first
argument; tests drive it with ``Scheduler.controlled(start).advance(t)`` and never sleep.

>>> ctx = StreamContext(Scheduler.controlled(0.0))
>>> idx = Index()
>>> pipeline = where(lambda e: e.service == "cpu", by(("host", "service"), lambda: changed_state(idx)))
>>> pipeline(Event(host="a", service="cpu", state="ok", time=0.0))
True
>>> idx.lookup("a", "cpu").state
'ok'
"""

from alerter.model import Event
from alerter.streams.by import By, by, by_builder
from alerter.streams.changes import Changed, ChangedState, Stable, changed, changed_state, runs, stable
from alerter.streams.core import (
    DEFAULT_TTL,
    ErrorCollector,
    ErrorReporter,
    Fanout,
    Stream,
    StreamContext,
    StreamFailure,
    call_children,
    exception_event,
    expire,
    fan_out,
    is_expired,
    log_errors,
)
from alerter.streams.filters import (
    any_of,
    clj_eq,
    expired,
    match,
    not_expired,
    over,
    split,
    splitp,
    tagged,
    tagged_all,
    tagged_any,
    under,
    where,
)
from alerter.streams.flow import PartTimeSimple, batch, coalesce, rollup, throttle
from alerter.streams.folds import (
    counter,
    default,
    project,
    sdo,
    sflatten,
    smap,
    smapcat,
    sreduce,
    tag,
    untag,
    with_,
)
from alerter.streams.index import Index, periodically_expire
from alerter.streams.rates import (
    Ticker,
    ddt,
    ddt_real,
    ewma,
    ewma_timeless,
    part_time_fast,
    percentiles,
    rate,
)
from alerter.streams.time import Scheduler, Task, drive
from alerter.streams.windows import (
    fixed_event_window,
    fixed_offset_time_window,
    fixed_time_window,
    moving_event_window,
    moving_time_window,
)

__all__ = [
    "DEFAULT_TTL",
    "By",
    "Changed",
    "ChangedState",
    "ErrorCollector",
    "ErrorReporter",
    "Event",
    "Fanout",
    "Index",
    "PartTimeSimple",
    "Scheduler",
    "Stable",
    "Stream",
    "StreamContext",
    "StreamFailure",
    "Task",
    "Ticker",
    "any_of",
    "batch",
    "by",
    "by_builder",
    "call_children",
    "changed",
    "changed_state",
    "clj_eq",
    "coalesce",
    "counter",
    "ddt",
    "ddt_real",
    "default",
    "drive",
    "ewma",
    "ewma_timeless",
    "exception_event",
    "expire",
    "expired",
    "fan_out",
    "fixed_event_window",
    "fixed_offset_time_window",
    "fixed_time_window",
    "is_expired",
    "log_errors",
    "match",
    "moving_event_window",
    "moving_time_window",
    "not_expired",
    "over",
    "part_time_fast",
    "percentiles",
    "periodically_expire",
    "project",
    "rate",
    "rollup",
    "runs",
    "sdo",
    "sflatten",
    "smap",
    "smapcat",
    "split",
    "splitp",
    "sreduce",
    "stable",
    "tag",
    "tagged",
    "tagged_all",
    "tagged_any",
    "throttle",
    "under",
    "untag",
    "where",
    "with_",
]
