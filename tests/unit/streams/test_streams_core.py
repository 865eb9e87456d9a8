"""Composition: child isolation, error reporting as data, streams expired?, expire, doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

from alerter.model import Event
from alerter.streams import (
    DEFAULT_TTL,
    ErrorCollector,
    Fanout,
    call_children,
    exception_event,
    expire,
    fan_out,
    is_expired,
    sdo,
)

MODULES = ["core", "time", "filters", "changes", "windows", "folds", "rates", "flow", "by", "index"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(f"alerter.streams.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0
    assert result.attempted > 0


def test_package_example_holds() -> None:
    import alerter.streams

    assert doctest.testmod(alerter.streams).failed == 0


def _boom(_: object) -> None:
    raise RuntimeError("child failed")


@pytest.mark.parametrize("n_before", [0, 1, 2])
def test_a_failing_child_is_reported_and_the_others_still_run(n_before: int) -> None:
    errors = ErrorCollector()
    seen: list[object] = []
    children = [seen.append] * n_before + [_boom, seen.append]
    event = Event(host="a")
    call_children(children, event, errors)
    fan_out(children, errors)(event)
    sdo(*children, on_error=errors)(event)
    assert len(seen) == 3 * (n_before + 1)
    assert [(str(f.exception), f.stream, f.value) for f in errors.failures] == [
        ("child failed", _boom, event)
    ] * 3


def test_single_child_fast_path_isolates_too() -> None:
    errors = ErrorCollector()
    fan_out([_boom], errors)(Event())
    assert len(errors.failures) == 1


def test_fanout_snapshot_collects_children_state() -> None:
    class Remember:
        def __init__(self) -> None:
            self.n = 0

        def __call__(self, _: object) -> None:
            self.n += 1

        def snapshot(self) -> int:
            return self.n

        def restore(self, state: int) -> None:
            self.n = state

    a, b = Remember(), Remember()
    f = Fanout([a, print, b], ErrorCollector())
    f.restore([3, None, 4])
    assert f.snapshot() == [3, None, 4]


@pytest.mark.parametrize(
    ("event", "now", "expected"),
    [
        (Event(state="expired"), 0.0, True),
        (Event(state="expired", time=100.0, ttl=1000.0), 100.0, True),
        (Event(), 1e9, False),  # no time: never expired by age
        (Event(time=0.0), 60.0, False),  # default ttl 60, strict comparison
        (Event(time=0.0), 60.001, True),
        (Event(time=0.0, ttl=10.0), 10.0, False),
        (Event(time=0.0, ttl=10.0), 10.5, True),
        (Event(time=0.0, ttl=0.0), 0.0, False),
        (Event(time=0.0, ttl=0.0), 0.1, True),  # ttl 0 is a ttl, not "no ttl"
        (Event(time=100.0, ttl=600.0), 650.0, False),
    ],
)
def test_is_expired_table(event: Event, now: float, expected: bool) -> None:
    assert is_expired(event, now) is expected
    assert DEFAULT_TTL == 60.0


def test_expire_keeps_only_host_and_service() -> None:
    e = Event(
        host="a",
        service="cpu",
        state="critical",
        metric=9,
        time=1.0,
        ttl=5.0,
        tags=("x",),
        attributes={"team": "db"},
    )
    assert expire(e, 50.0) == Event(host="a", service="cpu", state="expired", time=50.0)
    assert expire(Event(metric=1), 2.0) == Event(state="expired", time=2.0)


def test_exception_event_describes_the_failure() -> None:
    errors = ErrorCollector()
    call_children([_boom], Event(), errors)
    e = exception_event(errors.failures[0], 12.0)
    assert (e.service, e.state, e.time, e.tags) == (
        "riemann exception",
        "error",
        12.0,
        ("exception", "RuntimeError"),
    )
    assert e.description is not None and "child failed" in e.description
