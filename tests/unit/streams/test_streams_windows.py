"""Windows: event-time moving/fixed windows and count windows, with Riemann's edge cases."""

from __future__ import annotations

import pytest

from alerter.model import Event
from alerter.streams import (
    fixed_event_window,
    fixed_offset_time_window,
    fixed_time_window,
    moving_event_window,
    moving_time_window,
)


def _times(windows: list[list[Event]]) -> list[list[float | None]]:
    return [[e.time for e in w] for w in windows]


@pytest.mark.parametrize(
    ("n", "times", "expected"),
    [
        (10, [1, 5, 12, 2], [[1], [1, 5], [5, 12]]),  # late event 2 <= cutoff 2: dropped, nothing emitted
        (10, [0], []),  # cutoff starts at 0 and the comparison is strict
        (5, [10, 12, 15, 16], [[10], [10, 12], [12, 15], [12, 15, 16]]),
        (0, [1, 2], []),  # n = 0: timed events never emit
        (10, [5, None, 30], [[5], [5, None], [None, 30]]),  # untimed events stay
    ],
)
def test_moving_time_window(n: float, times: list[float | None], expected: list[list[float | None]]) -> None:
    got: list[list[Event]] = []
    s = moving_time_window(n, got.append)
    for t in times:
        s(Event(time=None if t is None else float(t)))
    assert _times(got) == expected


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([0, 3, 9.5, 10], [[0, 3, 9.5]]),  # the window [0, 10) closes when 10 arrives
        ([0, 3, 35], [[0, 3], [], []]),  # skipped windows emit empty lists
        ([5, 2, 6, 15], [[5, 6]]),  # older than start: dropped
        ([None, 5, None, 16], [[5, None]]),  # untimed: lost before the first timed, then buffered
        ([100], []),  # the last window is never flushed without a later event
    ],
)
def test_fixed_time_window(times: list[float | None], expected: list[list[float | None]]) -> None:
    got: list[list[Event]] = []
    s = fixed_time_window(10, got.append)
    for t in times:
        s(Event(time=None if t is None else float(t)))
    assert _times(got) == expected


def test_fixed_time_window_rejects_zero() -> None:
    with pytest.raises(ValueError, match="n must be > 0"):
        fixed_time_window(0)


def test_fixed_offset_time_window_aligns_to_multiples() -> None:
    got: list[list[Event]] = []
    s = fixed_offset_time_window(10, got.append)
    for t in [7.0, 9.0, 12.0, 31.0]:
        s(Event(time=t))
    assert _times(got) == [[7.0, 9.0], [12.0], []]


@pytest.mark.parametrize(
    ("n", "count", "expected"),
    [(2, 3, [[0], [0, 1], [1, 2]]), (0, 2, [[], []]), (5, 2, [[0], [0, 1]])],
)
def test_moving_event_window(n: int, count: int, expected: list[list[int]]) -> None:
    got: list[list[Event]] = []
    s = moving_event_window(n, got.append)
    for i in range(count):
        s(Event(metric=i))
    assert [[e.metric for e in w] for w in got] == expected


@pytest.mark.parametrize(
    ("n", "count", "expected"),
    [(2, 5, [[0, 1], [2, 3]]), (0, 3, []), (3, 2, [])],
)
def test_fixed_event_window(n: int, count: int, expected: list[list[int]]) -> None:
    got: list[list[Event]] = []
    s = fixed_event_window(n, got.append)
    for i in range(count):
        s(Event(metric=i))
    assert [[e.metric for e in w] for w in got] == expected
