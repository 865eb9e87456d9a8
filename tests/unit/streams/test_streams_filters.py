"""where/match/split/tagged/over/under/expired: Riemann's match rules, table-driven."""

from __future__ import annotations

import re

import pytest

from alerter.model import Event
from alerter.streams import (
    ErrorCollector,
    Scheduler,
    StreamContext,
    any_of,
    clj_eq,
    expired,
    match,
    not_expired,
    over,
    sdo,
    split,
    splitp,
    tagged,
    tagged_all,
    tagged_any,
    under,
    where,
)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        (None, None, True),
        (None, "x", False),
        ("x", None, False),
        (re.compile("cpu"), "host cpu load", True),  # unanchored search
        (re.compile("^cpu"), "host cpu", False),
        (re.compile("cpu"), None, False),
        (re.compile("1"), 1, False),  # non-string value
        ({"ok", "warning"}, "ok", True),
        ({"ok", "warning"}, "critical", False),
        ({1}, 1.0, False),  # membership with Clojure =
        (lambda v: v > 3, 5, True),
        (lambda v: v > 3, 1, False),
        (1, 1, True),
        (1, 1.0, False),  # Clojure: (= 1 1.0) is false
        (True, 1, False),
        ("ok", "ok", True),
        ({"host": "a", "service": re.compile("cpu")}, Event(host="a", service="x cpu"), True),
        ({"host": "a"}, Event(host="b"), False),
        ({"team": "db"}, {"team": "db"}, True),
        ({"team": "db"}, "db", False),
    ],
)
def test_match_table(pattern: object, value: object, expected: bool) -> None:
    assert match(pattern, value) is expected


@pytest.mark.parametrize(
    ("a", "b", "eq"),
    [
        (1, 1, True),
        (1, 1.0, False),
        (0, False, False),
        ("a", "a", True),
        (None, None, True),
        (2.5, 2.5, True),
    ],
)
def test_clj_eq(a: object, b: object, eq: bool) -> None:
    assert clj_eq(a, b) is eq


def test_where_routes_true_and_else_and_returns_the_raw_value() -> None:
    yes: list[Event] = []
    no: list[Event] = []
    s = where(lambda e: e.metric, yes.append, else_=[no.append])
    assert s(Event(metric=2)) == 2
    assert s(Event(metric=0)) == 0
    assert s(Event()) is None
    assert [e.metric for e in yes] == [2]
    assert [e.metric for e in no] == [0, None]


def test_where_mapping_with_any_of() -> None:
    got: list[Event] = []
    s = where({"service": any_of("cpu", re.compile("^disk")), "state": {"warning", "critical"}}, got.append)
    for svc, st in [("cpu", "critical"), ("disk /", "warning"), ("memdisk", "critical"), ("cpu", "ok")]:
        s(Event(service=svc, state=st))
    assert [(e.service, e.state) for e in got] == [("cpu", "critical"), ("disk /", "warning")]


def test_where_treats_expired_events_like_any_other() -> None:
    got: list[Event] = []
    where({"state": "expired"}, got.append)(Event(state="expired"))
    assert len(got) == 1


def test_predicate_exception_escapes_where_and_the_parent_isolates_it() -> None:
    errors = ErrorCollector()
    got: list[Event] = []
    s = sdo(where(lambda e: e.metric > 5, got.append), got.append, on_error=errors)
    s(Event())  # None > 5 raises, as Riemann's (> metric 5) on a nil metric
    assert len(got) == 1  # the sibling still ran
    assert isinstance(errors.failures[0].exception, TypeError)


def test_split_first_match_wins_default_and_silent_drop() -> None:
    a: list[Event] = []
    b: list[Event] = []
    d: list[Event] = []
    s = split((lambda e: e.metric > 90, a.append), (lambda e: e.metric > 50, b.append), default=d.append)
    for m in [95, 60, 10]:
        s(Event(metric=m))
    assert ([e.metric for e in a], [e.metric for e in b], [e.metric for e in d]) == ([95], [60], [10])
    no_default: list[Event] = []
    split(({"state": "critical"}, no_default.append))(Event(state="ok"))
    assert no_default == []


@pytest.mark.parametrize(
    ("tags", "event_tags", "all_", "any_"),
    [
        ("a", ("a", "b"), True, True),
        (["a", "b"], ("a",), None, True),
        (["a", "b"], ("b", "a", "c"), True, True),
        (["z"], (), None, None),
        ([], (), True, None),
    ],
)
def test_tagged_all_and_any(
    tags: list[str] | str, event_tags: tuple[str, ...], all_: bool | None, any_: bool | None
) -> None:
    got: list[Event] = []
    e = Event(tags=event_tags)
    assert tagged_all(tags, got.append)(e) is all_
    assert tagged_any(tags, got.append)(e) is any_
    assert tagged is tagged_all
    assert len(got) == (all_ is True) + (any_ is True)


@pytest.mark.parametrize(
    ("metric", "over5", "under5"),
    [(6, True, False), (5, False, False), (4, False, True), (None, False, False), (0, False, True)],
)
def test_over_under_strict_and_drop_nil(metric: float | None, over5: bool, under5: bool) -> None:
    o: list[Event] = []
    u: list[Event] = []
    over(5, o.append)(Event(metric=metric))
    under(5, u.append)(Event(metric=metric))
    assert (bool(o), bool(u)) == (over5, under5)


def test_expired_and_not_expired_use_scheduler_time_and_default_ttl() -> None:
    ctx = StreamContext(Scheduler.controlled(1000.0))
    dead: list[Event] = []
    alive: list[Event] = []
    events = [
        Event(time=940.0),
        Event(time=939.0),
        Event(time=0.0, ttl=2000.0),
        Event(state="expired"),
        Event(),
    ]
    for e in events:
        expired(ctx, dead.append)(e)
        not_expired(ctx, alive.append)(e)
    assert dead == [events[1], events[3]]
    assert alive == [events[0], events[2], events[4]]


def test_splitp_first_clause_default_and_no_match_raises() -> None:
    import operator

    crit: list[Event] = []
    warn: list[Event] = []
    rest: list[Event] = []
    s = splitp(operator.lt, lambda e: e.metric, (90, crit.append), (50, warn.append), default=rest.append)
    for m in [95, 60, 10]:
        s(Event(metric=m))
    assert [len(crit), len(warn), len(rest)] == [1, 1, 1]
    strict = splitp(operator.eq, lambda e: e.state, ("critical", crit.append))
    with pytest.raises(ValueError, match="no clause matches 'ok'"):
        strict(Event(state="ok"))
