"""Time-range extraction and time literals (influxd 1.6.7 behaviour, see alerter.source.influxql_time)."""

from __future__ import annotations

import pytest

from alerter.source.influxql_parse import InvalidQuery, ParseError, Unsupported, parse_statement
from alerter.source.influxql_time import TimeRange, parse_time_literal, split_time

S = 10**9
NOW = 1_700_000_000 * S


def where(cond: str) -> tuple[TimeRange, str | None]:
    time_range, rest = split_time(parse_statement(f"SELECT v FROM m WHERE {cond}").condition, NOW)
    return time_range, None if rest is None else type(rest).__name__


RANGES = [
    ("time > now() - 5m", TimeRange(NOW - 300 * S + 1, NOW), None),
    ("time >= now() - 5m", TimeRange(NOW - 300 * S, NOW), None),
    ("time < now() - 1m", TimeRange(None, NOW - 60 * S - 1), None),
    ("time <= now() + 1h", TimeRange(None, NOW), None),  # never past now
    ("time = 100s", TimeRange(100 * S, 100 * S), None),
    ("now() - 5m <= time", TimeRange(NOW - 300 * S, NOW), None),
    ("time >= 10s AND time >= 20s AND time <= 50s AND time < 40s", TimeRange(20 * S, 40 * S - 1), None),
    ("time >= 1000 AND host = 'a'", TimeRange(1000, NOW), "BinOp"),
    ("time >= 1m + 40s", TimeRange(100 * S, NOW), None),
    ("time >= '1970-01-01T00:01:40Z' - 10s", TimeRange(90 * S, NOW), None),
    ("(time >= 5s AND time <= 6s) AND v > 1", TimeRange(5 * S, 6 * S), "BinOp"),
]


@pytest.mark.parametrize(("cond", "expected", "rest"), RANGES, ids=[c for c, _, _ in RANGES])
def test_time_range(cond: str, expected: TimeRange, rest: str | None) -> None:
    assert where(cond) == (expected, rest)


def test_no_condition_is_unbounded_below_and_capped_at_now() -> None:
    assert split_time(None, NOW) == (TimeRange(None, NOW), None)


def test_crossed_bounds_are_empty() -> None:
    assert where("time >= 50s AND time < 50s")[0].empty


@pytest.mark.parametrize(
    ("cond", "error", "message"),
    [
        ("time != now()", InvalidQuery, "invalid time comparison operator: !="),
        ("time > now() - 1m OR host = 'a'", Unsupported, "a time condition inside OR or arithmetic"),
        ("time > 'yesterday'", ParseError, "invalid time literal 'yesterday'"),
        ("time > 1.5", Unsupported, "time compared with number"),
    ],
)
def test_time_errors(cond: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        where(cond)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("1970-01-01T00:01:40Z", 100 * S),
        ("1970-01-01T00:01:40.5Z", 100 * S + 500_000_000),
        ("1970-01-01T00:01:40.123456789Z", 100 * S + 123_456_789),
        ("1970-01-01T01:01:40+01:00", 100 * S),
        ("1970-01-01 00:01:40", 100 * S),
        ("1970-01-02", 86400 * S),
    ],
)
def test_time_literals(text: str, ns: int) -> None:
    assert parse_time_literal(text) == ns


def test_time_literal_with_impossible_date() -> None:
    with pytest.raises(ParseError, match="invalid time literal '2026-02-30T00:00:00Z'"):
        parse_time_literal("2026-02-30T00:00:00Z")
