"""An alert storm through the whole engine: 30 PROD hosts go critical in the same minute. The
storm policy (rules/correlation.yaml: past 20 new incidents a minute per env, the rest roll into
one) keeps PagerDuty to 21 pages: 20 incidents and one storm incident naming the other 10."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.acceptance.paging_world import ANNA, T0, open_world

pytestmark = pytest.mark.anyio

HOSTS = [f"web-prod-{i:02d}" for i in range(1, 31)]


async def test_a_storm_of_30_new_incidents_in_a_minute_pages_21_times(tmp_path: Path) -> None:
    async with open_world(tmp_path, prod=HOSTS) as world:
        for host in HOSTS:
            world.fleet.set(host, 99.0, at=T0 + 5)
        await world.run_until(T0 + 500)
        incidents = world.incidents()

    triggers = world.delivered("pagerduty", "trigger")
    assert len(triggers) == len(incidents) == 21
    assert Counter(s.dedup_key for s in triggers) == Counter(r.key for r in incidents)
    assert {s.at - T0 for s in triggers} == {180.0}
    assert {s.responder for s in triggers} == {ANNA}
    [storm] = [s for s in triggers if s.body["payload"]["summary"].startswith("alert storm")]
    assert storm.body["payload"]["summary"] == "alert storm: 10 new alerts in PROD (host_cpu_high 10)"
    details = storm.body["payload"]["custom_details"]
    assert details["affected_host_count"] == 10 and details["alert_count"] == 10
    singles = {s.body["payload"]["custom_details"]["affected_hosts"][0] for s in triggers if s is not storm}
    assert singles | set(details["affected_hosts"]) == set(HOSTS)
    assert len(world.fake.alerts) == 21
