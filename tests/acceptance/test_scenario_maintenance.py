"""A rolling release under maintenance gives no incident; each suppressed alert is recorded with
its named reason. The maintenance windows themselves are another stage's: here a simple
suppressor stands in for them through the pipeline's hook."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from alerter.incidents.suppression import Suppressed
from alerter.model import Event
from tests.acceptance.timeline import T0, Series, World

RELEASE = (T0, T0 + 1200)
INSTANCES = [
    Series(
        "app_health_check_failing",
        host=f"runner-prod-{i % 10 + 1:02d}",
        env="prod",
        role="app-runner",
        app="checkout",
        instance=f"checkout-prod-{i}",
        team="apps",
        service="apps",
    )
    for i in range(1, 9)
]


def release_window(labels: Mapping[str, str], now: float) -> str | None:
    """Maintenance: app checkout is being released in PROD during RELEASE."""
    if labels.get("app") == "checkout" and RELEASE[0] <= now < RELEASE[1]:
        return "release checkout 4.2.0 (CHG-1234)"
    return None


def rolling(t: float) -> list[Event]:
    """One instance after the other restarts: each fails its health check for 2 minutes."""
    step = int((t - T0) // 120)
    return [s.at("critical" if i == step else "ok") for i, s in enumerate(INSTANCES)]


def test_a_rolling_release_under_maintenance_gives_no_incident(tmp_path: Path) -> None:
    world = World(tmp_path, suppressor=release_window)
    world.every(30, T0, T0 + 1800, rolling)

    assert world.incidents() == []
    assert world.pages == []
    assert [(s.fingerprint, s.reason) for s in world.suppressions] == [
        (s.fingerprint, Suppressed.MAINTENANCE) for s in INSTANCES
    ]
    stored = world.stored_suppressions()
    assert len(stored) == 8
    assert all(reason == "maintenance" and "CHG-1234" in detail for reason, detail in stored)


def test_the_same_release_without_maintenance_pages(tmp_path: Path) -> None:
    """The control: without the window the release is one incident (grouped) and pages."""
    world = World(tmp_path)
    world.every(30, T0, T0 + 1800, rolling)
    (incident,) = world.incidents()
    assert (
        incident.incident.title
        == "health checks failing on 8 PROD app instances using redis cluster sessions"
    )
    assert len(world.pages) == 1


def test_an_alert_still_firing_when_maintenance_ends_opens_an_incident_at_its_next_refresh(
    tmp_path: Path,
) -> None:
    """Dedup re-sends a firing alert every 5m (dedup.refresh); each re-send during the window is
    suppressed again, the first one after it opens the incident."""
    world = World(tmp_path, suppressor=release_window)
    stuck = INSTANCES[0]
    world.every(30, T0, RELEASE[1], lambda t: [stuck.at("critical")])
    assert world.incidents() == []
    assert [s.at for s in world.suppressions] == [T0, T0 + 300, T0 + 600, T0 + 900]
    world.every(30, RELEASE[1], RELEASE[1] + 300, lambda t: [stuck.at("critical")])
    (incident,) = world.incidents()
    assert incident.incident.opened_at == RELEASE[1]
    assert len(world.pages) == 1
