"""The shipped rules, correlation policy and topology over the demo data set's two hours: every
injected problem becomes exactly the expected incident, single-sample spikes become none, and
live mode (pipeline as the engine's sink) decides exactly what batched replay decides."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerter.demo.dataset import MINUTE, DemoDataset
from alerter.source.static import StaticSource
from tests.acceptance.timeline import World, run_rules

pytestmark = pytest.mark.anyio

# (minute opened, title, alerts, pages): the injected problems of alerter/demo/dataset.py
EXPECTED = [
    (23.0, "host_cpu_high on api-prod-03 (PROD, rack=r1, role=api)", 1, 1),
    (31.5, "host_memory_high on runner-prod-05 (PROD, rack=r2, role=app-runner)", 1, 1),
    (32.5, "router_latency_p99_high on router-stg-01 (STG, role=router)", 1, 0),
    (42.0, "redis_replication_lag on redis-prod-b-2 (PROD, rack=r4, cluster=cache, role=redis)", 1, 1),
    (51.5, "runner-prod-08 stopped reporting: health checks failing on 2 PROD app instances", 3, 1),
    (54.5, "host_disk_full on mysql-prod-01 (PROD, rack=r5, role=mysql)", 1, 1),
    (61.5, "router_5xx_rate_high, router_latency_p99_high on 2 PROD hosts (rack=r1, role=router)", 4, 1),
    (65.0, "host_memory_high on runner-stg-03 (STG, role=app-runner)", 1, 0),
    (
        86.5,
        "redis cluster sessions (PROD) out of memory: health checks failing on 8 PROD app instances"
        " using redis cluster sessions",
        9,
        1,
    ),
    (98.0, "host_cpu_high on api-prod-02 (PROD, rack=r1, role=api)", 1, 1),
    (102.0, "mongodb_replication_lag on mongo-prod-3 (PROD, rack=r5, cluster=rs-main, role=mongodb)", 1, 1),
]


def _summary(world: World, start: float) -> list[tuple[float, str, int, int]]:
    pages: dict[str, int] = {}
    for p in world.pages:
        pages[p.incident_key] = pages.get(p.incident_key, 0) + 1
    return [
        ((i.incident.opened_at - start) / MINUTE, i.incident.title, len(i.alerts), pages.get(i.key, 0))
        for i in world.incidents()
    ]


@pytest.mark.slow
async def test_two_hours_of_demo_data_give_one_incident_per_injected_problem(
    tmp_path: Path, demo: DemoDataset, demo_source: StaticSource
) -> None:
    world = World(tmp_path)
    await run_rules(world, demo_source, demo.start, demo.end)

    assert _summary(world, demo.start) == EXPECTED
    flapping = [i for i in world.incidents() if i.flapping]
    assert [i.incident.title for i in flapping] == ["host_cpu_high on api-prod-02 (PROD, rack=r1, role=api)"]


async def test_single_sample_spikes_give_no_incident(
    tmp_path: Path, demo: DemoDataset, demo_source: StaticSource
) -> None:
    spikes = demo.problem("single_sample_spikes")
    world = World(tmp_path)
    await run_rules(world, demo_source, spikes.start - 2 * MINUTE, spikes.end + 2 * MINUTE)

    spiked = set(spikes.hosts)
    touched = {a.host for i in world.incidents() for a in i.alerts}
    assert spiked & touched == set()
    assert {a.host for i in world.incidents() for a in i.alerts} == {
        "api-prod-03",
        "runner-prod-05",
        "router-stg-01",
    }


async def test_live_mode_decides_exactly_what_batched_replay_decides(
    tmp_path: Path, demo: DemoDataset, demo_source: StaticSource
) -> None:
    start, end = demo.start + 84 * MINUTE, demo.start + 100 * MINUTE  # redis OOM + the flapping host
    live, batched = World(tmp_path / "live"), World(tmp_path / "batched")
    await run_rules(live, demo_source, start, end)
    await run_rules(batched, demo_source, start, end, batched=True)

    def decisions(world: World) -> list[tuple[float, str, str, str]]:
        return [(d.at, d.incident_key, d.transition.value, str(d.outcome)) for d in world.decisions]

    assert _summary(live, start) == _summary(batched, start)
    assert decisions(live) == decisions(batched)
    assert len(live.incidents()) == 2
