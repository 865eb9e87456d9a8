"""bench.influx_load writes data every example rule in rules/*.yaml finds, through the real influxd."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerter.config.load import load_rules
from bench.influx_load import fleet, load
from integrations.influxdb import InfluxMetricSource
from integrations.influxdb.server import InfluxServer

pytestmark = [pytest.mark.influx, pytest.mark.timeout(60)]

RULES = Path(__file__).resolve().parents[2] / "rules"
END = 1_700_000_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def example_queries() -> list[tuple[str, str]]:
    ruleset = load_rules([RULES])
    ruleset.raise_for_problems()
    return [(loaded.name, loaded.rule.query) for loaded in ruleset.rules]


@pytest.mark.anyio
async def test_loaded_fleet_answers_every_example_rule(influx_server: InfluxServer, influx_db: str) -> None:
    report = await load(
        influx_server.url, influx_db, hosts=20, minutes=2, end=END, batch_lines=300, concurrency=3
    )
    assert report.failed == 0
    assert report.lines > 0 and report.batches == -(-report.lines // 300)
    queries = example_queries()
    assert queries, f"no rules found under {RULES}"
    async with InfluxMetricSource(influx_server.url, influx_db) as source:
        results = await source.query([q for _, q in queries], now=END)
    for (name, _), result in zip(queries, results, strict=True):
        assert result.error is None, (name, result.error)
        assert result.series, f"rule {name}: no data"
    assert {h.role for h in fleet(20)} >= {"router", "redis", "mongodb", "app-runner"}


@pytest.mark.anyio
async def test_load_counts_lines(influx_server: InfluxServer, influx_db: str) -> None:
    report = await load(influx_server.url, influx_db, hosts=3, minutes=1, end=END, batch_lines=1000)
    async with InfluxMetricSource(influx_server.url, influx_db) as source:
        [cpu] = await source.query(['SELECT count("usage_user") FROM "cpu" GROUP BY "host"'], now=END)
    assert [s.values[0][1] for s in cpu.series] == [6, 6, 6]  # 10 s points over one minute
    # per 10 s: 3 app-runners x (cpu, mem, 2 disks) + app instances 1, 2, 1
    assert (report.lines, report.batches, report.failed) == (6 * (3 * 4 + 4), 1, 0)
