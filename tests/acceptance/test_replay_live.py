"""Replay and live mode produce the same incidents and pages for the same data.

Live mode is driven here as ``app.run_live`` runs it, minus the wall clock: the shared wiring
(:func:`alerter.replay.build_engine`), rules loaded by the :class:`RuleReloader` (polled every 10 s),
and ``RuleEngine.run(names)`` called at the instants APScheduler's interval triggers fire (first due
time from :class:`Timing`, to the microsecond, plus whole intervals; rules due together in one
call), reading ``now`` from the clock. Replay is :func:`alerter.replay.replay_rules` on the
:class:`VirtualScheduler`. A third path exports every event the engine emitted as JSON lines
and replays that history (``alerter replay --events``): it must decide the same too.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from alerter.clock import FakeClock
from alerter.config.correlation import CorrelationPolicy, load_correlation
from alerter.config.load import load_rules
from alerter.config.oncall import load_oncall
from alerter.config.topology import Topology, load_topology
from alerter.demo.dataset import MINUTE, DemoDataset
from alerter.evaluate.reload import RuleReloader
from alerter.evaluate.timing import Timing
from alerter.incidents.store import IncidentStore
from alerter.model import Event
from alerter.replay import (
    PageRecord,
    PageRecorder,
    ReplaySetup,
    build_engine,
    incident_dicts,
    oncall_target,
    read_events,
    replay_events,
    replay_rules,
)
from alerter.source import MetricSource
from alerter.source.static import StaticSource

RULES = Path(__file__).resolve().parents[2] / "rules"
RULE_FILES = [RULES / f"{name}.yaml" for name in ("apps", "host", "mongodb", "redis", "router")]
TIMING = Timing(2.0, seed="alerter")  # the live defaults: Settings.jitter, Settings.engine_name
RELOAD_EVERY = 10.0


def policy_files() -> tuple[CorrelationPolicy, Topology]:
    policy, problems = load_correlation(RULES / "correlation.yaml")
    topology, more = load_topology(RULES / "topology.yaml")
    assert policy is not None and topology is not None, [*problems, *more]
    return policy, topology


def setup(store: IncidentStore) -> ReplaySetup:
    policy, topology = policy_files()
    spec, problems = load_oncall(RULES / "oncall.yaml")
    assert spec is not None, problems
    return ReplaySetup(store, policy, topology, target=oncall_target(spec), timing=TIMING)


def firing_instants(rules: Mapping[str, Any], start: float, end: float) -> list[tuple[float, list[str]]]:
    """When APScheduler's IntervalTriggers fire in ``(start, end]``, and which rules, in load order."""
    due: dict[float, list[str]] = defaultdict(list)
    for name, rule in rules.items():
        first = round(TIMING.next_due(rule.group, rule.interval, after=start), 6)  # a datetime's microseconds
        k = 0
        while (t := first + k * rule.interval) <= end:
            due[t].append(name)
            k += 1
    return sorted(due.items())


async def run_live(source: MetricSource, store: IncidentStore, start: float, end: float) -> list[PageRecord]:
    """Live wiring, driven instant by instant; returns the pages in the shape replay reports them."""
    s = setup(store)
    clock = FakeClock(start)
    recorder = PageRecorder(store, s.target)
    wiring = build_engine(source, store, s.policy, clock, topology=s.topology, on_batch=recorder)
    reloader = RuleReloader(RULE_FILES, wiring.engine, clock)
    reloader.load_initial()
    polls = [start + RELOAD_EVERY * k for k in range(1, int((end - start) // RELOAD_EVERY) + 1)]
    for t, names in firing_instants(wiring.engine.rules, start, end):
        while polls and polls[0] <= t:
            clock.set(polls.pop(0))
            reloader.poll()
        clock.set(t)
        await wiring.engine.run(names)
    return recorder.pages


@pytest.fixture(scope="module")
def window(demo: DemoDataset) -> tuple[float, float]:
    """40 minutes: host_silent, the router 5xx burst, the end of disk_filling, STG memory, redis OOM's start."""
    return demo.start + 50 * MINUTE, demo.start + 90 * MINUTE


def test_replay_and_live_mode_give_the_same_incidents_and_pages(
    demo: DemoDataset, tmp_path: Path, window: tuple[float, float]
) -> None:
    start, end = window
    source = StaticSource(demo.points)
    ruleset = load_rules(RULE_FILES)
    with (
        IncidentStore(f"sqlite:///{tmp_path / 'replay.db'}") as replay_store,
        IncidentStore(f"sqlite:///{tmp_path / 'live.db'}") as live_store,
    ):
        summary = asyncio.run(replay_rules(ruleset.rules, source, setup(replay_store), start, end))
        live_pages = asyncio.run(run_live(source, live_store, start, end))
        replayed, live = incident_dicts(replay_store), incident_dicts(live_store)

    # times are ISO strings to the millisecond: the microseconds APScheduler drops cannot show
    assert [p.to_dict() for p in live_pages] == [p.to_dict() for p in summary.pages]
    assert live == replayed
    assert len(replayed) >= 5 and len(summary.pages) >= 3  # the window is not a quiet one


def test_an_exported_event_history_replays_to_the_same_incidents_and_pages(
    demo: DemoDataset, tmp_path: Path, window: tuple[float, float]
) -> None:
    start, end = window
    events: list[Event] = []
    ruleset = load_rules(RULE_FILES)
    with IncidentStore(f"sqlite:///{tmp_path / 'rules.db'}") as store:
        from_rules = asyncio.run(
            replay_rules(
                ruleset.rules, StaticSource(demo.points), setup(store), start, end, sink=events.append
            )
        )
        rules_incidents = incident_dicts(store)

    exported = [event.to_json() for event in events]  # what an export of the engine's events holds
    history, problems = read_events(exported, "export.jsonl")
    assert problems == [] and len(history) == len(events) == from_rules.events
    with IncidentStore(f"sqlite:///{tmp_path / 'events.db'}") as store:
        # no tick between batches: the rules replay flushes only at evaluation instants too
        from_events = replay_events(history, setup(store), start, end, tick=10 * (end - start))
        assert [p.to_dict() for p in from_events.pages] == [p.to_dict() for p in from_rules.pages]
        assert incident_dicts(store) == rules_incidents
        assert (from_events.events, from_events.alerts) == (from_rules.events, from_rules.alerts)
