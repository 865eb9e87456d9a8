"""A PROD critical problem pages the Primary once through PagerDuty; STG never pages.

The whole engine (``alerter.app.compose``) on a FakeClock, the shipped rules, the fake PagerDuty
over real HTTP (on-call issue section 7; STYLE section 6 acceptance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.paging_world import ANNA, T0, Timeline, ack, hot, open_world

pytestmark = pytest.mark.anyio


async def test_prod_critical_pages_the_primary_once_and_stg_does_not_page(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=["web-prod-01"], stg=["web-stg-01"]) as world:
        timeline = (
            Timeline(world)
            .at(T0, hot("web-prod-01", "web-stg-01"))
            # host_cpu_high: critical at the first 30 s evaluation, firing after for: 2m
            .want("pagerduty", "trigger", "web-prod-01", between=(T0 + 120, T0 + 210), responder=ANNA)
            .at(T0 + 300, ack("web-prod-01", "anna"))
            .want("pagerduty", "acknowledge", "web-prod-01", between=(T0 + 300, T0 + 330))
        )
        await timeline.run(until=T0 + 900)
        assert timeline.check() == []

        key = world.key_of("web-prod-01")
        [trigger] = world.delivered("pagerduty", "trigger")
        assert trigger.dedup_key == key
        payload = trigger.body["payload"]
        assert payload["severity"] == "critical" and payload["source"] == "alerter"
        assert payload["summary"] == "host_cpu_high on web-prod-01 (PROD, role=web)"
        details = payload["custom_details"]
        assert (details["responder"], details["responder_id"], details["step"]) == (ANNA, "anna", "primary")
        assert details["affected_hosts"] == ["web-prod-01"]
        assert {
            "href": f"http://alerter.test/incidents/{key}",
            "text": "incident in alerter",
        } in trigger.body["links"]
        [alert] = world.fake.alerts
        assert (alert.dedup_key, alert.status.value) == (key, "acknowledged")

        stg = world.key_of("web-stg-01")
        assert all(s.dedup_key != stg for s in world.seen)
        [stg_incident] = [r for r in world.incidents() if r.key == stg]
        assert stg_incident.suppressed == "policy"

        # the checker itself: a window that misses, a wrong responder, a page nobody wanted
        wrong = (
            Timeline(world)
            .want("pagerduty", "trigger", "web-prod-01", between=(T0, T0 + 60))
            .want("pagerduty", "acknowledge", "web-prod-01", between=(T0 + 300, T0 + 330), responder=ANNA)
        )
        assert wrong.check() == [
            "wanted once, got 0 (all such pages: ['+180s']): trigger to pagerduty about web-prod-01 in [+0s, +60s]",
            "wanted once, got 0 (all such pages: []): acknowledge to pagerduty about web-prod-01 naming "
            "Anna Becker (anna) in [+300s, +330s]",
            f"unwanted trigger to pagerduty ({key}, Anna Becker (anna)) at +180s",
            f"unwanted acknowledge to pagerduty ({key}, None) at +330s",
        ]
