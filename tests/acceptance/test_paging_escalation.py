"""Escalation through the whole engine: unacknowledged, the Sub is paged at start + 10m (recorded
for PagerDuty, whose own escalation policy notifies Ben; sent to the ops-slack webhook); an ack
stops it and reaches PagerDuty and every channel that was paged (rules/routing.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerter.incidents.records import TimelineEntry
from alerter.source.static import Point
from integrations.pagerduty.fake import AlertStatus
from tests.acceptance.paging_world import ANNA, BEN, T0, PagingWorld, Timeline, ack, hot, open_world

pytestmark = pytest.mark.anyio

OPENED = (T0 + 120, T0 + 210)  # first critical evaluation + for: 2m


def started(world: PagingWorld) -> float:
    """When the incident paged the Primary (the escalation's start)."""
    [trigger] = world.delivered("pagerduty", "trigger")
    return trigger.at


def steps(entries: list[TimelineEntry]) -> list[tuple[str, str]]:
    return [
        (e.kind, e.detail.split(":")[0]) for e in entries if e.kind in ("paged", "escalation", "notified")
    ]


async def test_unacked_the_sub_is_paged_at_ten_minutes_and_an_ack_stops_escalation(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=["web-prod-01"]) as world:
        timeline = (
            Timeline(world)
            .at(T0, hot("web-prod-01"))
            .want("pagerduty", "trigger", "web-prod-01", between=OPENED, responder=ANNA)
            .want(
                "ops-slack",
                "trigger",
                "web-prod-01",
                between=(OPENED[0] + 600, OPENED[1] + 600),
                responder=BEN,
            )
            .at(T0 + 900, ack("web-prod-01", "ben"))
            .want("pagerduty", "acknowledge", "web-prod-01", between=(T0 + 900, T0 + 930))
            .want("ops-slack", "acknowledge", "web-prod-01", between=(T0 + 900, T0 + 930))
        )
        await timeline.run(until=T0 + 5400)  # past the final step (+20m) and both renotifies (+50m, +80m)
        assert timeline.check() == []

        start = started(world)
        [sub] = world.delivered("ops-slack", "trigger")
        assert sub.at == start + 600  # on the minute: the escalation tick at the batch, then delivery
        assert world.leads.pages == []  # the final step (platform-leads at +20m) never came
        key = world.key_of("web-prod-01")
        assert steps(world.timeline(key)) == [
            ("paged", "primary Anna Becker (anna) via pagerduty"),
            ("escalation", "sub Ben Schulz (ben) via pagerduty (recorded"),
            ("paged", "sub Ben Schulz (ben) via ops-slack"),
            ("notified", "acknowledged"),
        ]
        [alert] = world.fake.alerts
        assert alert.status is AlertStatus.ACKNOWLEDGED and alert.dedup_key == key


async def test_ack_before_ten_minutes_pages_no_sub(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=["web-prod-01"]) as world:
        timeline = (
            Timeline(world)
            .at(T0, hot("web-prod-01"))
            .want("pagerduty", "trigger", "web-prod-01", between=OPENED, responder=ANNA)
            .at(T0 + 600, ack("web-prod-01", "anna"))
            .want("pagerduty", "acknowledge", "web-prod-01", between=(T0 + 600, T0 + 630))
        )
        await timeline.run(until=T0 + 3600)
        assert timeline.check() == []
        assert world.requests("ops-slack") == [] and world.leads.pages == []


async def test_nobody_acks_sub_then_final_then_two_renotifies(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=["web-prod-01"]) as world:
        world.fleet.set("web-prod-01", 99.0, at=T0 + 5)
        await world.run_until(T0 + 5400)
        start = started(world)
        pages = [(s.at - start, s.channel, s.responder) for s in world.delivered()]
        leads = "channel platform-leads (email)"
        assert pages == [
            (0.0, "pagerduty", ANNA),  # PagerDuty escalates by itself: one trigger, the rest recorded
            (600.0, "ops-slack", BEN),
            (1200.0, "platform-leads", leads),
            (3000.0, "ops-slack", BEN),  # renotify 1 of 2: every level reached, 30m after the last
            (3000.0, "platform-leads", leads),
            (4800.0, "ops-slack", BEN),  # renotify 2 of 2 (max_renotify: 2), then nothing more
            (4800.0, "platform-leads", leads),
        ]
        assert {s.action for s in world.seen} == {"trigger"}
        assert [p.custom_details["step"] for _t, p in world.leads.pages] == ["final", "renotify", "renotify"]


async def test_data_team_route_escalates_after_five_minutes_all_inside_pagerduty(tmp_path: Path) -> None:
    """routing.yaml's data route (team=data, env=prod): the Sub after 5m, Anna (the data lead) 10m
    after that, all on PagerDuty, whose escalation policy notifies them: one trigger, the steps
    recorded on alerter's timeline."""
    async with open_world(tmp_path) as world:
        tags = {"host": "mongo-prod-2", "role": "mongodb", "env": "prod", "cluster": "rs0"}
        world.fleet.source.add(
            Point("mongodb", tags, {"repl_lag_s": 0.0 if t < T0 else 300.0}, t)
            for t in range(int(T0) - 300, int(T0) + 1800, 10)
        )
        await world.run_until(T0 + 1800)
        [trigger] = world.delivered()
        assert (trigger.channel, trigger.responder) == ("pagerduty", ANNA)
        details = trigger.body["payload"]["custom_details"]
        assert details["labels"]["team"] == "data" and details["affected_hosts"] == ["mongo-prod-2"]
        [key] = world.keys().values()
        recorded = [
            (e.at - trigger.at, e.detail.split(":")[0]) for e in world.timeline(key) if e.kind == "escalation"
        ]
        assert recorded == [
            (300.0, "sub Ben Schulz (ben) via pagerduty (recorded"),
            (900.0, "final Anna Becker (anna) via pagerduty (recorded"),
        ]
