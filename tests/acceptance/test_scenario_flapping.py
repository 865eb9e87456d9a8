"""A flapping host keeps one open incident, pages at most once and shows as flapping."""

from __future__ import annotations

from pathlib import Path

from alerter.incidents.lifecycle import IncidentStatus, Transition
from alerter.incidents.suppression import Suppressed
from alerter.model import Event
from tests.acceptance.timeline import T0, Series, World

POLICY = """
flapping: {window: 10, low: 0.1, high: 0.3}
lifecycle: {resolve_delay: 1m, reopen_window: 1h}
paging:
  - match: {env: prod, severity: critical}
    page: true
"""
NO_FLAP_DETECTION = POLICY.replace("{window: 10, low: 0.1, high: 0.3}", "{window: 10, low: 0.99, high: 1.0}")

CPU = Series("host_cpu_high", host="api-prod-02", env="prod", role="api")
FLAPS_UNTIL = T0 + 30 * 30


def flapping_cpu(t: float) -> list[Event]:
    """3 evaluations at critical, 3 at ok, for 30 evaluations; then steady ok."""
    n = int((t - T0) // 30)
    return [CPU.at("critical" if t < FLAPS_UNTIL and n % 6 < 3 else "ok")]


def test_a_flapping_host_pages_at_most_once_and_shows_as_flapping(tmp_path: Path) -> None:
    world = World(tmp_path, POLICY, "{}")
    world.every(30, T0, FLAPS_UNTIL, flapping_cpu)

    (incident,) = world.incidents()
    assert incident.flapping
    assert incident.incident.is_open
    assert [(d.transition, d.outcome) for d in world.decisions if d.pages] == [
        (Transition.OPENED, world.pages[0].outcome)
    ]
    assert [(d.transition, d.outcome) for d in world.decisions if not d.pages] == [
        (Transition.REOPENED, Suppressed.FLAPPING)
    ]


def test_when_it_stops_flapping_the_incident_resolves(tmp_path: Path) -> None:
    world = World(tmp_path, POLICY, "{}")
    world.every(30, T0, FLAPS_UNTIL + 900, flapping_cpu)
    (incident,) = world.incidents()
    assert not incident.flapping
    assert incident.incident.status is IncidentStatus.RESOLVED
    assert len(world.pages) == 1


def test_without_flap_detection_the_same_host_pages_on_every_cycle(tmp_path: Path) -> None:
    """The control: resolve + reopen each cycle, a page each time."""
    world = World(tmp_path, NO_FLAP_DETECTION, "{}")
    world.every(30, T0, FLAPS_UNTIL, flapping_cpu)
    (incident,) = world.incidents()
    assert incident.incident.reopened_count == 4
    assert len(world.pages) == 5


def test_a_restart_mid_flap_keeps_the_flapping_window(tmp_path: Path) -> None:
    """Dedup/flapping state is saved with the per-series states: after a restart the series
    is still flapping, its ok is still held, and nothing pages or clears."""
    world = World(tmp_path, POLICY, "{}")
    world.every(30, T0, T0 + 300, flapping_cpu)
    world.restart()
    world.every(30, T0 + 300, FLAPS_UNTIL, flapping_cpu)

    (incident,) = world.incidents()
    assert incident.flapping and incident.incident.is_open
    assert len(world.pages) == 1
    assert not any(d.transition is Transition.OPENED for r in world.results[10:] for d in r.decisions)
    with world.store.transaction() as tx:
        timeline = [e.kind for e in tx.timeline(incident.key)]
    assert "cleared" not in timeline[timeline.index("flapping") :]
