"""with_/default/tag/untag/smap/sreduce/counter/project: Riemann's transformation rules."""

from __future__ import annotations

from alerter.model import Event
from alerter.streams import (
    Scheduler,
    StreamContext,
    counter,
    default,
    project,
    sflatten,
    smap,
    smapcat,
    sreduce,
    tag,
    untag,
    with_,
)


def test_with_overrides_and_none_removes() -> None:
    got: list[Event] = []
    s = with_({"state": "critical", "host": None, "team": "db", "tags": None}, got.append)
    s(Event(host="a", state="ok", tags=("x",), attributes={"team": "web", "env": "prod"}))
    e = got[0]
    assert (e.host, e.state, e.tags, dict(e.attributes)) == (
        None,
        "critical",
        (),
        {"team": "db", "env": "prod"},
    )


def test_with_on_a_list_and_empty_mapping() -> None:
    got: list[object] = []
    e1, e2 = Event(metric=1), Event(metric=2)
    with_({"service": "x"}, got.append)([e1, e2])
    with_({}, got.append)(e1)
    assert [e.service for e in got[0]] == ["x", "x"]  # type: ignore[attr-defined]
    assert got[1] is e1


def test_default_fills_only_missing_values() -> None:
    got: list[Event] = []
    s = default({"ttl": 300.0, "state": "ok", "tags": ("d",), "team": "ops"}, got.append)
    s(Event(state="critical", ttl=None, tags=(), attributes={"team": "db"}))
    s(Event(state=None, ttl=5.0, tags=("x",)))
    assert [(e.state, e.ttl, e.tags, e.attributes.get("team")) for e in got] == [
        ("critical", 300.0, ("d",), "db"),
        ("ok", 5.0, ("x",), "ops"),
    ]


def test_tag_puts_new_tags_first_without_duplicates_and_untag_removes() -> None:
    got: list[Event] = []
    tag("b", got.append)(Event(tags=("a", "b")))
    tag(["c", "a"], got.append)(Event())
    untag(["a", "z"], got.append)(Event(tags=("a", "b")))
    untag("a", got.append)(Event())
    assert [e.tags for e in got] == [("b", "a"), ("c", "a"), ("b",), ()]


def test_smap_drops_none_forwards_false_and_keep_none() -> None:
    got: list[object] = []
    values = [1, None, False, 0]
    s = smap(lambda v: v, got.append)
    star = smap(lambda v: v, got.append, keep_none=True)
    for v in values:
        s(v)
    assert got == [1, False, 0]
    got.clear()
    for v in values:
        star(v)
    assert got == values


def test_smapcat_and_sflatten() -> None:
    got: list[int] = []
    smapcat(lambda n: range(n), got.append)(3)
    sflatten(got.append)([7, 8])
    assert got == [0, 1, 2, 7, 8]


def test_sreduce_with_and_without_init() -> None:
    with_init: list[int] = []
    without: list[int] = []
    a = sreduce(lambda acc, x: acc + x, with_init.append, init=10)
    b = sreduce(lambda acc, x: acc + x, without.append)
    for x in [1, 2, 3]:
        a(x)
        b(x)
    assert with_init == [11, 13, 16]
    assert without == [3, 6]  # the first value becomes acc and emits nothing


def test_counter_sums_resets_and_skips_missing_metrics() -> None:
    got: list[Event] = []
    s = counter(got.append)
    for m, tags in [(1, ()), (None, ()), (2, ()), (10, ("reset",)), (0, ()), (3, ())]:
        s(Event(metric=m, tags=tags))
    assert [e.metric for e in got] == [1, 3, 10, 10, 13]


def test_project_emits_slots_and_expires_each_once() -> None:
    sched = Scheduler.controlled(100.0)
    got: list[list[Event | None]] = []
    s = project(StreamContext(sched), [lambda e: e.service == "a", lambda e: e.service == "b"], got.append)
    a = Event(host="h", service="a", metric=1, time=100.0, ttl=10.0)
    s(a)
    s(Event(service="zzz", time=100.0))  # matches nothing: nothing emitted
    assert got == [[a, None]]
    sched.advance(120)
    b = Event(service="b", metric=2, time=120.0)
    s(b)
    assert got[-1] == [Event(host="h", service="a", state="expired", time=120.0), b]
    s(b)
    assert got[-1] == [None, b]  # the expired slot was cleared after one emission
