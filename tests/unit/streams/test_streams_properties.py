"""Property tests (hypothesis) for the stream invariants the project relies on.

* throttle never passes more than n per dt window (and passes exactly min(n, arrivals), no delay);
* by keeps keys apart: each key's children see exactly that key's events, in order;
* rollup and batch forward every event exactly once, now or in a later flush;
* windows lose nothing but what their semantics drop;
* changed_state and the index agree with a plain-dict model.
"""

from __future__ import annotations

import math
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from alerter.model import Event
from alerter.streams import (
    Index,
    Scheduler,
    StreamContext,
    batch,
    by,
    changed_state,
    fixed_event_window,
    fixed_time_window,
    moving_event_window,
    moving_time_window,
    rollup,
    sflatten,
    throttle,
)

settings.register_profile("streams", max_examples=100, deadline=None)
settings.load_profile("streams")

# Times are multiples of 1/4 s: exact in binary, so window boundaries are decided exactly.
quarters = st.integers(0, 28).map(lambda k: k * 0.25)
gaps = st.lists(quarters, min_size=0, max_size=60)
anchors = st.integers(0, 400).map(lambda k: k * 0.25)


def _arrivals(anchor: float, steps: list[float]) -> list[float]:
    out, t = [], anchor
    for g in steps:
        t += g
        out.append(t)
    return out


@given(anchor=anchors, steps=gaps, n=st.integers(0, 4), dt=st.sampled_from([1.0, 2.5, 5.0, 10.0]))
def test_throttle_never_passes_more_than_n_per_window(
    anchor: float, steps: list[float], n: int, dt: float
) -> None:
    sched = Scheduler.controlled(anchor)
    passed: list[float] = []
    s = throttle(StreamContext(sched), n, dt, lambda e: passed.append(sched.now()))
    arrivals = _arrivals(anchor, steps)
    for t in arrivals:
        sched.advance(t)
        s(Event(time=t))
    per_window_in: dict[int, int] = defaultdict(int)
    for t in arrivals:
        per_window_in[math.floor((t - anchor) / dt)] += 1
    per_window_out: dict[int, int] = defaultdict(int)
    for t in passed:
        per_window_out[math.floor((t - anchor) / dt)] += 1
    assert all(c <= n for c in per_window_out.values())
    assert {k: min(n, c) for k, c in per_window_in.items() if min(n, c)} == dict(per_window_out)


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.integers(0, 99)), max_size=80))
def test_by_keeps_keys_apart(items: list[tuple[str | None, int]]) -> None:
    seen: dict[object, list[int]] = defaultdict(list)
    forks: list[list[tuple[str | None, int]]] = []

    def build() -> object:
        mine: list[tuple[str | None, int]] = []
        forks.append(mine)
        return lambda e: mine.append((e.host, e.metric))

    s = by("host", build)
    for host, m in items:
        s(Event(host=host, metric=m))
        seen[host].append(m)
    assert len(forks) == len(seen)
    for mine in forks:
        hosts = {h for h, _ in mine}
        assert len(hosts) == 1
        (host,) = hosts
        assert [m for _, m in mine] == seen[host]


@given(anchor=anchors, steps=gaps, n=st.integers(0, 4), dt=st.sampled_from([1.0, 3.0, 10.0]))
def test_rollup_forwards_every_event_now_or_later(
    anchor: float, steps: list[float], n: int, dt: float
) -> None:
    sched = Scheduler.controlled(anchor)
    out: list[int] = []
    flushes: list[list[int]] = []

    def child(events: list[Event]) -> None:
        flushes.append([e.metric for e in events])  # type: ignore[misc]
        sflatten(lambda e: out.append(e.metric))(events)

    s = rollup(StreamContext(sched), n, dt, child)
    arrivals = _arrivals(anchor, steps)
    for i, t in enumerate(arrivals):
        sched.advance(t)
        s(Event(metric=i, time=t))
    sched.advance((arrivals[-1] if arrivals else anchor) + 2 * dt)
    assert out == list(range(len(arrivals)))  # every event once, in order
    assert all(flushes)


@given(anchor=anchors, steps=gaps, n=st.integers(1, 5), dt=st.sampled_from([1.0, 3.0, 10.0]))
def test_batch_forwards_every_event_once_in_lists_of_at_most_n(
    anchor: float, steps: list[float], n: int, dt: float
) -> None:
    sched = Scheduler.controlled(anchor)
    batches: list[list[int]] = []
    s = batch(StreamContext(sched), n, dt, lambda es: batches.append([e.metric for e in es]))
    arrivals = _arrivals(anchor, steps)
    for i, t in enumerate(arrivals):
        sched.advance(t)
        s(Event(metric=i, time=t))
    sched.advance((arrivals[-1] if arrivals else anchor) + 2 * dt)
    assert [m for b in batches for m in b] == list(range(len(arrivals)))
    assert all(0 < len(b) <= n for b in batches)


@given(count=st.integers(0, 40), n=st.integers(0, 6))
def test_event_windows_lose_nothing(count: int, n: int) -> None:
    fixed: list[list[int]] = []
    moving: list[list[int]] = []
    f = fixed_event_window(n, lambda w: fixed.append([e.metric for e in w]))
    m = moving_event_window(n, lambda w: moving.append([e.metric for e in w]))
    for i in range(count):
        f(Event(metric=i))
        m(Event(metric=i))
    complete = (count // n) * n if n else 0
    assert [x for w in fixed for x in w] == list(range(complete))
    assert all(len(w) == n for w in fixed)
    assert moving == [list(range(max(0, i + 1 - n), i + 1)) for i in range(count)]


@given(st.lists(st.integers(0, 120).map(lambda k: k * 0.25), max_size=50), st.sampled_from([1.0, 5.0, 7.5]))
def test_fixed_time_window_with_ordered_times_loses_only_the_open_window(
    steps: list[float], n: float
) -> None:
    times = _arrivals(0.0, steps)
    windows: list[list[float]] = []
    s = fixed_time_window(n, lambda w: windows.append([e.time for e in w]))  # type: ignore[misc]
    for t in times:
        s(Event(time=t))
    emitted = [t for w in windows for t in w]
    assert emitted == times[: len(emitted)]
    if times:
        start = times[0]
        for k, w in enumerate(windows):  # window k holds exactly the events of [start+kn, start+(k+1)n)
            assert all(start + k * n <= t < start + (k + 1) * n for t in w)
        open_window = times[len(emitted) :]
        assert all(t >= start + len(windows) * n for t in open_window)


@given(
    st.lists(st.integers(1, 40).map(lambda k: k * 0.25), min_size=1, max_size=40),
    st.sampled_from([0.5, 3.0, 20.0]),
)
def test_moving_time_window_with_ordered_times_emits_the_last_n_seconds(steps: list[float], n: float) -> None:
    times = _arrivals(0.0, steps)
    windows: list[list[float]] = []
    s = moving_time_window(n, lambda w: windows.append([e.time for e in w]))  # type: ignore[misc]
    for t in times:
        s(Event(time=t))
    expected = [[u for u in times[: i + 1] if u > max(0.0, t - n)] for i, t in enumerate(times)]
    assert windows == [w for w in expected if w]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            st.sampled_from(["x", "y"]),
            st.sampled_from(["ok", "warning", "critical", "expired"]),
        ),
        max_size=60,
    )
)
def test_changed_state_and_index_agree_with_a_dict_model(items: list[tuple[str, str, str]]) -> None:
    idx = Index()
    emitted: list[tuple[str | None, str | None, str | None]] = []
    s = changed_state(lambda e: (emitted.append((e.host, e.service, e.state)), idx(e)))
    prev: dict[tuple[str, str], str] = {}
    model_out = []
    model_index: dict[tuple[str, str], str] = {}
    for i, (h, svc, state) in enumerate(items):
        s(Event(host=h, service=svc, state=state, time=float(i)))
        if prev.get((h, svc)) != state:
            model_out.append((h, svc, state))
            if state == "expired":
                model_index.pop((h, svc), None)
            else:
                model_index[(h, svc)] = state
        prev[(h, svc)] = state
    assert emitted == model_out
    assert {(e.host, e.service): e.state for e in idx} == model_index
