"""The example rules in ``rules/``: their unit tests pass and cover every rule (fires and clears),
and on the demo data set every rule fires, always for an injected problem and never for noise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner

from alerter.cli.rules_test import test as rules_test_command
from alerter.config.load import load_rules
from alerter.demo.dataset import DemoDataset, generate
from alerter.evaluate.replay import replay_rule
from alerter.evaluate.ruletest import run_rule_tests
from alerter.source.static import StaticSource

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


def example_rule_names() -> set[str]:
    rule_set = load_rules([RULES])
    assert rule_set.problems == ()
    return {r.name for r in rule_set.rules}


def test_example_rules_load_and_cover_the_platform() -> None:
    assert example_rule_names() == {
        "host_cpu_high",
        "host_memory_high",
        "host_disk_full",
        "host_not_reporting",
        "router_5xx_rate_high",
        "router_latency_p99_high",
        "redis_memory_high",
        "redis_replication_lag",
        "mongodb_replication_lag",
        "app_health_check_failing",
    }


def test_rules_test_command_passes_on_the_example_tests() -> None:
    result = CliRunner().invoke(rules_test_command, [str(RULES / "tests")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 5 files, ")


def test_every_example_rule_has_a_unit_test_that_fires_and_clears() -> None:
    report = run_rule_tests([RULES / "tests"])
    assert report.ok
    names = example_rule_names()
    assert sorted(names - report.fired) == []
    assert sorted(names - report.cleared) == []


# --- the example rules on the demo data set -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Firing:
    """A series going from ok to non-ok: rule, host, service and when."""

    rule: str
    host: str | None
    service: str | None
    time: float


@pytest.fixture(scope="module")
def demo() -> DemoDataset:
    return generate()


@pytest.fixture(scope="module")
def firings(demo: DemoDataset) -> list[Firing]:
    """Every ok -> firing transition of every example rule replayed over the two demo hours."""
    source = StaticSource(demo.points)
    out: list[Firing] = []
    for rule in load_rules([RULES]).rules:
        previous: dict[tuple[str | None, str | None], str] = {}
        for tick in anyio.run(replay_rule, rule, source, demo.start, demo.end):
            for event in tick.events:
                key = (event.host, event.service)
                if event.state != "ok" and previous.get(key, "ok") == "ok":
                    out.append(Firing(rule.name, event.host, event.service, tick.time))
                previous[key] = str(event.state)
    return out


def test_every_example_rule_fires_on_the_demo_data(firings: list[Firing]) -> None:
    assert example_rule_names() - {f.rule for f in firings} == set()


def test_every_alert_on_the_demo_data_is_an_injected_problem(
    demo: DemoDataset, firings: list[Firing]
) -> None:
    def explained(f: Firing) -> bool:
        return any(
            f.rule in p.rules and f.host in p.hosts and p.start <= f.time <= p.end for p in demo.problems
        )

    assert [f for f in firings if not explained(f)] == []


def test_every_injected_problem_fires_its_rules(demo: DemoDataset, firings: list[Firing]) -> None:
    missed = [
        (p.name, rule)
        for p in demo.problems
        for rule in p.rules
        if not any(f.rule == rule and f.host in p.hosts and p.start <= f.time <= p.end for f in firings)
    ]
    assert missed == []


def test_single_sample_spikes_fire_nothing(demo: DemoDataset, firings: list[Firing]) -> None:
    spikes = demo.problem("single_sample_spikes")
    assert spikes.rules == ()
    assert [f for f in firings if f.host in spikes.hosts and spikes.start <= f.time <= spikes.end + 300] == []


def test_flapping_host_fires_three_times(demo: DemoDataset, firings: list[Firing]) -> None:
    flapping = demo.problem("flapping_host")
    assert (
        len(
            [
                f
                for f in firings
                if f.rule == "host_cpu_high" and f.host == "api-prod-02" and flapping.active(f.time)
            ]
        )
        == 3
    )
