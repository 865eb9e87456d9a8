"""Paging across the weekly handoff (rules/oncall.yaml: Mondays 10:00 Berlin): an incident keeps
the responders it started with (they have the context), so its Sub step after the handoff
still goes to the old Sub; an incident opening after the handoff pages the new Primary."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.paging_world import ANNA, BEN, open_world

pytestmark = pytest.mark.anyio

HANDOFF = 1_768_208_400.0  # Monday 2026-01-12 09:00 UTC = 10:00 Berlin: week 1, Ben Primary, Clara Sub
CLARA = "Clara Wolf (clara)"
START = HANDOFF - 600


async def test_escalation_keeps_its_responders_across_the_handoff(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=["web-prod-01", "web-prod-02"], start=START) as world:
        world.fleet.set("web-prod-01", 99.0, at=START + 5)  # pages at HANDOFF - 7m
        world.fleet.set("web-prod-02", 99.0, at=HANDOFF + 5)  # pages at HANDOFF + 3m
        await world.run_until(HANDOFF + 900)
        keys = world.keys()

    pages = [(s.at - HANDOFF, s.channel, s.dedup_key, s.responder) for s in world.delivered()]
    assert pages == [
        (-420.0, "pagerduty", keys["web-prod-01"], ANNA),
        (0.0, "ops-slack", f"handoff-platform-{int(HANDOFF)}", BEN),  # the new Primary's summary
        (180.0, "pagerduty", keys["web-prod-02"], BEN),
        (180.0, "ops-slack", keys["web-prod-01"], BEN),  # the Sub of the incident's start, not Clara
        (780.0, "ops-slack", keys["web-prod-02"], CLARA),
        (780.0, "platform-leads", keys["web-prod-01"], "channel platform-leads (email)"),
    ]
