"""Replay against a real influxd gives the same pages and incidents as replay on StaticSource over
the same data (the demo data set's first 45 minutes, written as line protocol), through the API and
through ``alerter replay --influx URL --db DB``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from alerter.cli.replay import replay
from alerter.config.correlation import load_correlation
from alerter.config.load import load_rules
from alerter.config.oncall import load_oncall
from alerter.config.topology import load_topology
from alerter.demo.dataset import MINUTE, DemoDataset, generate
from alerter.evaluate.timing import Timing
from alerter.incidents.store import IncidentStore
from alerter.replay import ReplaySetup, ReplaySummary, incident_dicts, iso, oncall_target, replay_rules
from alerter.source import MetricSource
from alerter.source.static import StaticSource
from integrations.influxdb import InfluxMetricSource
from integrations.influxdb.server import InfluxServer

pytestmark = [pytest.mark.influx, pytest.mark.timeout(180)]

RULES = Path(__file__).resolve().parents[2] / "rules"
RULE_FILES = [RULES / f"{name}.yaml" for name in ("apps", "host", "mongodb", "redis", "router")]
BATCH = 5000


@pytest.fixture(scope="module")
def dataset() -> DemoDataset:
    return generate(duration=45 * MINUTE)


@pytest.fixture
def loaded(influx_server: InfluxServer, influx_db: str, dataset: DemoDataset) -> str:
    """``influx_db`` holding the data set; returns the database name."""

    async def load() -> None:
        lines = list(dataset.line_protocol())
        async with InfluxMetricSource(influx_server.url, influx_db, timeout=60.0) as source:
            for i in range(0, len(lines), BATCH):
                result = await source.write(lines[i : i + BATCH], precision="s")
                assert not result.failed, result.failed[:3]

    asyncio.run(load())
    return influx_db


def window(dataset: DemoDataset) -> tuple[float, float]:
    """memory_leak, cpu_saturation, the STG router's latency, redis_replication_lag (and single-sample spikes)."""
    return dataset.start + 15 * MINUTE, dataset.end


def backtest(source: MetricSource, store: IncidentStore, start: float, end: float) -> ReplaySummary:
    """The backtest ``alerter replay --rules rules/`` runs; closes an InfluxDB source afterwards."""
    policy, problems = load_correlation(RULES / "correlation.yaml")
    topology, more = load_topology(RULES / "topology.yaml")
    spec, oncall_problems = load_oncall(RULES / "oncall.yaml")
    assert policy is not None and spec is not None, [*problems, *more, *oncall_problems]
    setup = ReplaySetup(
        store, policy, topology, target=oncall_target(spec), timing=Timing(2.0, seed="alerter")
    )

    async def run() -> ReplaySummary:
        try:
            return await replay_rules(load_rules(RULE_FILES).rules, source, setup, start, end)
        finally:
            if isinstance(source, InfluxMetricSource):
                await source.aclose()

    return asyncio.run(run())


def test_influxd_and_static_source_give_the_same_pages_and_incidents(
    influx_server: InfluxServer, loaded: str, dataset: DemoDataset, tmp_path: Path
) -> None:
    start, end = window(dataset)
    with (
        IncidentStore(f"sqlite:///{tmp_path / 'static.db'}") as static_store,
        IncidentStore(f"sqlite:///{tmp_path / 'influx.db'}") as influx_store,
    ):
        static = backtest(StaticSource(dataset.points), static_store, start, end)
        influx = backtest(InfluxMetricSource(influx_server.url, loaded), influx_store, start, end)
        assert incident_dicts(influx_store) == incident_dicts(static_store)

    assert [p.to_dict() for p in influx.pages] == [p.to_dict() for p in static.pages]
    assert [p.hosts for p in static.pages] == [("api-prod-03",), ("runner-prod-05",), ("redis-prod-b-2",)]
    assert (influx.evaluations, influx.events, influx.alerts) == (
        static.evaluations,
        static.events,
        static.alerts,
    )


def test_the_replay_command_reads_influxd(
    influx_server: InfluxServer, loaded: str, dataset: DemoDataset, tmp_path: Path
) -> None:
    start, end = window(dataset)
    rules = [arg for path in RULE_FILES for arg in ("--rules", str(path))]
    pages = tmp_path / "pages.jsonl"
    result = CliRunner().invoke(
        replay,
        [*rules, "--influx", influx_server.url, "--db", loaded, "--start", iso(start), "--end", str(end),
         "--out", str(pages)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written: list[dict[str, Any]] = [json.loads(x) for x in pages.read_text().splitlines()]
    assert [p["hosts"] for p in written] == [["api-prod-03"], ["runner-prod-05"], ["redis-prod-b-2"]]
    assert "incidents 4  pages 3" in result.stdout  # + the STG router's, which never pages
