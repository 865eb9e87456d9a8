"""GROUP BY time buckets and fill(): bucket starts (with offsets and negative times) and each fill."""

from __future__ import annotations

from typing import Any

import pytest

from alerter.source.influxql_buckets import MISSING, bucket_start, bucket_values, fill
from alerter.source.influxql_parse import Fill
from alerter.source.influxql_reduce import REDUCERS


@pytest.mark.parametrize(
    ("t", "interval", "offset", "start"),
    [(0, 60, 0, 0), (59, 60, 0, 0), (60, 60, 0, 60), (125, 60, 20, 80), (15, 60, 20, -40), (-1, 60, 0, -60)],
)
def test_bucket_start(t: int, interval: int, offset: int, start: int) -> None:
    assert bucket_start(t, interval, offset) == start


def test_bucket_values_reduce_each_bucket_and_mark_empty_ones() -> None:
    points = [(5, 1.0), (7, 3.0), (25, 10.0)]
    assert bucket_values(points, REDUCERS["mean"], None, range(0, 40, 10), 0) == [2.0, MISSING, 10.0, MISSING]
    assert bucket_values(points, REDUCERS["count"], None, range(0, 20, 10), 0) == [2, MISSING]


M = MISSING
COLUMN = [M, 1.0, M, M, 4.0, M]


@pytest.mark.parametrize(
    ("how", "is_count", "expected"),
    [
        (Fill(), False, [None, 1.0, None, None, 4.0, None]),
        (Fill(), True, [0, 1.0, 0, 0, 4.0, 0]),  # count's null fill is 0, as influxd does
        (Fill("none"), False, COLUMN),
        (Fill("value", -1), False, [-1, 1.0, -1, -1, 4.0, -1]),
        (Fill("previous"), False, [None, 1.0, 1.0, 1.0, 4.0, 4.0]),
        (Fill("linear"), False, [None, 1.0, 2.0, 3.0, 4.0, None]),
    ],
)
def test_fill(how: Fill, is_count: bool, expected: list[Any]) -> None:
    assert fill(list(COLUMN), how, is_count) == expected


def test_linear_fill_of_integers_stays_integer() -> None:
    assert fill([1, M, M, 4], Fill("linear"), False) == [1, 2, 3, 4]
