"""``alerter replay`` over the demo data set's two hours, as a team would run it before a merge:
the shipped rules, correlation policy, topology, on-call rotation and maintenance file. Every
expectation is derived from the injected problems (``alerter/demo/dataset.py``): each PROD problem
pages exactly once, STG problems open incidents that never page, single-sample spikes give nothing,
and the Redis OOM is ONE incident naming its cluster."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alerter.config.correlation import load_correlation
from alerter.config.load import load_rules
from alerter.config.maintenance import load_maintenance
from alerter.config.oncall import load_oncall
from alerter.config.topology import load_topology
from alerter.demo.dataset import MINUTE, DemoDataset, InjectedProblem
from alerter.evaluate.timing import Timing
from alerter.incidents.store import IncidentStore
from alerter.replay import (
    ReplaySetup,
    ReplaySummary,
    incident_dicts,
    iso,
    oncall_target,
    replay_rules,
    write_incidents,
    write_pages,
)
from alerter.route.maintenance import MaintenanceBook
from alerter.source.static import StaticSource

RULES = Path(__file__).resolve().parents[2] / "rules"
RULE_FILES = [RULES / f"{name}.yaml" for name in ("apps", "host", "mongodb", "redis", "router")]
HANDOFF = 1_767_603_600.0
"""2026-01-05T09:00:00Z: the shipped rotation's first handoff (Monday 10:00 Berlin)."""


def replay_setup(store: IncidentStore) -> ReplaySetup:
    """What ``alerter replay --rules rules/`` reads: the files beside the rules, the live schedule."""
    policy, problems = load_correlation(RULES / "correlation.yaml")
    topology, more = load_topology(RULES / "topology.yaml")
    spec, oncall_problems = load_oncall(RULES / "oncall.yaml")
    windows, window_problems = load_maintenance(RULES / "maintenance.yaml")
    assert policy is not None and spec is not None, [*problems, *more, *oncall_problems, *window_problems]
    return ReplaySetup(
        store,
        policy,
        topology,
        suppressor=MaintenanceBook(windows).reason,
        target=oncall_target(spec),
        timing=Timing(2.0, seed="alerter"),
    )


@dataclass(frozen=True)
class Backtest:
    summary: ReplaySummary
    pages: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    demo: DemoDataset

    def pages_for(self, problem: InjectedProblem) -> list[dict[str, Any]]:
        keys = {i["key"] for i in self.incidents_for(problem)}
        return [p for p in self.pages if p["incident_key"] in keys]

    def incidents_for(self, problem: InjectedProblem) -> list[dict[str, Any]]:
        """Incidents with an alert of the problem's hosts and rules, first seen while it lasted."""
        lo, hi = iso(problem.start), iso(problem.end)
        return [
            i
            for i in self.incidents
            if any(
                a["host"] in problem.hosts and a["rule"] in problem.rules and lo <= a["first"] < hi
                for a in i["alerts"]
            )
        ]


@pytest.fixture(scope="module")
def backtest(demo: DemoDataset, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backtest]:
    ruleset = load_rules(RULE_FILES)
    assert not ruleset.problems, ruleset.problems
    with IncidentStore(f"sqlite:///{tmp_path_factory.mktemp('backtest') / 'replay.db'}") as store:
        summary = asyncio.run(
            replay_rules(ruleset.rules, StaticSource(demo.points), replay_setup(store), demo.start, demo.end)
        )
        pages_out, incidents_out = io.StringIO(), io.StringIO()
        write_pages(pages_out, summary.pages)
        write_incidents(incidents_out, store)
        assert [json.loads(x) for x in incidents_out.getvalue().splitlines()] == incident_dicts(store)
        yield Backtest(
            summary,
            [json.loads(x) for x in pages_out.getvalue().splitlines()],
            incident_dicts(store),
            demo,
        )


def prod_problems(demo: DemoDataset) -> list[InjectedProblem]:
    return [p for p in demo.problems if p.env == "prod" and p.rules]


def test_every_prod_problem_pages_exactly_once_while_it_lasts(backtest: Backtest) -> None:
    for problem in prod_problems(backtest.demo):
        pages = backtest.pages_for(problem)
        assert len(pages) == 1, (problem.name, pages)
        assert iso(problem.start) <= pages[0]["time"] < iso(problem.end), problem.name
    assert len(backtest.pages) == len(prod_problems(backtest.demo)) == 9


def test_every_prod_problem_is_one_incident(backtest: Backtest) -> None:
    for problem in prod_problems(backtest.demo):
        assert len(backtest.incidents_for(problem)) == 1, problem.name


def test_stg_problems_open_incidents_that_never_page(backtest: Backtest) -> None:
    stg = [p for p in backtest.demo.problems if p.env == "stg"]
    assert [p.name for p in stg] == ["stg_router_latency", "stg_memory_pressure"]
    for problem in stg:
        [incident] = backtest.incidents_for(problem)
        assert incident["suppressed"] == "policy", problem.name
        assert backtest.pages_for(problem) == []
    assert backtest.summary.suppressed.get("policy", 0) >= 2


def test_single_sample_spikes_give_no_alert(backtest: Backtest) -> None:
    spikes = backtest.demo.problem("single_sample_spikes")
    lo, hi = iso(spikes.start), iso(spikes.end + 2 * MINUTE)
    seen = [
        (a["host"], a["rule"], a["first"])
        for i in backtest.incidents
        for a in i["alerts"]
        if a["host"] in spikes.hosts and lo <= a["first"] < hi
    ]
    assert seen == []


def test_the_redis_oom_is_one_incident_naming_the_cluster_with_the_apps_it_broke(backtest: Backtest) -> None:
    problem = backtest.demo.problem("redis_oom")
    [incident] = backtest.incidents_for(problem)
    rules = sorted({a["rule"] for a in incident["alerts"]})
    assert rules == ["app_health_check_failing", "redis_memory_high"]
    assert incident["root_cause"] == "redis cluster sessions (PROD) out of memory"
    assert incident["title"].startswith("redis cluster sessions (PROD) out of memory: ")
    sessions_apps = {a.instance for a in backtest.demo.apps if a.env == "prod" and a.redis == "sessions"}
    members = {
        a["service"].rsplit("/", 1)[-1] for a in incident["alerts"] if a["rule"] == "app_health_check_failing"
    }
    assert members == sessions_apps
    [page] = backtest.pages_for(problem)
    assert page["incident_key"] == incident["key"]


def test_the_flapping_host_pages_once_and_is_marked_flapping(backtest: Backtest) -> None:
    problem = backtest.demo.problem("flapping_host")
    [incident] = backtest.incidents_for(problem)
    assert incident["flapping"] is True
    assert len(backtest.pages_for(problem)) == 1


def test_pages_go_to_the_rotations_primary_once_it_has_started(backtest: Backtest) -> None:
    targets = {(p["time"] >= iso(HANDOFF), p["target"]) for p in backtest.pages}
    assert targets == {(False, None), (True, "anna")}


def test_the_summary_counts_what_the_files_hold(backtest: Backtest) -> None:
    s = backtest.summary
    assert s.incidents == len(backtest.incidents) == 11
    assert [p.to_dict() for p in s.pages] == backtest.pages
    assert s.alerts == len({a["fingerprint"] for i in backtest.incidents for a in i["alerts"]})
    assert s.evaluations == 10 * 240  # 10 rules, every 30 s for 2 hours
    assert s.suppressed.get("maintenance", 0) == 0  # the shipped window is a DEV Sunday one
