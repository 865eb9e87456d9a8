"""InfluxMetricSource against a real influxd 1.6.7 on loopback: queries, writes and their traps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from alerter.errors import QueryError, SourceUnavailable
from alerter.source import Series, StatementResult
from integrations.influxdb import Backoff, FailedLine, InfluxMetricSource, format_line
from integrations.influxdb.server import InfluxServer, free_port

pytestmark = [pytest.mark.influx, pytest.mark.timeout(60)]

T0 = 1_700_000_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def source(influx_server: InfluxServer, influx_db: str) -> AsyncIterator[InfluxMetricSource]:
    async with InfluxMetricSource(influx_server.url, influx_db) as src:
        yield src


async def write_ok(source: InfluxMetricSource, lines: list[str], precision: str = "s") -> None:
    result = await source.write(lines, precision=precision)
    assert result.ok, result


@pytest.mark.anyio
async def test_ping_reports_version(source: InfluxMetricSource) -> None:
    assert (await source.ping()).startswith("1.6")


@pytest.mark.anyio
async def test_write_then_query_round_trip(source: InfluxMetricSource) -> None:
    await write_ok(
        source,
        [
            format_line("cpu", {"host": "a"}, {"usage_user": 10.5}, T0),
            format_line("cpu", {"host": "a"}, {"usage_user": 20.0}, T0 + 10),
            format_line("app", {"host": "a"}, {"health_ok": True, "code": 7}, T0),
        ],
    )
    cpu, app = await source.query(["SELECT usage_user FROM cpu", "SELECT * FROM app"], now=T0 + 60)
    assert cpu == StatementResult(
        series=(Series("cpu", ("time", "usage_user"), [[T0, 10.5], [T0 + 10, 20.0]]),)
    )
    assert app == StatementResult(
        series=(Series("app", ("time", "code", "health_ok", "host"), [[T0, 7, True, "a"]]),)
    )


@pytest.mark.anyio
async def test_now_pins_the_window_and_bounds_the_future(source: InfluxMetricSource) -> None:
    await write_ok(
        source, [format_line("cpu", {"host": "a"}, {"v": float(i)}, T0 + 10 * i) for i in range(10)]
    )
    statement = "SELECT count(v) AS n, max(v) AS top FROM cpu WHERE time > now() - 30s"
    # at T0+40: points at T0+20 and later are newer than now-30s, but only up to T0+40 are <= now
    [result] = await source.query([statement], now=T0 + 40)
    assert result.series[0].values == [[T0 + 10, 3, 4.0]]
    # without a lower bound the only limit is time <= now
    [result] = await source.query(["SELECT last(v) FROM cpu"], now=T0 + 55)
    assert result.series[0].values == [[T0 + 50, 5.0]]
    # fractional now (sent as integer nanoseconds)
    [result] = await source.query(["SELECT last(v) FROM cpu"], now=T0 + 59.5)
    assert result.series[0].values == [[T0 + 50, 5.0]]


@pytest.mark.anyio
async def test_group_by_tags_and_time_with_nulls(source: InfluxMetricSource) -> None:
    await write_ok(
        source,
        [
            format_line("mem", {"host": "a", "dc": "x"}, {"used_percent": 50.0}, T0),
            format_line("mem", {"host": "a", "dc": "x"}, {"used_percent": 70.0}, T0 + 120),
            format_line("mem", {"host": "b", "dc": "x"}, {"used_percent": 90.0}, T0),
        ],
    )
    [result] = await source.query(
        ["SELECT mean(used_percent) FROM mem WHERE time >= now() - 3m GROUP BY time(1m), host"], now=T0 + 179
    )
    assert result.error is None
    by_host = {s.tags["host"]: s for s in result.series}
    assert set(by_host) == {"a", "b"}
    assert by_host["a"].columns == ("time", "mean")
    start = T0 - 1 - (T0 - 1) % 60  # first bucket boundary at or before now - 3m
    assert by_host["a"].values == [
        [start, 50.0],
        [start + 60, None],
        [start + 120, 70.0],
        [start + 180, None],
    ]
    assert by_host["b"].values == [
        [start, 90.0],
        [start + 60, None],
        [start + 120, None],
        [start + 180, None],
    ]


@pytest.mark.anyio
async def test_empty_result_is_no_data(source: InfluxMetricSource) -> None:
    await write_ok(source, [format_line("cpu", {"host": "a"}, {"v": 1.0}, T0)])
    results = await source.query(
        ["SELECT v FROM cpu WHERE host = 'nobody'", "SELECT v FROM nothing_here", "SELECT v FROM cpu"],
        now=T0 - 1,
    )
    assert results == [StatementResult(), StatementResult(), StatementResult()]


@pytest.mark.anyio
async def test_one_failing_statement_does_not_hide_the_others(source: InfluxMetricSource) -> None:
    await write_ok(source, [format_line("cpu", {"host": "a"}, {"v": 1.0}, T0)])
    good = "SELECT v FROM cpu"
    # alone, influxd 1.6 would answer the 2nd "not executed" and drop the 3rd to 6th entirely
    statements = [
        good,
        "SELECT v FROM missing_db.autogen.cpu",
        good,
        "SELECT v FROM cpu GROUP BY time(1m)",
        "SELECT nosuchfunc(v) FROM cpu",
        good,
    ]
    results = await source.query(statements, now=T0 + 1)
    expected_ok = StatementResult(series=(Series("cpu", ("time", "v"), [[T0, 1.0]]),))
    assert results[0] == results[2] == results[5] == expected_ok
    assert results[1] == StatementResult(error="database not found: missing_db")
    assert results[3] == StatementResult(error="GROUP BY requires at least one aggregate function")
    assert results[4] == StatementResult(error="undefined function nosuchfunc()")


@pytest.mark.anyio
async def test_parse_error_in_a_batch_is_attributed_to_its_statement(source: InfluxMetricSource) -> None:
    await write_ok(source, [format_line("cpu", {"host": "a"}, {"v": 1.0}, T0)])
    results = await source.query(["SELECT v FROM cpu", "SELECT v FRM cpu", "SELECT v FROM cpu"], now=T0 + 1)
    assert results[0] == results[2] != StatementResult()
    assert results[1].error is not None
    assert results[1].error.startswith("error parsing query: found FRM, expected FROM")
    assert results[1].error.endswith("(statement as sent: SELECT v FRM cpu WHERE time <= 1700000001s)")


@pytest.mark.anyio
async def test_missing_database_is_surfaced(influx_server: InfluxServer) -> None:
    async with InfluxMetricSource(influx_server.url, "no_such_db") as src:
        assert await src.query(["SELECT v FROM cpu", "SELECT w FROM cpu"], now=T0) == [
            StatementResult(error="database not found: no_such_db"),
            StatementResult(error="database not found: no_such_db"),
        ]
        with pytest.raises(
            QueryError, match='write to no_such_db: HTTP 404 database not found: "no_such_db"'
        ):
            await src.write(["cpu v=1 1"])


@pytest.mark.anyio
async def test_partial_write_keeps_good_lines_and_names_the_bad_ones(source: InfluxMetricSource) -> None:
    await write_ok(source, [format_line("cpu", {"host": "seed"}, {"v": 0.0}, T0)])
    lines = [
        "cpu,host=a v=1 1700000001",
        "bad line here",
        'cpu,host=a v="text" 1700000002',  # type conflict: server gives only a count
        "cpu,host=a v=3 1700000003",
        "cpu,host=a v= 1700000004",
        "noFields",
        "cpu,host=a v=5 1700000005",
    ]
    result = await source.write(lines)
    assert [f.index for f in result.failed] == [1, 2, 4, 5]
    assert result.failed[1] == FailedLine(
        2,
        lines[2],
        'field type conflict: input field "v" on measurement "cpu" is type string, already exists as type float',
    )
    assert (result.written, result.unattributed) == (3, 0)
    [stored] = await source.query(["SELECT v FROM cpu WHERE host = 'a'"], now=T0 + 10)
    assert stored.series[0].values == [[T0 + 1, 1.0], [T0 + 3, 3.0], [T0 + 5, 5.0]]


@pytest.mark.anyio
async def test_type_conflict_inside_one_batch_is_resolved_to_the_line(source: InfluxMetricSource) -> None:
    # influxd refuses the WHOLE batch ("field type conflict", nothing kept); the client finds the line
    result = await source.write(["m v=1 1700000001", 'm v="s" 1700000002', "m v=3 1700000003"])
    assert [(f.index, f.reason) for f in result.failed] == [
        (
            1,
            'field type conflict: input field "v" on measurement "m" is type string, already exists as type float',
        )
    ]
    [stored] = await source.query(["SELECT v FROM m"], now=T0 + 10)
    assert stored.series[0].values == [[T0 + 1, 1.0], [T0 + 3, 3.0]]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("precision", "stamp"), [("s", T0), ("ms", T0 * 10**3), ("u", T0 * 10**6), ("ns", T0 * 10**9)]
)
async def test_precision(source: InfluxMetricSource, precision: str, stamp: int) -> None:
    await write_ok(source, [f"cpu v=1 {stamp + 7 * (stamp // T0)}"], precision=precision)
    [result] = await source.query(["SELECT v FROM cpu"], now=T0 + 60)
    assert result.series[0].values == [[T0 + 7, 1.0]]


@pytest.mark.anyio
async def test_epoch_is_seconds_even_for_sub_second_points(source: InfluxMetricSource) -> None:
    await write_ok(source, [f"cpu v=1 {T0 * 1000 + 250}"], precision="ms")
    [result] = await source.query(["SELECT v FROM cpu"], now=T0 + 1)
    # epoch=s truncates to whole seconds server-side
    assert result.series[0].values == [[T0, 1.0]]


@pytest.mark.anyio
async def test_partial_result_is_flagged(tmp_path_factory: pytest.TempPathFactory) -> None:
    with InfluxServer(tmp_path_factory.mktemp("influxd-rowlimit"), max_row_limit=2) as server:
        async with InfluxMetricSource(server.url, "db") as src:
            await src.create_database("db")
            await write_ok(src, [f"cpu v={i} {T0 + i}" for i in range(5)])
            [result] = await src.query(["SELECT v FROM cpu"], now=T0 + 10)
    assert result.partial is True
    assert result.series[0].values == [[T0, 0.0], [T0 + 1, 1.0]]


@pytest.mark.anyio
async def test_create_database_is_idempotent_and_reports_refusals(source: InfluxMetricSource) -> None:
    await source.create_database("made_here")
    await source.create_database("made_here")
    with pytest.raises(QueryError, match="create database : invalid name"):
        await source.create_database("")


@pytest.mark.anyio
async def test_dead_server_is_source_unavailable_after_retries() -> None:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    async with InfluxMetricSource(
        url, "db", retries=2, timeout=2.0, sleep=record, backoff=Backoff(jitter=0.0)
    ) as src:
        with pytest.raises(SourceUnavailable) as info:
            await src.query(["SELECT v FROM cpu"], now=T0)
    assert str(info.value).startswith(f"influxdb {url}: query db: ConnectError")
    assert str(info.value).endswith("(gave up after 3 attempts)")
    assert sleeps == [0.2, 0.4]


@pytest.mark.anyio
async def test_many_small_batches_concurrently_keep_their_order(
    influx_server: InfluxServer, influx_db: str
) -> None:
    async with InfluxMetricSource(influx_server.url, influx_db, max_concurrency=2, batch_size=1) as src:
        await write_ok(src, [f"cpu v={i} {T0 + i}" for i in range(3)])
        results = await src.query(
            [f"SELECT v FROM cpu WHERE time = {T0 + i % 3}s" for i in range(30)], now=T0 + 5
        )
    assert [r.series[0].values[0][1] for r in results] == [float(i % 3) for i in range(30)]
