"""Restart without a kill: a new ``compose`` on the same database neither re-pages the open
incidents nor loses their escalation, which resumes on the original timeline (the Sub at the
incident's start + 10m, planned before the restart), also after the engine was down past it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.paging_world import ANNA, BEN, T0, PagingWorld, open_world

pytestmark = pytest.mark.anyio

HOSTS = ["web-prod-01", "web-prod-02"]


def pages(world: PagingWorld, start: float) -> list[tuple[float, str, str, str | None]]:
    return [(s.at - start, s.channel, s.action, s.responder) for s in world.delivered()]


async def test_restart_does_not_repage_and_escalation_keeps_its_timeline(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=HOSTS) as world:
        for host in HOSTS:
            world.fleet.set(host, 99.0, at=T0 + 5)
        await world.run_until(T0 + 420)
        starts = {s.dedup_key: s.at for s in world.delivered("pagerduty", "trigger")}
        assert len(starts) == 2 and len(set(starts.values())) == 1
        start = next(iter(starts.values()))

        world.restart()  # a deploy, start + 4m: same database, new engine, new scheduler
        await world.run_until(start + 540)
        world.restart()  # and another one, start + 9m, just before the Sub is due
        await world.run_until(start + 1260)

        assert sorted(pages(world, start)) == sorted(
            [(0.0, "pagerduty", "trigger", ANNA)] * 2
            + [(600.0, "ops-slack", "trigger", BEN)] * 2
            + [(1200.0, "platform-leads", "trigger", "channel platform-leads (email)")] * 2
        )
        assert len(world.fake.alerts) == 2 and {a.dedup_key for a in world.fake.alerts} == set(starts)
        assert [r.status for r in world.fake.received] == [202, 202]
        assert len(world.incidents()) == 2


async def test_engine_down_past_the_sub_step_pages_the_sub_once_at_restart(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=["web-prod-01"]) as world:
        world.fleet.set("web-prod-01", 99.0, at=T0 + 5)
        await world.run_until(T0 + 300)
        [trigger] = world.delivered("pagerduty", "trigger")
        start = trigger.at

        world.engine.close()  # the engine stops at start + 2m and stays down until start + 12m
        world.clock.set(start + 720)
        world.restart()
        await world.run_until(start + 1500)

        assert pages(world, start) == [
            (0.0, "pagerduty", "trigger", ANNA),
            (750.0, "ops-slack", "trigger", BEN),  # the overdue Sub, at the first step after the restart
            (1200.0, "platform-leads", "trigger", "channel platform-leads (email)"),  # still start + 20m
        ]
        key = world.key_of("web-prod-01")
        paged = [(e.at - start, e.detail.split(":")[0]) for e in world.timeline(key) if e.kind == "paged"]
        assert paged == [
            (0.0, "primary Anna Becker (anna) via pagerduty"),
            (600.0, "sub Ben Schulz (ben) via ops-slack"),  # recorded at its planned time
            (1200.0, "final channel platform-leads (email) via platform-leads"),
        ]
        assert len(world.fake.alerts) == 1
