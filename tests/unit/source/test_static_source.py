"""StaticSource: storage (ordering, merging, incremental adds), the now bound, and evaluator edges.

The behaviours shared with influxd are in tests/contract/test_metric_source.py; this file holds the
ones only the in-memory source has (unsupported syntax, storage) and edges too fine for the
contract (ns-exact bounds, Go arithmetic).
"""

from __future__ import annotations

from typing import Any

import pytest

from alerter.source import Series, StatementResult
from alerter.source.static import Point, StaticSource, to_ns

T = 1_700_000_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def p(ago: float, host: str = "a", **fields: Any) -> Point:
    return Point("cpu", {"host": host}, fields or {"v": 1.0}, T - ago)


async def one(source: StaticSource, statement: str, now: float = T) -> StatementResult:
    (result,) = await source.query([statement], now=now)
    return result


async def rows(source: StaticSource, statement: str, now: float = T) -> list[tuple[Any, ...]]:
    result = await one(source, statement, now)
    assert result.error is None, result.error
    return [tuple(r) for s in result.series for r in s.values]


@pytest.mark.anyio
async def test_points_added_out_of_order_come_back_sorted() -> None:
    src = StaticSource([p(10, v=3.0), p(30, v=1.0), p(20, v=2.0)])
    src.add([p(25, v=1.5), p(5, v=4.0)])
    assert await rows(src, "SELECT v FROM cpu") == [
        (T - 30, 1.0), (T - 25, 1.5), (T - 20, 2.0), (T - 10, 3.0), (T - 5, 4.0)
    ]  # fmt: skip


@pytest.mark.anyio
async def test_adds_between_queries_are_seen_and_same_time_merges_fields() -> None:
    src = StaticSource([p(10, v=1.0)])
    assert await rows(src, "SELECT last(v) FROM cpu") == [(T - 10, 1.0)]
    src.add([p(10, w=7)])  # same series and time: fields merge
    src.add([p(10, v=2.0)])  # later write wins
    assert await rows(src, "SELECT v, w FROM cpu") == [(T - 10, 2.0, 7)]


@pytest.mark.anyio
async def test_now_is_inclusive_to_the_nanosecond() -> None:
    src = StaticSource([Point("m", {}, {"v": 1.0}, 100.0), Point("m", {}, {"v": 2.0}, 100.000001)])
    assert await rows(src, "SELECT v FROM m", now=100.0) == [(100.0, 1.0)]
    assert await rows(src, "SELECT count(v) FROM m", now=100.000001) == [(0.0, 2)]


@pytest.mark.anyio
async def test_greater_than_lower_bound_is_one_nanosecond_later() -> None:
    src = StaticSource([Point("m", {}, {"v": 1.0}, 100)])
    assert await rows(src, "SELECT mean(v) FROM m WHERE time > 99s") == [(99.000000001, 1.0)]


@pytest.mark.anyio
async def test_times_are_exact_nanoseconds() -> None:
    assert to_ns(1_700_000_000) == 1_700_000_000_000_000_000
    assert to_ns(1.5) == 1_500_000_000


@pytest.mark.anyio
async def test_result_shape() -> None:
    src = StaticSource([p(10, "b"), p(10, "a")])
    result = await one(src, "SELECT count(v) FROM cpu GROUP BY host")
    assert result == StatementResult(
        series=(
            Series("cpu", ("time", "count"), ((0.0, 1),), {"host": "a"}),
            Series("cpu", ("time", "count"), ((0.0, 1),), {"host": "b"}),
        )
    )


UNSUPPORTED = [
    ("SELECT mean(v) FROM cpu GROUP BY time(5m)", "GROUP BY time(...) without a lower time bound"),
    (
        "SELECT mean(v) FROM cpu WHERE time > now() - 1w GROUP BY time(1s)",
        "GROUP BY time(...) with more than 100000 buckets",
    ),
    ("SELECT *, v FROM cpu", "* together with other fields in the SELECT list"),
    ("SELECT derivative(v) FROM cpu", "function derivative()"),
    ("SELECT mean(max(v)) FROM cpu", "mean() of anything but a field"),
    ("SELECT v FROM cpu WHERE time > now() - 1m OR host = 'a'", "a time condition inside OR or arithmetic"),
    ("SELECT v FROM cpu WHERE v", "a WHERE condition that is not a comparison"),
    ("SELECT v > 1 FROM cpu", "operator > in the SELECT list"),
    ("SELECT 'x' FROM cpu", "string literal in the SELECT list"),
    ("SELECT time, v FROM cpu", "selecting time explicitly"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("statement", "fragment"), UNSUPPORTED, ids=[s for s, _ in UNSUPPORTED])
async def test_unsupported_or_invalid_is_an_error_not_a_wrong_answer(statement: str, fragment: str) -> None:
    result = await one(StaticSource([p(10)]), statement)
    assert result.series == ()
    assert result.error is not None and fragment in result.error


INVALID = [
    ("SELECT mean(v), v FROM cpu", "mixing aggregate and non-aggregate queries is not supported"),
    ("SELECT host FROM cpu", "statement must have at least one field in projection"),
    ("SELECT 1 + 2 FROM cpu", "at least 1 non-time field must be queried"),
    (
        "SELECT v FROM cpu WHERE time > now() - 1h GROUP BY time(1m)",
        "GROUP BY requires at least one aggregate function",
    ),
    ("SELECT percentile(v) FROM cpu", "invalid number of arguments for percentile, expected 2, got 1"),
    ("SELECT percentile(v, 'x') FROM cpu", "expected float argument in percentile()"),
    ("SELECT mean(s) FROM cpu", "unsupported mean iterator type: string field"),
    ("SELECT v FROM cpu WHERE host =~ /(/", "error parsing query: invalid regular expression /(/"),
    ("", "empty statement"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("statement", "message"), INVALID, ids=[s or "empty" for s, _ in INVALID])
async def test_invalid_statements(statement: str, message: str) -> None:
    result = await one(StaticSource([p(10, v=1.0, s="x")]), statement)
    assert result.error is not None and result.error.startswith(message), result.error


@pytest.mark.anyio
async def test_errors_do_not_stop_other_statements() -> None:
    src = StaticSource([p(10)])
    results = await src.query(["SELECT nope(v) FROM cpu", "SELECT count(v) FROM cpu"], now=T)
    assert results[0].error == "unsupported in the in-memory source: function nope()"
    assert results[1].series[0].values == ((0.0, 1),)


@pytest.mark.anyio
async def test_integer_arithmetic_follows_influx() -> None:
    src = StaticSource([p(10, i=-7)])
    assert await rows(src, "SELECT i / 2, i * 2, i % 3, i % 0, i - 1.5 FROM cpu") == [
        (T - 10, -3.5, -14, -1, 0, -8.5)
    ]


@pytest.mark.anyio
async def test_field_types_in_conditions() -> None:
    src = StaticSource([p(30, ok=True, s="web-1"), p(20, ok=False, s="db-1"), p(10, v=1.0)])
    assert await rows(src, "SELECT s FROM cpu WHERE ok = true") == [(T - 30, "web-1")]
    assert await rows(src, "SELECT s FROM cpu WHERE s =~ /^db/") == [(T - 20, "db-1")]
    assert await rows(src, "SELECT last(s) FROM cpu") == [(T - 20, "db-1")]
    assert await rows(src, "SELECT v FROM cpu WHERE ok != true") == []  # null never compares
    assert await rows(src, "SELECT count(v) FROM cpu WHERE s = 5") == []  # type mismatch is false


@pytest.mark.anyio
async def test_casts_choose_tag_or_field() -> None:
    src = StaticSource([Point("m", {"k": "t"}, {"k2": "f", "v": 1.0}, T - 5)])
    assert await rows(src, "SELECT v FROM m WHERE k::tag = 't'") == [(T - 5, 1.0)]
    assert await rows(src, "SELECT v FROM m WHERE k2::field = 'f'") == [(T - 5, 1.0)]
    assert await rows(src, "SELECT v FROM m WHERE k::field = 't'") == []


@pytest.mark.anyio
async def test_group_by_star_without_tags_gives_untagged_series() -> None:
    src = StaticSource([Point("m", {}, {"v": 1.0}, T - 5)])
    result = await one(src, "SELECT last(v) FROM m GROUP BY *")
    assert [(s.tags, s.values) for s in result.series] == [({}, ((T - 5, 1.0),))]


@pytest.mark.anyio
async def test_replay_window_over_many_hosts_only_sees_its_window() -> None:
    points = [p(ago, f"h{h:03d}", v=float(ago)) for h in range(200) for ago in range(0, 3600, 60)]
    src = StaticSource(points)
    (result,) = await src.query(
        ["SELECT max(v), count(v) FROM cpu WHERE time > now() - 5m GROUP BY host"], now=T - 600
    )
    assert len(result.series) == 200
    # the window (T-900, T-600] holds the points 600..840 seconds ago
    assert {tuple(s.values[0]) for s in result.series} == {(T - 900 + 1e-9, 840.0, 5)}
