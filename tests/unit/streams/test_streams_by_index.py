"""by (forks per key, snapshot/restore) and the index with TTL expiry and its reaper."""

from __future__ import annotations

import json

import pytest

from alerter.model import Event
from alerter.streams import (
    ErrorCollector,
    Index,
    Scheduler,
    StreamContext,
    by,
    by_builder,
    changed,
    periodically_expire,
    sreduce,
)


def test_by_forks_fresh_children_per_key_including_none() -> None:
    got: list[tuple[object, int]] = []
    counts: list[tuple[str | None, int]] = []
    s = by("host", lambda: sreduce(lambda acc, e: (e.host, acc[1] + 1), counts.append, init=(None, 0)))
    built: list[object] = []
    s2 = by_builder(
        ["host", "team"], lambda key: (built.append(key), lambda e: got.append((key, e.metric)))[1]
    )
    for h in ["a", None, "a", "b"]:
        s(Event(host=h))
        s2(Event(host=h, metric=1, attributes={"team": "db"}))
    assert set(s.keys()) == {"a", "b", None}
    assert counts == [("a", 1), (None, 1), ("a", 2), ("b", 1)]  # each key has its own fold
    assert built == [("a", "db"), (None, "db"), ("b", "db")]
    assert got[2] == (("a", "db"), 1)


def test_by_with_several_children_and_isolation() -> None:
    errors = ErrorCollector()
    good: list[Event] = []

    def boom(_: Event) -> None:
        raise RuntimeError("fork child failed")

    s = by("host", lambda: [boom, good.append], on_error=errors)
    s(Event(host="a"))
    assert len(good) == 1 and len(errors.failures) == 1


def test_by_function_key_and_snapshot_of_stateless_forks() -> None:
    s = by(lambda e: e.metric > 5, lambda: print)
    s(Event(metric=9))
    assert s.snapshot() == [[True, None]]


def test_by_restore_changed_per_key() -> None:
    s = by("host", lambda: changed("state", [].append))
    s(Event(host="a", state="ok"))
    got: list[Event] = []
    fresh = by("host", lambda: changed("state", got.append))
    fresh.restore(json.loads(json.dumps(s.snapshot())))
    fresh(Event(host="a", state="ok"))
    fresh(Event(host="b", state="ok"))
    assert [e.host for e in got] == ["b"]
    assert len(fresh) == 2


def test_index_replaces_deletes_on_expired_and_refuses_untimed() -> None:
    idx = Index()
    idx(Event(host="a", service="cpu", metric=1, time=0.0, attributes={"x": "1"}))
    idx(Event(host="a", service="cpu", metric=2, time=1.0))
    e = idx.lookup("a", "cpu")
    assert e is not None and e.metric == 2 and dict(e.attributes) == {}  # replaced, not merged
    idx(Event(host="a", service="cpu", state="expired", time=2.0))
    assert idx.lookup("a", "cpu") is None and len(idx) == 0
    with pytest.raises(ValueError, match="without time"):
        idx(Event(host="a", service="cpu"))


def test_index_expire_default_ttl_and_strictness() -> None:
    idx = Index()
    idx(Event(host="no-ttl", time=0.0))
    idx(Event(host="ttl-10", time=0.0, ttl=10.0))
    idx(Event(host="long", time=0.0, ttl=1000.0))
    assert idx.expire(10.0) == []
    assert [e.host for e in idx.expire(10.5)] == ["ttl-10"]
    assert idx.expire(60.0) == []
    assert [e.host for e in idx.expire(60.5)] == ["no-ttl"]
    assert [e.host for e in idx.search(lambda e: e.ttl is not None)] == ["long"]


def test_index_snapshot_restore_and_delete() -> None:
    idx = Index()
    idx(Event(host="a", service="cpu", state="ok", metric=1.5, time=3.0, tags=("t",)))
    fresh = Index()
    fresh.restore(json.loads(json.dumps(idx.snapshot())))
    assert list(fresh) == list(idx)
    fresh.delete(Event(host="a", service="cpu"))
    assert len(fresh) == 0


def test_reaper_emits_host_service_with_reap_time() -> None:
    sched = Scheduler.controlled(0.0)
    ctx = StreamContext(sched)
    idx = Index()
    got: list[Event] = []
    idx(Event(host="a", service="cpu", state="critical", metric=9, time=0.0, ttl=3.0, tags=("x",)))
    idx(Event(service="orphan", time=0.0, ttl=25.0))
    idx(Event(host="b", service="cpu", time=0.0))  # default ttl 60
    task = periodically_expire(ctx, idx, got.append, interval=10)
    sched.advance(9.9)
    assert got == []
    sched.advance(30)
    assert got == [
        Event(host="a", service="cpu", state="expired", time=10.0),
        Event(service="orphan", state="expired", time=30.0),
    ]
    sched.advance(70)
    assert got[-1] == Event(host="b", service="cpu", state="expired", time=70.0)
    sched.cancel(task)
    idx(Event(host="c", time=70.0, ttl=1.0))
    sched.advance(200)
    assert len(got) == 3


def test_reaper_keep_keys_custom_and_all() -> None:
    sched = Scheduler.controlled(0.0)
    ctx = StreamContext(sched)
    idx_a, idx_b = Index(), Index()
    e = Event(host="a", service="cpu", metric=3, time=0.0, ttl=1.0, attributes={"team": "db"})
    idx_a(e)
    idx_b(e)
    custom: list[Event] = []
    everything: list[Event] = []
    periodically_expire(ctx, idx_a, custom.append, interval=5, keep_keys=("host", "team", "description"))
    periodically_expire(ctx, idx_b, everything.append, interval=5, keep_keys="all")
    sched.advance(5)
    assert custom == [Event(host="a", state="expired", time=5.0, attributes={"team": "db"})]
    assert everything == [e.with_(state="expired", time=5.0)]
