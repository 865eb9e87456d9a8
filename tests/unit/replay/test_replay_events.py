"""replay_events: an exported history fed in time order into the pipeline, with ticks in between."""

from __future__ import annotations

from pathlib import Path

import pytest
from replay_world import RULES_DIR, T0, history

from alerter.config.correlation import CorrelationPolicy
from alerter.config.routing import load_routing_config
from alerter.incidents.store import IncidentStore
from alerter.model import Event
from alerter.replay import ReplaySetup, incident_dicts, iso, replay_events, routing_target


def disk(host: str, env: str, state: str, t: float) -> Event:
    return history(host, "disk /", state, t, env=env)


def outage() -> list[Event]:
    """web-1 (prod) and web-9 (stg) critical at +60, ok at +300; only the changes were exported."""
    return [
        disk("web-1", "prod", "ok", T0),
        disk("web-9", "stg", "ok", T0),
        disk("web-1", "prod", "critical", T0 + 60),
        disk("web-9", "stg", "critical", T0 + 60),
        disk("web-1", "prod", "ok", T0 + 300),
        disk("web-9", "stg", "ok", T0 + 300),
    ]


def test_an_exported_outage_pages_for_prod_only(store: IncidentStore, policy: CorrelationPolicy) -> None:
    summary = replay_events(outage(), ReplaySetup(store, policy))

    [page] = summary.pages
    assert (page.time, page.hosts, page.title) == (T0 + 60, ("web-1",), "disk / on web-1 (PROD)")
    assert (summary.events, summary.alerts, summary.incidents, summary.evaluations) == (6, 2, 2, 0)
    assert summary.suppressed == {"policy": 1}
    assert (summary.start, summary.end) == (T0, T0 + 300)


def test_ticks_between_events_resolve_incidents_when_live_mode_would(
    store: IncidentStore, policy: CorrelationPolicy
) -> None:
    seen: list[float] = []
    replay_events(outage(), ReplaySetup(store, policy), end=T0 + 900, progress=seen.append)

    # ok at +300, resolve_delay 5m: the first tick at or after +600 resolves, with no event there
    assert [(i["status"], i["resolved_at"]) for i in incident_dicts(store)] == [
        ("resolved", iso(T0 + 600))
    ] * 2
    assert seen == sorted(seen) and seen[-1] == T0 + 900
    assert T0 + 600 in seen


def test_without_ticks_up_to_the_end_the_incident_stays_open(
    store: IncidentStore, policy: CorrelationPolicy
) -> None:
    replay_events(outage(), ReplaySetup(store, policy), end=T0 + 599)
    assert [i["status"] for i in incident_dicts(store)] == ["triggered", "triggered"]


def test_events_are_replayed_in_time_order_whatever_the_file_order(
    store: IncidentStore, policy: CorrelationPolicy
) -> None:
    summary = replay_events(list(reversed(outage())), ReplaySetup(store, policy), end=T0 + 900)
    assert [p.time for p in summary.pages] == [T0 + 60]
    assert [i["status"] for i in incident_dicts(store)] == ["resolved", "resolved"]


def test_events_outside_the_window_are_skipped(store: IncidentStore, policy: CorrelationPolicy) -> None:
    summary = replay_events(outage(), ReplaySetup(store, policy), start=T0 + 120, end=T0 + 900)
    assert (summary.events, summary.pages, summary.incidents) == (2, (), 0)


def test_one_series_stays_one_alert_and_a_second_kind_joins_by_policy(
    store: IncidentStore, policy: CorrelationPolicy
) -> None:
    # the shipped policy groups host_cpu_high and host_memory_high of one host into one incident
    events = [
        history("api-1", "cpu", "critical", T0, rule="host_cpu_high", env="prod"),
        history("api-1", "mem", "critical", T0 + 30, rule="host_memory_high", env="prod"),
        history("api-1", "cpu", "critical", T0 + 30, rule="host_cpu_high", env="prod"),
    ]
    summary = replay_events(events, ReplaySetup(store, policy))
    [incident] = incident_dicts(store)
    assert sorted(a["rule"] for a in incident["alerts"]) == ["host_cpu_high", "host_memory_high"]
    assert len(summary.pages) == 1


def test_a_tick_must_be_positive(store: IncidentStore, policy: CorrelationPolicy) -> None:
    with pytest.raises(ValueError, match="tick must be > 0"):
        replay_events(outage(), ReplaySetup(store, policy), tick=0)


def test_an_empty_history_is_an_empty_replay(store: IncidentStore, policy: CorrelationPolicy) -> None:
    summary = replay_events([], ReplaySetup(store, policy), start=T0, end=T0 + 60)
    assert (summary.events, summary.incidents, summary.pages) == (0, 0, ())


DATA_ROTATION = """\
rotation:
  name: data
  start: 2026-01-05
  handoff: {weekday: monday, time: "10:00", timezone: Europe/Berlin}
  order: [ben, anna]
  sub_offset: 1
members:
  - {id: anna, name: Anna Becker, email: anna.becker@example.com, pagerduty_user_id: PANNA01, timezone: Europe/Berlin}
  - {id: ben, name: Ben Schulz, email: ben.schulz@example.com, pagerduty_user_id: PBEN002, timezone: Europe/Berlin}
"""

ROUTING = """\
channels:
  pagerduty: {type: pagerduty}
routing:
  rotations: {platform: platform.yaml, data: data.yaml}
  routes:
    - match: {team: data}
      rotation: data
  default: platform
"""


def test_routing_names_the_primary_of_the_rotation_a_page_routes_to(
    tmp_path: Path, store: IncidentStore, policy: CorrelationPolicy
) -> None:
    (tmp_path / "platform.yaml").write_text((RULES_DIR / "oncall.yaml").read_text())
    (tmp_path / "data.yaml").write_text(DATA_ROTATION)
    (tmp_path / "routing.yaml").write_text(ROUTING)
    config, problems = load_routing_config(tmp_path / "routing.yaml")
    assert config is not None, problems
    t = T0 + 3600  # the rotations' first handoff: Monday 10:00 Berlin
    events = [
        history("db-1", "repl", "critical", T0 + 60, env="prod", team="data"),  # before any rotation
        history("db-2", "repl", "critical", t + 60, env="prod", team="data"),
        history("web-1", "cpu", "critical", t + 60, env="prod", team="web"),
    ]
    summary = replay_events(events, ReplaySetup(store, policy, target=routing_target(config)))
    assert [(p.hosts, p.target) for p in summary.pages] == [
        (("db-1",), None),
        (("db-2",), "ben"),
        (("web-1",), "anna"),
    ]
