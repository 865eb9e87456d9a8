"""bench/eval_cycle.py at toy size, so the foundation benchmark never rots.

The pure parts (targets, report text, rule set) run everywhere; the run itself goes through the
real influxd of the ``influx_server`` fixture with 20 hosts and 2 cycles, in seconds.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bench.eval_cycle import (
    CYCLE_BUDGET_S,
    TARGET_SERIES_PER_S,
    CycleFigures,
    EngineReplay,
    Rate,
    Report,
    bench_rules,
    benchmark,
    checks,
    cycle_times,
    format_report,
    main,
)
from integrations.influxdb.server import InfluxServer

HOSTS = 20
HOST_WIDE = {"cpu", "mem"}  # measurements every host reports, one series per host


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _cycle(wall: float, series: int = 1000) -> CycleFigures:
    return CycleFigures(
        now=1.0,
        wall=wall,
        influxd=wall / 2,
        first_byte=0.01,
        engine_wall=0.3,
        decode=0.1,
        parse=0.1,
        evaluate=0.05,
        gc=0.02,
        full_gcs=1,
        series=series,
        firing=3,
        requests=1,
        body_bytes=10_000,
    )


def _report(walls: list[float], evaluate_rate: float, errors: dict[str, str] | None = None) -> Report:
    replay = EngineReplay(Rate(1000, 0.01), Rate(1000, 0.01), Rate(1000, 1000 / evaluate_rate))
    return Report(20, ["r1"], None, [_cycle(w) for w in walls], {"r1": 1000}, errors or {}, replay)


def test_the_rule_set_is_twenty_rules_grouped_by_host_role_env() -> None:
    rules = bench_rules()
    assert len(rules) == 20
    assert len({r.name for r in rules}) == 20
    for loaded in rules:
        assert 'GROUP BY "host", "role", "env"' in " ".join(loaded.rule.query.split()), loaded.name


def test_cycles_step_back_from_the_end_of_the_data() -> None:
    assert cycle_times(3, end=1_000.0, interval=30.0) == [940.0, 970.0, 1_000.0]


@pytest.mark.parametrize(
    ("walls", "rate", "errors", "missed"),
    [
        ([9.0, 4.0, 5.0], TARGET_SERIES_PER_S, {}, []),  # the cold first cycle does not count
        ([1.0, CYCLE_BUDGET_S + 0.1], TARGET_SERIES_PER_S * 2, {}, ["worst steady cycle, wall s"]),
        ([1.0, 1.0], TARGET_SERIES_PER_S - 1, {}, ["evaluate replayed, series-evals/s"]),
        ([1.0, 1.0], TARGET_SERIES_PER_S, {"r1": "query rejected"}, ["rules failing"]),
    ],
)
def test_binding_targets(walls: list[float], rate: float, errors: dict[str, str], missed: list[str]) -> None:
    checked = checks(_report(walls, rate, errors))
    assert [c.name for c in checked if c.binding and not c.met] == missed


def test_the_whole_engine_rate_is_shown_but_not_binding() -> None:
    [engine] = [c for c in checks(_report([1.0], TARGET_SERIES_PER_S)) if not c.binding]
    assert engine.name.startswith("decode+parse+evaluate") and engine.verdict == "below (not checked)"


def test_report_text_names_every_figure_and_verdict() -> None:
    report = _report([2.0, 1.0, 1.5], TARGET_SERIES_PER_S - 1)
    text = format_report(report, checks(report), url="http://127.0.0.1:1", batch_size=50)
    for expected in ("load average", "mean", "evaluate -> events", "r1", "MISSED", "series/s"):
        assert expected in text, expected


@pytest.mark.influx
@pytest.mark.anyio
async def test_toy_run_evaluates_every_rule_against_influxd(
    influx_server: InfluxServer, influx_db: str
) -> None:
    report = await benchmark(influx_server.url, influx_db, hosts=HOSTS, minutes=2, cycles=2, rounds=1)
    assert report.errors == {}
    assert report.load is not None and report.load.failed == 0
    assert len(report.cycles) == 2
    assert all(count > 0 for count in report.series_by_rule.values()), report.series_by_rule
    host_wide = [r for r in bench_rules() if any(f'FROM "{m}"' in r.rule.query for m in HOST_WIDE)]
    assert {report.series_by_rule[r.name] for r in host_wide} == {HOSTS}
    for cycle in report.cycles:
        assert cycle.series == sum(report.series_by_rule.values())
        assert cycle.requests == 1 and cycle.influxd > 0 and cycle.evaluate > 0
    assert report.replay is not None
    assert report.replay.evaluate.series == report.cycles[-1].series * 2  # 1 round x 2 cycles


@pytest.mark.influx
def test_command_prints_the_report(influx_server: InfluxServer, influx_db: str) -> None:
    args = ["--influx", influx_server.url, "--database", influx_db, "--hosts", "5", "--minutes", "2"]
    result = CliRunner().invoke(main, [*args, "--cycles", "2", "--rounds", "1", "--no-check"])
    assert result.exit_code == 0, result.output
    assert "series per rule" in result.output and "rules failing" in result.output
    assert "FAILED" not in result.output
