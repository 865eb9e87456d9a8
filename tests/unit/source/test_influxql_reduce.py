"""Function semantics on one group's points: which point a selector picks, what no input means."""

from __future__ import annotations

from typing import Any

import pytest

from alerter.source.influxql_reduce import REDUCERS, check_types

POINTS = [(1, 3.0), (2, 1.0), (3, 3.0), (4, 2.0)]


@pytest.mark.parametrize(
    ("name", "points", "arg", "expected"),
    [
        ("max", POINTS, None, (1, 3.0)),  # ties keep the earliest point
        ("min", [(1, 2.0), (2, 1.0), (3, 1.0)], None, (2, 1.0)),
        ("first", POINTS, None, (1, 3.0)),
        ("last", POINTS, None, (4, 2.0)),
        ("count", POINTS, None, (0, 4)),
        ("sum", [(1, 2), (2, 3)], None, (0, 5)),  # ints stay ints
        ("mean", [(1, 2), (2, 3)], None, (0, 2.5)),
        ("median", [(1, 5), (2, 1), (3, 3)], None, (0, 3.0)),
        ("median", [(1, 4.0), (2, 1.0), (3, 3.0), (4, 2.0)], None, (0, 2.5)),
        ("spread", POINTS, None, (0, 2.0)),
        ("stddev", [(1, 2.0), (2, 4.0)], None, (0, 2.0**0.5)),
        ("stddev", [(1, 2.0)], None, (0, None)),  # a row with a null, not "no row"
        ("percentile", POINTS, 50, (4, 2.0)),  # floor(4 * .5 + .5) - 1 = 1 -> sorted[1]
        ("percentile", POINTS, 75, (1, 3.0)),  # equal values keep time order (checked on influxd)
        ("percentile", POINTS, 100, (3, 3.0)),
        ("percentile", POINTS, 12.4, None),  # index -1: no point at all
        ("percentile", POINTS, 12.5, (2, 1.0)),
    ],
)
def test_reducer(name: str, points: list[tuple[int, Any]], arg: float | None, expected: Any) -> None:
    assert REDUCERS[name](points, arg) == expected


@pytest.mark.parametrize("name", sorted(REDUCERS))
def test_no_input_is_no_point(name: str) -> None:
    assert REDUCERS[name]([], 50) is None


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("mean", "up", "unsupported mean iterator type: string field"),
        ("max", True, "unsupported max iterator type: boolean field"),
        ("last", "up", None),
        ("count", True, None),
        ("sum", 1, None),
    ],
)
def test_type_check(name: str, value: Any, error: str | None) -> None:
    assert check_types(name, [(1, value)]) == error
