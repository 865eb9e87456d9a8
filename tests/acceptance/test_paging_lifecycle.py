"""The incident lifecycle as PagerDuty sees it through the whole engine: a resolved incident that
fires again within the reopen window pages again as a NEW PagerDuty alert under the same
dedup_key; an ack given while PagerDuty is down arrives after its trigger, never before."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.pagerduty.fake import AlertStatus, Fault
from tests.acceptance.paging_world import ANNA, T0, Outage, Timeline, ack, cool, hot, open_world

pytestmark = pytest.mark.anyio


async def test_a_reopened_incident_pages_again_as_a_new_pagerduty_alert(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=["web-prod-01"]) as world:
        timeline = (
            Timeline(world)
            .at(T0, hot("web-prod-01"))
            .want("pagerduty", "trigger", "web-prod-01", between=(T0 + 120, T0 + 210), responder=ANNA)
            .at(T0 + 240, cool("web-prod-01"))
            # ok from about T0+4m30s, resolved 5m later (resolve_delay)
            .want("pagerduty", "resolve", "web-prod-01", between=(T0 + 540, T0 + 630))
            .at(T0 + 900, hot("web-prod-01"))  # within reopen_window (1h): the same incident
            .want("pagerduty", "trigger", "web-prod-01", between=(T0 + 1020, T0 + 1110), responder=ANNA)
        )
        await timeline.run(until=T0 + 1500)
        assert timeline.check() == []
        triggers = world.delivered("pagerduty", "trigger")
        assert [s.at - T0 for s in triggers] == [180.0, 1080.0]
        key = world.key_of("web-prod-01")
        assert [r.key for r in world.incidents()] == [key]
        assert [(a.dedup_key, a.status, a.log) for a in world.fake.alerts] == [
            (key, AlertStatus.RESOLVED, ["trigger", "resolve"]),
            (key, AlertStatus.TRIGGERED, ["trigger"]),  # PagerDuty opens a new alert after a resolve
        ]
        steps = [e.detail for e in world.timeline(key) if e.kind == "escalation"]
        assert steps == ["restarted: the incident reopened"]


async def test_an_ack_given_while_pagerduty_is_down_arrives_after_its_trigger(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=["web-prod-01"], tick=10.0) as world:
        outage = Outage(T0 + 100, T0 + 700, (Fault.UNAVAILABLE, Fault.DROP))
        world.before_delivery.append(outage)
        timeline = (
            Timeline(world)
            .at(T0, hot("web-prod-01"))
            .at(T0 + 300, ack("web-prod-01", "anna"))  # seen in alerter's UI; PagerDuty never got the page
            .want("pagerduty", "trigger", "web-prod-01", between=(T0 + 700, T0 + 900), responder=ANNA)
            .want("pagerduty", "acknowledge", "web-prod-01", between=(T0 + 700, T0 + 900))
        )
        await timeline.run(until=T0 + 1500)
        assert timeline.check() == []
        assert outage.unused(world) == 0
        assert [s.action for s in world.delivered("pagerduty")] == ["trigger", "acknowledge"]
        [alert] = world.fake.alerts
        assert alert.status is AlertStatus.ACKNOWLEDGED and alert.log == ["trigger", "acknowledge"]
        assert world.requests("ops-slack") == []  # acked before the Sub step: nobody else paged


async def test_a_prod_warning_pages_nobody_until_it_turns_critical(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=["web-prod-01"]) as world:
        timeline = (
            Timeline(world)
            .at(T0, hot("web-prod-01", level=90.0))  # host_cpu_high: warning above 85
            .at(T0 + 600, hot("web-prod-01"))  # critical above 95, for: 2m
            .want("pagerduty", "trigger", "web-prod-01", between=(T0 + 720, T0 + 810), responder=ANNA)
        )
        await timeline.run(until=T0 + 1200)
        assert timeline.check() == []
        [incident] = world.incidents()
        assert incident.incident.opened_at < T0 + 300  # the warning opened it, unpaged
        [trigger] = world.delivered("pagerduty", "trigger")
        assert trigger.body["payload"]["severity"] == "critical"
