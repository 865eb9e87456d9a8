"""A rack going silent (no data from 120 hosts) gives one incident, not 120; without topology the
storm guard still rolls the flood into one storm incident after the first few."""

from __future__ import annotations

from pathlib import Path

from alerter.incidents.suppression import Suppressed
from alerter.model import Event
from tests.acceptance.timeline import T0, Series, World

HOSTS = [f"node-{i:03d}" for i in range(120)]
TOPOLOGY = (
    "dependencies:\n  - name: racks\n    label: host\n    add: rack\n    values:\n      r12: ["
    + ", ".join(HOSTS)
    + "]\n      r13: [node-900, node-901]\n"
)
SILENT = [Series("host_not_reporting", host=h, env="prod", role="app-runner") for h in HOSTS]
NEIGHBOURS = [
    Series("host_not_reporting", host=h, env="prod", role="app-runner") for h in ("node-900", "node-901")
]


def silence(t: float) -> list[Event]:
    return [*(s.at("critical") for s in SILENT), *(n.at("ok") for n in NEIGHBOURS)]


def test_a_silent_rack_is_one_incident(tmp_path: Path) -> None:
    world = World(tmp_path, topology=TOPOLOGY)
    world.every(30, T0, T0 + 600, silence)

    (incident,) = world.incidents()
    assert incident.incident.title == "no data from 120 PROD hosts in rack r12"
    assert len(incident.alerts) == 120
    assert len(world.pages) == 1


def test_without_racks_the_storm_guard_rolls_the_flood_into_one_storm_incident(tmp_path: Path) -> None:
    """No topology and no grouping rule: 120 incidents of their own would open; the storm guard
    lets 20 open in the first minute and rolls the other 100 into one storm incident."""
    world = World(
        tmp_path,
        "storm: {by: [env], max_new: 20, per: 1m}\npaging: [{match: {env: prod}, page: true}]",
        topology="{}",
    )
    world.every(30, T0, T0 + 600, silence)

    incidents = world.incidents()
    assert len(incidents) == 21
    storm = incidents[-1]
    assert storm.incident.group_key == "storm:env=prod"
    assert storm.incident.title == "alert storm: 100 new alerts in PROD (host_not_reporting 100)"
    assert len(storm.alerts) == 100
    assert len(world.pages) == 21
    assert [s.reason for s in world.suppressions] == [Suppressed.STORM] * 100


def test_after_a_quiet_window_the_storm_guard_lets_new_alerts_open_their_own_incidents(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, "storm: {by: [env], max_new: 2, per: 1m}", topology="{}")
    world.evaluate(T0, [s.at("critical") for s in SILENT[:5]])
    assert len(world.incidents()) == 3  # 2 own + the storm
    world.evaluate(T0 + 60, [s.at("critical") for s in SILENT[:6]])
    assert len(world.incidents()) == 3  # the storm lasts one window past its stormy one
    world.evaluate(T0 + 130, [s.at("critical") for s in SILENT[:7]])
    assert len(world.incidents()) == 4  # quiet again: node 7 opens its own
    assert len(world.incidents()[1].alerts) == 1
    assert len(world.incidents()[2].alerts) == 4
