"""changed (first from nil, not per host), changed_state (per series, snapshot), stable, runs."""

from __future__ import annotations

import json

import pytest

from alerter.model import Event
from alerter.streams import Scheduler, StreamContext, by, changed, changed_state, runs, stable


def _states(events: list[Event]) -> list[str | None]:
    return [e.state for e in events]


@pytest.mark.parametrize(
    ("states", "init", "expected"),
    [
        ([None, "ok", "ok", "critical", "ok"], None, ["ok", "critical", "ok"]),  # first nil not emitted
        (["ok", "ok"], None, ["ok"]),  # first non-nil always emitted (from nil)
        (["ok", "ok", "warning"], "ok", ["warning"]),  # init suppresses the first
        (["ok", None, None, "ok"], None, ["ok", None, "ok"]),
        (["expired", "expired", "ok"], None, ["expired", "ok"]),
    ],
)
def test_changed_table(states: list[str | None], init: str | None, expected: list[str | None]) -> None:
    got: list[Event] = []
    s = changed("state", got.append, init=init)
    for st in states:
        s(Event(state=st))
    assert _states(got) == expected


def test_changed_is_not_per_host() -> None:
    got: list[Event] = []
    s = changed("state", got.append)
    for h, st in [("a", "ok"), ("b", "ok"), ("b", "critical"), ("a", "critical")]:
        s(Event(host=h, state=st))
    assert [(e.host, e.state) for e in got] == [("a", "ok"), ("b", "critical")]


def test_changed_uses_clojure_equality_and_functions() -> None:
    got: list[Event] = []
    s = changed(lambda e: e.metric, got.append)
    for m in [1, 1.0, 1.0, 2]:
        s(Event(metric=m))
    assert [e.metric for e in got] == [1, 1.0, 2]


def test_changed_pairs() -> None:
    got: list[tuple[Event | None, Event]] = []
    s = changed("state", got.append, pairs=True)
    a, b, c = Event(state="ok"), Event(state="ok"), Event(state="critical")
    for e in (a, b, c):
        s(e)
    assert got == [(None, a), (b, c)]


def test_changed_snapshot_restore_survives_a_restart() -> None:
    s = changed("state", [].append)
    s(Event(state="ok"))
    got: list[Event] = []
    fresh = changed("state", got.append)
    fresh.restore(json.loads(json.dumps(s.snapshot())))
    fresh(Event(state="ok"))
    fresh(Event(state="critical"))
    assert _states(got) == ["critical"]


def test_changed_state_keys_on_host_and_service_and_emits_expired() -> None:
    got: list[Event] = []
    s = changed_state(got.append)
    seq = [
        ("a", "cpu", "ok"),
        ("a", "mem", "ok"),
        ("b", "cpu", "ok"),
        ("a", "cpu", "ok"),
        ("a", "cpu", "expired"),
        ("a", "cpu", "ok"),
        ("b", "cpu", "ok"),
    ]
    for h, svc, st in seq:
        s(Event(host=h, service=svc, state=st))
    assert [(e.host, e.service, e.state) for e in got] == [
        ("a", "cpu", "ok"),
        ("a", "mem", "ok"),
        ("b", "cpu", "ok"),
        ("a", "cpu", "expired"),
        ("a", "cpu", "ok"),
    ]
    assert len(s) == 3


def test_changed_state_init_and_pairs() -> None:
    got: list[object] = []
    s = changed_state(got.append, init="ok", pairs=True)
    e1, e2 = Event(host="a", state="ok"), Event(host="a", state="critical")
    s(e1)
    s(e2)
    assert got == [(e1, e2)]


def test_changed_state_snapshot_is_json_and_restores_per_key() -> None:
    s = changed_state([].append)
    for h in ["a", "b"]:
        s(Event(host=h, service="cpu", state="critical"))
    snap = json.loads(json.dumps(s.snapshot()))
    assert sorted(snap) == [["a", "cpu", "critical"], ["b", "cpu", "critical"]]
    got: list[Event] = []
    restored = changed_state(got.append)
    restored.restore(snap)
    restored(Event(host="a", service="cpu", state="critical"))
    restored(Event(host="b", service="cpu", state="ok"))
    restored(Event(host="c", service="cpu", state="ok"))
    assert [(e.host, e.state) for e in got] == [("b", "ok"), ("c", "ok")]


def test_by_changed_state_snapshot_round_trip() -> None:
    s = by(("host", "service"), lambda: changed_state([].append))
    s(Event(host="a", service="cpu", state="warning"))
    got: list[Event] = []
    fresh = by(("host", "service"), lambda: changed_state(got.append))
    fresh.restore(json.loads(json.dumps(s.snapshot())))
    fresh(Event(host="a", service="cpu", state="warning"))
    assert got == []
    assert fresh.keys() == [("a", "cpu")]


def test_stable_passes_events_once_value_held_for_dt() -> None:
    sched = Scheduler.controlled(0.0)
    got: list[Event] = []
    s = stable(StreamContext(sched), 10, "state", got.append)
    s(Event(state="ok", time=0.0))
    s(Event(state="ok", time=4.0))
    assert got == []
    s(Event(state="ok", time=10.0))  # event time reaches first + dt: whole buffer released
    assert [e.time for e in got] == [0.0, 4.0, 10.0]
    s(Event(state="ok", time=11.0))  # stable with an empty buffer: straight through
    assert [e.time for e in got] == [0.0, 4.0, 10.0, 11.0]


def test_stable_change_discards_buffer_and_timer_flushes() -> None:
    sched = Scheduler.controlled(0.0)
    got: list[Event] = []
    s = stable(StreamContext(sched), 10, "state", got.append)
    s(Event(state="ok", time=0.0))
    sched.advance(5)
    s(Event(state="critical", time=5.0))  # ok buffer dropped; timer at 15
    s(Event(state="critical", time=6.0))
    sched.advance(10)  # the first timer (at 10) finds the critical buffer too young
    assert got == []
    sched.advance(15)
    assert [(e.state, e.time) for e in got] == [("critical", 5.0), ("critical", 6.0)]


def test_stable_flapping_never_emits() -> None:
    sched = Scheduler.controlled(0.0)
    got: list[Event] = []
    s = stable(StreamContext(sched), 10, "state", got.append)
    for t in range(20):
        sched.advance(float(t))
        s(Event(state="ok" if t % 2 else "critical", time=float(t)))
    sched.advance(28.9)
    assert got == []
    sched.advance(29)  # the last value's timer: held for dt at last
    assert [e.time for e in got] == [19.0]


@pytest.mark.parametrize(
    ("n", "states", "emitted_at"),
    [
        (3, ["a", "a", "a", "a", "b", "a"], [2, 3]),
        (1, ["a", "b"], [0, 1]),
        (0, ["a", "a"], []),
        (2, ["a", "b", "a", "b"], []),
    ],
)
def test_runs(n: int, states: list[str], emitted_at: list[int]) -> None:
    got: list[Event] = []
    s = runs(n, "state", got.append)
    events = [Event(state=st, metric=i) for i, st in enumerate(states)]
    for e in events:
        s(e)
    assert [e.metric for e in got] == emitted_at


def test_stable_refuses_untimed_events() -> None:
    s = stable(StreamContext(Scheduler.controlled(0.0)), 10, "state")
    with pytest.raises(ValueError, match="stable: event without time"):
        s(Event(host="a", state="ok"))
