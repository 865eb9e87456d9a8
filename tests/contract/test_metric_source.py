"""The MetricSource contract: the in-memory StaticSource and the real influxd give the same answers.

One table of cases (points, statements, ``now``, expected results) runs against both
implementations, as APScheduler runs one suite over its memory and real backends. The expected
answers were taken from influxd 1.6.7, so a case failing only for "static" is a bug in
:mod:`alerter.source.influxql`, and one failing only for "influx" is a bug in the InfluxDB adapter
(or a behaviour change of the server). A second, differential test runs a few hundred generated
statements (functions x filters x time bounds x groupings, GROUP BY time with each fill) on seeded
random data against both and requires identical answers.

Normalised before comparing, because it is representation, not meaning:

* numbers: influxd's JSON says ``5`` where Python computes ``5.0``, so ints and floats compare as
  floats, rounded to 9 decimals (summation order may differ in the last bits);
* times: ``InfluxMetricSource`` asks for ``epoch=s``, so influxd truncates the ``+1ns`` of a
  ``time > t`` lower bound; times compare as whole seconds (floor);
* error texts: only a shared fragment is compared (the servers word most errors differently).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest

from alerter.source import StatementResult
from alerter.source.static import Point, StaticSource

T = 1_700_000_000  # "now" of most cases: whole seconds, a plausible date


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- the two implementations -------------------------------------------------------------------


class Backend(Protocol):
    async def load(self, points: Sequence[Point]) -> None: ...
    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]: ...
    async def close(self) -> None: ...


class StaticBackend:
    def __init__(self) -> None:
        self.source = StaticSource()

    async def load(self, points: Sequence[Point]) -> None:
        self.source.add(points)

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        return await self.source.query(statements, now=now)

    async def close(self) -> None:
        return None


class InfluxBackend:
    def __init__(self, url: str, database: str) -> None:
        from integrations.influxdb import InfluxMetricSource

        self.source = InfluxMetricSource(url, database)

    async def load(self, points: Sequence[Point]) -> None:
        from integrations.influxdb import format_line

        lines = [format_line(p.measurement, p.tags, p.fields, int(p.time)) for p in points]
        result = await self.source.write(lines, precision="s")
        assert result.written == len(lines), result

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        return await self.source.query(statements, now=now)

    async def close(self) -> None:
        await self.source.aclose()


@pytest.fixture(params=["static", pytest.param("influx", marks=pytest.mark.influx)])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "static":
        yield StaticBackend()
        return
    server = request.getfixturevalue("influx_server")
    yield InfluxBackend(server.url, request.getfixturevalue("influx_db"))


# --- the data ----------------------------------------------------------------------------------


def cpu(host: str | None, dc: str | None, ago: int, **fields: Any) -> Point:
    tags = {k: v for k, v in (("host", host), ("dc", dc)) if v is not None}
    return Point("cpu", tags, fields, T - ago)


POINTS = (
    cpu("a", "x", 250, idle=90.0, procs=10),
    cpu("a", "x", 190, idle=80.0, procs=20),
    cpu("a", "x", 130, idle=70.0, procs=30),
    cpu("a", "x", 70, idle=60.0, procs=40),
    cpu("a", "x", -30, idle=0.0, procs=99),  # in the future of T: never visible at now=T
    cpu("b", "y", 240, idle=50.0, state="up"),
    cpu("b", "y", 180, idle=40.0, state="down"),
    cpu("b", "y", 120, idle=30.0),
    cpu("c", None, 200, idle=20.0),
    Point("mem", {"host": "a"}, {"used": 1.0}, T - 100),
)


@dataclass(frozen=True)
class S:
    """An expected series: columns after ``time``, rows as (seconds before now, values...).

    An aggregate without a lower time bound is stamped at epoch 0, i.e. ``now`` seconds ago.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    name: str = "cpu"


@dataclass(frozen=True)
class Err:
    """An expected error; ``fragment`` must occur in both implementations' texts."""

    fragment: str = ""


@dataclass(frozen=True)
class Case:
    statements: tuple[str, ...]
    expected: tuple[tuple[S, ...] | Err, ...]
    now: int = T
    points: tuple[Point, ...] = POINTS


def case(statement: str, *expected: S) -> Case:
    return Case((statement,), (tuple(expected),))


CASES: dict[str, Case] = {
    # aggregates: one row, stamped at the lower bound (epoch 0 without one)
    "mean": case("SELECT mean(idle) FROM cpu", S(("mean",), ((T, 55.0),))),
    "count_sum_spread": case(
        "SELECT count(idle), sum(idle), spread(idle), median(idle) FROM cpu",
        S(("count", "sum", "spread", "median"), ((T, 8, 440.0, 70.0, 55.0),)),
    ),
    "stddev": case("SELECT stddev(procs) FROM cpu", S(("stddev",), ((T, 12.909944487),))),
    "stddev_of_one_point_is_a_null_row": case(
        "SELECT stddev(idle) FROM cpu WHERE host = 'c'", S(("stddev",), ((T, None),))
    ),
    # one selector alone keeps its point's time; several calls take the lower bound
    "selector_keeps_point_time": case("SELECT max(idle) FROM cpu", S(("max",), ((250, 90.0),))),
    "last_keeps_point_time": case("SELECT last(idle) FROM cpu", S(("last",), ((70, 60.0),))),
    "first_keeps_point_time": case("SELECT first(procs) FROM cpu", S(("first",), ((250, 10),))),
    "two_selectors_take_lower_bound": case(
        "SELECT min(idle), max(idle) FROM cpu WHERE time >= now() - 1h",
        S(("min", "max"), ((3600, 20.0, 90.0),)),
    ),
    "same_function_twice_is_suffixed": case(
        "SELECT mean(idle), mean(procs) FROM cpu", S(("mean", "mean_1"), ((T, 55.0, 25.0),))
    ),
    "alias": case("SELECT mean(idle) AS avg FROM cpu", S(("avg",), ((T, 55.0),))),
    # arithmetic
    "constant_minus_aggregate": case(
        "SELECT 100 - mean(idle) FROM cpu WHERE host = 'a'", S(("mean",), ((T, 25.0),))
    ),
    "aggregate_times_constant_alias": case(
        'SELECT mean("idle") * 100 AS "pct" FROM "cpu" WHERE "host" = \'b\'', S(("pct",), ((T, 4000.0),))
    ),
    "selector_arithmetic_keeps_point_time": case(
        "SELECT max(idle) * 2 + 1 FROM cpu GROUP BY host",
        S(("max",), ((250, 181.0),), {"host": "a"}),
        S(("max",), ((240, 101.0),), {"host": "b"}),
        S(("max",), ((200, 41.0),), {"host": "c"}),
    ),
    "two_aggregates_combined": case(
        "SELECT mean(idle) / count(idle) FROM cpu WHERE host = 'a'", S(("mean_count",), ((T, 18.75),))
    ),
    "division_by_zero_is_zero": case(
        "SELECT procs / 0 FROM cpu WHERE host = 'a' AND time >= now() - 80s", S(("procs",), ((70, 0),))
    ),
    # percentile: index floor(n*p/100 + 0.5) - 1 of the sorted values, with that point's time
    "percentile_50": case("SELECT percentile(idle, 50) FROM cpu", S(("percentile",), ((240, 50.0),))),
    "percentile_90": case("SELECT percentile(idle, 90) FROM cpu", S(("percentile",), ((190, 80.0),))),
    "percentile_0_is_no_row": case("SELECT percentile(idle, 0) FROM cpu"),
    # GROUP BY tags: missing tag is "", series sorted by tag values
    "group_by_host": case(
        "SELECT mean(idle) FROM cpu GROUP BY host",
        S(("mean",), ((T, 75.0),), {"host": "a"}),
        S(("mean",), ((T, 40.0),), {"host": "b"}),
        S(("mean",), ((T, 20.0),), {"host": "c"}),
    ),
    "group_by_missing_tag": case(
        "SELECT count(idle) FROM cpu GROUP BY dc",
        S(("count",), ((T, 1),), {"dc": ""}),
        S(("count",), ((T, 4),), {"dc": "x"}),
        S(("count",), ((T, 3),), {"dc": "y"}),
    ),
    "group_by_star": case(
        "SELECT last(idle) FROM cpu WHERE time > now() - 5m GROUP BY *",
        S(("last",), ((200, 20.0),), {"dc": "", "host": "c"}),
        S(("last",), ((70, 60.0),), {"dc": "x", "host": "a"}),
        S(("last",), ((120, 30.0),), {"dc": "y", "host": "b"}),
    ),
    "group_by_two_tags_quoted": case(
        'SELECT sum(procs) FROM cpu GROUP BY "host", "dc"', S(("sum",), ((T, 100),), {"dc": "x", "host": "a"})
    ),
    # tag filters
    "tag_not_equal": case("SELECT count(idle) FROM cpu WHERE host != 'a'", S(("count",), ((T, 4),))),
    "tag_not_equal_alt_syntax": case(
        "SELECT count(idle) FROM cpu WHERE host <> 'a'", S(("count",), ((T, 4),))
    ),
    "tag_regex": case("SELECT count(idle) FROM cpu WHERE host =~ /^[bc]$/", S(("count",), ((T, 4),))),
    "tag_not_regex": case("SELECT count(idle) FROM cpu WHERE host !~ /b|c/", S(("count",), ((T, 4),))),
    "missing_tag_equals_empty": case("SELECT count(idle) FROM cpu WHERE dc = ''", S(("count",), ((T, 1),))),
    "tag_or_tag": case(
        "SELECT mean(idle) FROM cpu WHERE (host = 'b' OR host = 'c') GROUP BY host",
        S(("mean",), ((T, 40.0),), {"host": "b"}),
        S(("mean",), ((T, 20.0),), {"host": "c"}),
    ),
    # field filters: a null field fails every comparison
    "field_greater": case(
        "SELECT idle FROM cpu WHERE idle > 55 AND host =~ /a|b/",
        S(("idle",), ((250, 90.0), (190, 80.0), (130, 70.0), (70, 60.0))),
    ),
    "field_or_tag": case(
        "SELECT idle FROM cpu WHERE idle < 25 OR host = 'b'",
        S(("idle",), ((240, 50.0), (200, 20.0), (180, 40.0), (120, 30.0))),
    ),
    "string_field_not_equal_skips_nulls": case(
        "SELECT idle FROM cpu WHERE state != 'up'", S(("idle",), ((180, 40.0),))
    ),
    "int_field_comparison": case("SELECT max(idle) FROM cpu WHERE procs >= 30", S(("max",), ((130, 70.0),))),
    # time bounds
    "time_greater_than_now_minus": case(
        "SELECT mean(idle) FROM cpu WHERE time > now() - 3m", S(("mean",), ((180, 160.0 / 3),))
    ),
    "time_window": case(
        "SELECT count(idle) FROM cpu WHERE time >= now() - 200s AND time <= now() - 120s",
        S(("count",), ((200, 5),)),
    ),
    "time_rfc3339": case(
        "SELECT count(idle) FROM cpu WHERE time >= '2023-11-14T22:10:00Z'", S(("count",), ((200, 6),))
    ),
    "time_seconds_literal": case(
        f"SELECT count(idle) FROM cpu WHERE time >= {T - 130}s", S(("count",), ((130, 3),))
    ),
    "time_nanoseconds_literal": case(
        f"SELECT count(idle) FROM cpu WHERE time >= {(T - 130) * 10**9}", S(("count",), ((130, 3),))
    ),
    "time_literal_arithmetic": case(
        "SELECT count(idle) FROM cpu WHERE time >= now() - 2m - 10s", S(("count",), ((130, 3),))
    ),
    "time_bounds_crossed_is_empty": case(
        "SELECT mean(idle) FROM cpu WHERE time >= now() - 1m AND time <= now() - 2m"
    ),
    # raw rows
    "raw_rows_with_nulls": case(
        "SELECT idle, procs, state FROM cpu WHERE time > now() - 200s",
        S(
            ("idle", "procs", "state"),
            (
                (190, 80.0, 20, None),
                (180, 40.0, None, "down"),
                (130, 70.0, 30, None),
                (120, 30.0, None, None),
                (70, 60.0, 40, None),
            ),
        ),
    ),
    "raw_only_rows_with_a_value": case(
        "SELECT procs FROM cpu", S(("procs",), ((250, 10), (190, 20), (130, 30), (70, 40)))
    ),
    "raw_arithmetic_and_tag_column": case(
        "SELECT idle / 2, host FROM cpu WHERE host = 'b'",
        S(("idle", "host"), ((240, 25.0, "b"), (180, 20.0, "b"), (120, 15.0, "b"))),
    ),
    "raw_limit_per_series": case(
        "SELECT idle FROM cpu GROUP BY host LIMIT 1",
        S(("idle",), ((250, 90.0),), {"host": "a"}),
        S(("idle",), ((240, 50.0),), {"host": "b"}),
        S(("idle",), ((200, 20.0),), {"host": "c"}),
    ),
    "raw_order_desc": case(
        "SELECT idle FROM cpu WHERE host = 'a' ORDER BY time DESC LIMIT 2",
        S(("idle",), ((70, 60.0), (130, 70.0))),
    ),
    # SELECT *: every field and every tag not grouped by, sorted by name
    "select_star": case(
        "SELECT * FROM cpu WHERE host = 'b'",
        S(
            ("dc", "host", "idle", "procs", "state"),
            (
                (240, "y", "b", 50.0, None, "up"),
                (180, "y", "b", 40.0, None, "down"),
                (120, "y", "b", 30.0, None, None),
            ),
        ),
    ),
    "select_star_group_by_star": case(
        "SELECT * FROM cpu WHERE time >= now() - 2m GROUP BY *",
        S(("idle", "procs", "state"), ((70, 60.0, 40, None),), {"dc": "x", "host": "a"}),
        S(("idle", "procs", "state"), ((120, 30.0, None, None),), {"dc": "y", "host": "b"}),
    ),
    # GROUP BY time: T is 20s past a whole minute, so 1m buckets start 20s before "k minutes ago"
    "group_by_time_fill_null": case(
        "SELECT mean(idle) FROM cpu WHERE time >= now() - 4m GROUP BY time(1m)",
        S(("mean",), ((260, 50.0), (200, 140.0 / 3), (140, 50.0), (80, 60.0), (20, None))),
    ),
    "group_by_time_fill_none": case(
        "SELECT mean(idle) FROM cpu WHERE time >= now() - 4m GROUP BY time(1m) fill(none)",
        S(("mean",), ((260, 50.0), (200, 140.0 / 3), (140, 50.0), (80, 60.0))),
    ),
    "group_by_time_and_host_fill_number": case(
        "SELECT max(idle) FROM cpu WHERE time >= now() - 4m GROUP BY time(1m), host fill(0)",
        S(("max",), ((260, 0), (200, 80.0), (140, 70.0), (80, 60.0), (20, 0)), {"host": "a"}),
        S(("max",), ((260, 50.0), (200, 40.0), (140, 30.0), (80, 0), (20, 0)), {"host": "b"}),
        S(("max",), ((260, 0), (200, 20.0), (140, 0), (80, 0), (20, 0)), {"host": "c"}),
    ),
    "group_by_time_count_fills_zero": case(
        "SELECT count(idle) FROM cpu WHERE time >= now() - 4m AND host = 'a' GROUP BY time(1m)",
        S(("count",), ((260, 0), (200, 1), (140, 1), (80, 1), (20, 0))),
    ),
    "group_by_time_selector_previous": case(
        "SELECT last(idle) FROM cpu WHERE time >= now() - 4m AND host = 'b' GROUP BY time(1m) fill(previous)",
        S(("last",), ((260, 50.0), (200, 40.0), (140, 30.0), (80, 30.0), (20, 30.0))),
    ),
    "group_by_time_linear": case(
        "SELECT mean(idle) FROM cpu WHERE time >= now() - 5m AND host = 'a' AND idle != 80 GROUP BY time(1m) fill(linear)",
        S(("mean",), ((320, None), (260, 90.0), (200, 80.0), (140, 70.0), (80, 60.0), (20, None))),
    ),
    "group_by_time_offset": case(
        "SELECT count(idle) FROM cpu WHERE time >= now() - 4m GROUP BY time(1m, 20s)",
        S(("count",), ((240, 3), (180, 2), (120, 2), (60, 0), (0, 0))),
    ),
    "group_by_time_two_calls_fill_none": case(
        "SELECT max(procs), min(idle) FROM cpu WHERE time >= now() - 4m GROUP BY time(1m) fill(none)",
        S(("max", "min"), ((260, None, 50.0), (200, 20, 20.0), (140, 30, 30.0), (80, 40, 60.0))),
    ),
    "group_by_time_no_points_no_series": case(
        "SELECT mean(idle) FROM cpu WHERE time >= now() - 4m AND host = 'zzz' GROUP BY time(1m)"
    ),
    # nothing there: no series, not an error
    "missing_measurement": case("SELECT mean(idle) FROM nosuch"),
    "missing_field": case("SELECT mean(nosuch) FROM cpu"),
    "missing_tag_value": case("SELECT mean(idle) FROM cpu WHERE host = 'zzz'"),
    "no_points_in_window": case("SELECT count(idle) FROM cpu WHERE time > now() - 10s"),
    "null_column_when_field_missing_in_group": case(
        "SELECT mean(idle), mean(procs) FROM cpu GROUP BY host",
        S(("mean", "mean_1"), ((T, 75.0, 25.0),), {"host": "a"}),
        S(("mean", "mean_1"), ((T, 40.0, None),), {"host": "b"}),
        S(("mean", "mean_1"), ((T, 20.0, None),), {"host": "c"}),
    ),
    "no_row_when_only_call_has_no_input": case(
        "SELECT count(procs) FROM cpu GROUP BY host", S(("count",), ((T, 4),), {"host": "a"})
    ),
    # the source never sees the future: now bounds every statement
    "future_point_invisible": case(
        "SELECT last(idle), count(idle) FROM cpu WHERE host = 'a'", S(("last", "count"), ((T, 60.0, 4),))
    ),
    "future_point_invisible_raw": case(
        "SELECT procs FROM cpu WHERE time > now() - 1m",
    ),
    "future_point_visible_later": Case(
        ("SELECT last(procs) FROM cpu",), ((S(("last",), ((-30 + 60, 99),)),),), now=T + 60
    ),
    "earlier_now_sees_less": Case(
        ("SELECT count(idle) FROM cpu GROUP BY host",),
        (
            (
                S(("count",), ((T - 200, 1),), {"host": "a"}),
                S(("count",), ((T - 200, 1),), {"host": "b"}),
                S(("count",), ((T - 200, 1),), {"host": "c"}),
            ),
        ),
        now=T - 200,
    ),
    # several statements: one result each, a bad one does not hide the others
    "several_statements": Case(
        ("SELECT mean(idle) FROM cpu", "SELECT mean(idle), idle FROM cpu", "SELECT max(used) FROM mem"),
        (
            (S(("mean",), ((T, 55.0),)),),
            Err("mixing aggregate and non-aggregate queries is not supported"),
            (S(("max",), ((100, 1.0),), name="mem"),),
        ),
    ),
    "two_statements_in_one_string_refused": Case(
        ("SELECT mean(idle) FROM cpu; SELECT mean(used) FROM mem",),
        (Err("2 statements in one query string"),),
    ),
    "time_not_equal_is_an_error": Case(
        ("SELECT mean(idle) FROM cpu WHERE time != now()",), (Err("invalid time comparison operator"),)
    ),
    "syntax_error": Case(("SELECT mean(idle) FRM cpu",), (Err("error parsing query"),)),
    # points written twice for one series and time merge their fields
    "same_time_merges_fields": Case(
        ("SELECT a, b FROM m",),
        ((S(("a", "b"), ((10, 2.0, 3.0),), name="m"),),),
        points=(
            Point("m", {"k": "v"}, {"a": 1.0}, T - 10),
            Point("m", {"k": "v"}, {"b": 3.0}, T - 10),
            Point("m", {"k": "v"}, {"a": 2.0}, T - 10),
        ),
    ),
}


# --- comparison --------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 9)
    return value


def normalise(result: StatementResult) -> Any:
    if result.error is not None:
        return ("error", result.error)
    return tuple(
        (
            s.name,
            dict(s.tags),
            tuple(s.columns),
            tuple((math.floor(row[0]), *map(_cell, row[1:])) for row in s.values),
        )
        for s in result.series
    )


def expected_form(expected: tuple[S, ...] | Err, now: int) -> Any:
    if isinstance(expected, Err):
        return ("error", expected.fragment)
    return tuple(
        (s.name, dict(s.tags), ("time", *s.columns), tuple((now - r[0], *map(_cell, r[1:])) for r in s.rows))
        for s in expected
    )


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(CASES))
async def test_contract(backend: Backend, name: str) -> None:
    c = CASES[name]
    await backend.load(c.points)
    try:
        results = await backend.query(c.statements, now=c.now)
    finally:
        await backend.close()
    assert len(results) == len(c.statements)
    for got, want in zip(results, c.expected, strict=True):
        actual, wanted = normalise(got), expected_form(want, c.now)
        if isinstance(want, Err):
            assert actual[0] == "error" and want.fragment in actual[1], actual
        else:
            assert actual == wanted


# --- differential: many generated statements, static against influxd directly ---------------------


def generated_points() -> list[Point]:
    """Seeded random data: unique times and values, so selector tie-breaks never decide a case."""
    rng = random.Random(20261128)
    seconds = rng.sample(range(T - 900, T + 60), 240)  # a few in the future of T
    idle = rng.sample(range(100_000), len(seconds))
    procs = rng.sample(range(1_000), len(seconds))
    hosts = [("a", "x"), ("b", "x"), ("c", "y"), ("d", None), ("e", "y"), ("f", None)]
    points = []
    for n, t in enumerate(seconds):
        host, dc = hosts[n % len(hosts)]
        tags = {"host": host} | ({"dc": dc} if dc else {})
        fields: dict[str, float | int] = {"idle": idle[n] / 1000}
        if n % 3:
            fields["procs"] = procs[n]
        points.append(Point("cpu", tags, fields, t))
    return points


def generated_statements() -> list[str]:
    calls = [
        *(f"{fn}({fld})" for fn in ("mean", "median", "min", "max", "sum", "count", "first", "last", "spread",
                                    "stddev") for fld in ("idle", "procs")),
        "percentile(idle, 50)", "percentile(procs, 95)", "100 - mean(idle)", "max(idle) - min(idle)",
        "mean(idle), count(procs)", "last(idle) * 2",
    ]  # fmt: skip
    wheres = [
        "", "host = 'a'", "host != 'b'", "host =~ /^[a-c]$/", "dc = ''", "dc !~ /x/", "idle > 50",
        "idle > 50 OR host = 'c'", "procs < 500 AND dc = 'y'",
    ]  # fmt: skip
    times = ["", "time > now() - 3m", "time >= now() - 400s AND time <= now() - 30s"]
    groups = ["", "GROUP BY host", "GROUP BY dc", "GROUP BY *", "GROUP BY host, dc"]
    rng = random.Random(7)
    out = []
    for call, where, bound, group in itertools.product(calls, wheres, times, groups):
        cond = " AND ".join(f"({c})" for c in (where, bound) if c)
        out.append(f"SELECT {call} FROM cpu{' WHERE ' + cond if cond else ''} {group}".strip())
    statements = rng.sample(out, 300)
    for fill in ("", " fill(none)", " fill(0)", " fill(previous)", " fill(linear)"):
        for call in ("mean(idle)", "count(procs)", "max(idle), min(procs)"):
            statements.append(
                f"SELECT {call} FROM cpu WHERE time >= now() - 10m GROUP BY time(2m), host{fill}"
            )
    for where in wheres:
        statements.append(f"SELECT idle, procs FROM cpu{' WHERE ' + where if where else ''}")
    statements += ["SELECT * FROM cpu WHERE time > now() - 2m", "SELECT * FROM cpu GROUP BY host LIMIT 3"]
    return statements


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def same_result(static: StatementResult, influx: StatementResult) -> bool:
    if static.error is not None or influx.error is not None:
        return static.error is not None and influx.error is not None
    if len(static.series) != len(influx.series):
        return False
    for s, i in zip(static.series, influx.series, strict=True):
        if (s.name, dict(s.tags), tuple(s.columns), len(s.values)) != (
            i.name,
            dict(i.tags),
            tuple(i.columns),
            len(i.values),
        ):
            return False
        for rs, ri in zip(s.values, i.values, strict=True):
            if math.floor(rs[0]) != math.floor(ri[0]) or not all(map(_same, rs[1:], ri[1:])):
                return False
    return True


@pytest.mark.anyio
@pytest.mark.influx
async def test_generated_statements_agree_with_influxd(influx_server: Any, influx_db: str) -> None:
    points = generated_points()
    static, influx = StaticBackend(), InfluxBackend(influx_server.url, influx_db)
    statements = generated_statements()
    try:
        await static.load(points)
        await influx.load(points)
        got_static = await static.query(statements, now=T)
        got_influx = await influx.query(statements, now=T)
    finally:
        await influx.close()
    assert sum(bool(r.series) for r in got_influx) > len(statements) // 2  # the data is really there
    differ = [
        f"{stmt}\n  static: {s}\n  influx: {i}"
        for stmt, s, i in zip(statements, got_static, got_influx, strict=True)
        if not same_result(s, i)
    ]
    assert not differ, f"{len(differ)} of {len(statements)} statements differ:\n" + "\n".join(differ[:5])
