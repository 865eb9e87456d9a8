"""A 429 storm is honoured through the whole engine: after a 429 no request reaches PagerDuty
before the throttle's retry-after, and every incident still pages exactly once.

PagerDuty's Events API sends no Retry-After header; the pager applies PagerDuty's documented
advice (retry 30 s apart). Here three 429s are injected, then the fake's own sliding window
(lowered to 10 events a minute) throttles the storm of 24 incidents. The sender steps every
virtual second, so a request inside the 30 s would be seen."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from integrations.pagerduty.fake import Fault
from tests.acceptance.paging_world import T0, open_world

pytestmark = pytest.mark.anyio

HOSTS = [f"web-prod-{i:02d}" for i in range(1, 25)]
RETRY_AFTER = 30.0  # integrations/pagerduty/events_response.py: DEFAULT_THROTTLE_RETRY_AFTER


async def test_429_storm_no_request_before_retry_after_and_every_page_once(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=HOSTS, tick=1.0, rate_limit=10) as world:
        for i, host in enumerate(HOSTS):
            world.fleet.set(host, 99.0, at=T0 + 5 + 5 * i)
        world.fake.inject(Fault.THROTTLE, 3)
        await world.run_until(T0 + 540)  # before the first Sub step (+10m) adds other pages
        keys = set(world.keys().values())

    requests = world.requests("pagerduty")
    throttled = [s.at for s in requests if s.status == 429]
    assert len(throttled) >= 5  # 3 injected, then the fake's own 10-a-minute window
    for t in throttled:
        assert [s.at for s in requests if t < s.at < t + RETRY_AFTER] == []
    assert all(s.status in (202, 429) for s in requests)
    assert Counter(s.dedup_key for s in world.delivered("pagerduty", "trigger")) == Counter(keys)
    assert len(keys) == 24 and sorted(a.dedup_key for a in world.fake.alerts) == sorted(keys)


async def test_slack_429_with_retry_after_delays_only_the_slack_page(tmp_path: Path) -> None:
    """Slack answers the Sub's page with 429 and ``Retry-After: 90``: no request reaches Slack
    for 90 s, then the page is delivered once; PagerDuty (another channel) is not held back."""
    async with open_world(tmp_path, prod=["web-prod-01", "web-prod-02"], tick=1.0) as world:
        world.fleet.set("web-prod-01", 99.0, at=T0 + 5)
        world.fleet.set("web-prod-02", 99.0, at=T0 + 605)  # opens about when 01's Sub is throttled
        world.slack.script.append((429, {"Retry-After": "90"}))
        await world.run_until(T0 + 1000)

    slack = world.requests("ops-slack")
    assert [(s.at - T0, s.status) for s in slack] == [(780.0, 429), (870.0, 200)]
    assert slack[0].dedup_key == slack[1].dedup_key and slack[0].body == slack[1].body
    pagerduty = [(s.at - T0, s.status) for s in world.requests("pagerduty")]
    assert pagerduty == [(180.0, 202), (780.0, 202)]  # 02's trigger goes out while Slack is paused
