"""Every panel's InfluxQL returns data from a real influxd after a replay of the demo data.

A 70-minute slice of the demo data set is replayed through the live wiring (build_engine ->
VirtualScheduler on a FakeClock) with :class:`alerter.selfmetrics.SelfMetrics` fed by the engine
and written to a real influxd through the real InfluxMetricSource. The slice starts on Friday
2026-01-09 at 21:20 in Berlin, so the primary on call (anna, Europe/Berlin) gets off-hours pages
first and sleep-hours pages after 22:00. The metric source is down for one minute (an injected
outage) so the error panels have something to show. Then each panel target's query is sent the way
Grafana's InfluxDB datasource sends it (macros substituted) over the replayed range.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from grafana_build import panel_targets, substitute

from alerter.clock import FakeClock
from alerter.config.correlation import load_correlation
from alerter.config.load import load_rules
from alerter.config.oncall import load_oncall
from alerter.config.topology import load_topology
from alerter.demo.dataset import MINUTE, generate
from alerter.errors import SourceUnavailable
from alerter.evaluate.timing import Timing
from alerter.evaluate.virtual import VirtualScheduler
from alerter.incidents.store import IncidentStore
from alerter.pipeline import BatchResult
from alerter.replay import build_engine, stored_incidents
from alerter.selfmetrics import OutboxStats, SelfMetrics, oncall_recipients
from alerter.source import MetricSource, StatementResult
from alerter.source.static import StaticSource
from integrations.influxdb import InfluxMetricSource
from integrations.influxdb.server import InfluxServer

pytestmark = [pytest.mark.influx, pytest.mark.timeout(120)]

RULES = Path(__file__).resolve().parents[2] / "rules"
RULE_FILES = [RULES / f"{name}.yaml" for name in ("apps", "host", "mongodb", "redis", "router")]
START = 1_767_990_000.0
"""2026-01-09T20:20:00Z, Friday 21:20 in Berlin."""
END = START + 70 * MINUTE
OUTAGE = (START + 30 * MINUTE, START + 31 * MINUTE)
INTERVAL = 60.0


class OutageSource:
    """The demo's StaticSource, unreachable during ``OUTAGE`` (as influxd is when it restarts)."""

    def __init__(self, inner: MetricSource) -> None:
        self._inner = inner

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        if OUTAGE[0] <= now < OUTAGE[1]:
            raise SourceUnavailable("influxdb: query: connection refused (injected outage)")
        return await self._inner.query(statements, now=now)


class Outbox:
    """Pages enter when their batch commits and leave when the next self-metrics write is done
    (a stand-in for notify's outbox, whose depth is what the collector samples)."""

    def __init__(self) -> None:
        self.queued = 0

    def stats(self) -> OutboxStats:
        return OutboxStats(self.queued, 0)


@dataclass(frozen=True)
class Replayed:
    url: str
    database: str
    events: int
    pages: int
    incidents: int
    suppressed: dict[str, int]
    written: int


async def _replay(url: str, database: str, store: IncidentStore) -> Replayed:
    demo = generate(start=START, duration=70 * MINUTE)
    ruleset = load_rules(RULE_FILES)
    policy, problems = load_correlation(RULES / "correlation.yaml")
    topology, more = load_topology(RULES / "topology.yaml")
    spec, oncall_problems = load_oncall(RULES / "oncall.yaml")
    assert policy is not None and spec is not None and not ruleset.problems, [
        *problems,
        *more,
        *oncall_problems,
    ]
    clock, outbox, results = FakeClock(START), Outbox(), list[BatchResult]()
    influx = InfluxMetricSource(url, database)
    metrics = SelfMetrics(
        influx,
        clock,
        interval=INTERVAL,
        rules=lambda: wiring.engine.statuses(),
        outbox=outbox.stats,
        recipients=oncall_recipients(spec),
    )

    def on_batch(result: BatchResult) -> None:
        results.append(result)
        outbox.queued += len(result.pages)
        metrics.observe_batch(result)

    source = metrics.source(OutageSource(StaticSource(demo.points)))
    wiring = build_engine(source, store, policy, clock, topology=topology, sink=metrics, on_batch=on_batch)
    wiring.engine.apply(ruleset.rules)
    scheduler = VirtualScheduler(wiring.engine, clock, Timing(2.0, seed="alerter"))
    written, t = 0, START
    try:
        while t < END:
            t = min(t + INTERVAL, END)
            await scheduler.run_until(t)
            written += await metrics.tick()
            outbox.queued = 0  # the sender ran
        assert metrics.pending == 0 and metrics.dropped_lines == 0
    finally:
        await influx.aclose()
    suppressed: dict[str, int] = {}
    for r in results:
        for d in r.decisions:
            if not d.pages:
                suppressed[str(d.outcome)] = suppressed.get(str(d.outcome), 0) + 1
    return Replayed(
        url,
        database,
        wiring.counter.events,
        sum(len(r.pages) for r in results),
        stored_incidents(store),
        suppressed,
        written,
    )


@pytest.fixture(scope="module")
def replayed(influx_server: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    database = "grafana_selfmetrics"
    response = httpx.post(
        f"{influx_server.url}/query", data={"q": f'CREATE DATABASE "{database}"'}, timeout=10
    )
    response.raise_for_status()
    with IncidentStore(f"sqlite:///{tmp_path_factory.mktemp('grafana') / 'replay.db'}") as store:
        yield asyncio.run(_replay(influx_server.url, database, store))


def influxql(replayed: Replayed, query: str) -> list[dict[str, Any]]:
    """The series of one statement, sent as Grafana's datasource sends it (GET /query, epoch=ms)."""
    response = httpx.get(
        f"{replayed.url}/query", params={"db": replayed.database, "q": query, "epoch": "ms"}, timeout=10
    )
    response.raise_for_status()
    [result] = response.json()["results"]
    assert "error" not in result, f"{query}: {result['error']}"
    series: list[dict[str, Any]] = result.get("series", [])
    return series


def totals(replayed: Replayed, query: str) -> dict[tuple[str, ...], float]:
    """``{tag values: first value}`` of a GROUP BY-tags query over the replayed range."""
    text = substitute(query, START, END, "1m")
    return {tuple(s.get("tags", {}).values()): s["values"][0][1] for s in influxql(replayed, text)}


@pytest.mark.parametrize(
    ("dashboard", "panel", "ref", "query"),
    panel_targets(),
    ids=[f"{d.removesuffix('.json')}:{p}:{r}" for d, p, r, _ in panel_targets()],
)
def test_every_panel_query_returns_data_after_the_replay(
    replayed: Replayed, dashboard: str, panel: str, ref: str, query: str
) -> None:
    series = influxql(replayed, substitute(query, START, END, "1m"))

    values = [v for s in series for row in s["values"] for v in row[1:] if v is not None]
    assert values, f"{dashboard} / {panel} / {ref}: no data for {query}"


def test_the_written_totals_are_what_the_replay_did(replayed: Replayed) -> None:
    volume = 'SELECT sum("events"), sum("incidents"), sum("pages") FROM "alerter_volume" WHERE $timeFilter'
    [(events, incidents, pages)] = [
        tuple(row[1:])
        for s in influxql(replayed, substitute(volume, START, END, "1m"))
        for row in s["values"]
    ]

    assert (events, incidents, pages) == (replayed.events, replayed.incidents, replayed.pages)
    assert replayed.pages > 0 and replayed.written > 0
    decided = totals(
        replayed, 'SELECT sum("count") FROM "alerter_suppressed" WHERE $timeFilter GROUP BY "reason"'
    )
    for reason, n in replayed.suppressed.items():
        assert decided[(reason,)] >= n  # plus the alerts absorbed (maintenance, dependency, storm)


def test_the_primary_was_paged_off_hours_then_in_her_sleep(replayed: Replayed) -> None:
    by_hours = totals(
        replayed, 'SELECT sum("count") FROM "alerter_pages" WHERE $timeFilter GROUP BY "person", "hours"'
    )

    assert set(by_hours) == {("off", "anna"), ("sleep", "anna")}, by_hours
    assert sum(by_hours.values()) == replayed.pages


def test_the_outage_shows_as_source_and_rule_errors(replayed: Replayed) -> None:
    failed = totals(replayed, 'SELECT sum("errors") FROM "alerter_source" WHERE $timeFilter')
    rule_errors = totals(replayed, 'SELECT sum("errors") FROM "alerter_rule" WHERE $timeFilter')
    during = totals(
        replayed,
        f'SELECT sum("errors") FROM "alerter_source" WHERE time >= {int(OUTAGE[0])}s AND time < {int(OUTAGE[1])}s',
    )

    # every batch due in the outage minute failed, and every rule in them reports an error
    assert failed[()] == during[()] > 0
    assert rule_errors[()] >= failed[()]
