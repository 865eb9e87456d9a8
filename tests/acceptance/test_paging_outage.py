"""PagerDuty down 10 minutes during a storm: every page arrives after recovery, none twice.

24 PROD hosts run hot one after another (6 a minute, under the storm policy's 20 new incidents a
minute, so each is its own incident); PagerDuty answers every request with a 503, a dropped
connection, a 500 or a timeout from T0+2m to T0+12m, while the incidents open and four of them
resolve. The engine keeps every page in its outbox, probes PagerDuty with backoff instead of a
request per queued page, and after recovery each incident's trigger reaches PagerDuty exactly
once as its own alert, each resolve after its trigger (on-call issue section 7)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from alerter.incidents.outbox_tables import OutboxStatus
from integrations.pagerduty.fake import Fault
from integrations.pagerduty.fake.state import Applied
from tests.acceptance.paging_world import T0, Outage, open_world

pytestmark = pytest.mark.anyio

HOSTS = [f"web-prod-{i:02d}" for i in range(1, 25)]
CLEARED = HOSTS[:4]  # cool again at T0+4m30s: resolved (resolve_delay 5m) while PagerDuty is down
DOWN = (T0 + 120, T0 + 720)
U, D, E = Fault.UNAVAILABLE, Fault.DROP, Fault.SERVER_ERROR
FAULTS = (U, D, Fault.TIMEOUT, E, U, D, E, U, D, U, D, E)  # one timeout: it costs real time


async def test_pagerduty_down_10_minutes_during_a_storm_every_page_arrives_once_after_recovery(
    tmp_path: Path,
) -> None:
    async with open_world(tmp_path, prod=HOSTS, tick=10.0) as world:
        for i, host in enumerate(HOSTS):
            world.fleet.set(host, 99.0, at=T0 + 5 + 10 * i)
        for host in CLEARED:
            world.fleet.set(host, 20.0, at=T0 + 275)
        outage = Outage(*DOWN, FAULTS)
        world.before_delivery.append(outage)
        await world.run_until(DOWN[1])

        during = world.requests("pagerduty")
        assert during and all(not s.accepted for s in during)
        assert outage.unused(world) == 0  # every injected fault was used, none leaks past the outage
        assert {r.fault for r in world.fake.received} == set(FAULTS)
        assert len(during) <= 12  # backoff: a probe per pause, not a request per queued page
        by_host = world.keys()
        keys = {by_host[h]: h for h in HOSTS}
        assert len(keys) == 24
        resolved = {by_host[h] for h in CLEARED}
        assert {r.key for r in world.incidents() if not r.incident.is_open} == resolved

        await world.run_until(T0 + 1500)
        counts = world.engine.outbox.counts()
        assert counts[OutboxStatus.PENDING] == counts[OutboxStatus.SENDING] == 0
        assert world.engine.outbox.failed() == []

    accepted = world.delivered("pagerduty")
    assert all(s.at >= DOWN[1] for s in accepted)
    assert Counter((s.action, s.dedup_key) for s in accepted) == Counter(
        [("trigger", k) for k in keys] + [("resolve", k) for k in resolved]
    )
    order = [(s.action, s.dedup_key) for s in accepted]
    for key in resolved:
        assert order.index(("trigger", key)) < order.index(("resolve", key))
    assert sorted(a.dedup_key for a in world.fake.alerts) == sorted(keys)  # 24 distinct alerts
    assert Counter(r.applied for r in world.fake.received if r.status == 202) == {
        Applied.OPENED: 24,
        Applied.RESOLVED: 4,
    }
    for s in world.delivered("pagerduty", "trigger"):
        assert s.body["payload"]["custom_details"]["affected_hosts"] == [keys[s.dedup_key]]
