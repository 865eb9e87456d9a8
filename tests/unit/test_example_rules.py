"""The example rules in ``rules/``: their unit tests pass and cover every rule (fires and clears)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from alerter.cli import rules_test as cli
from alerter.config.load import load_rules
from alerter.evaluate.ruletest import run_rule_tests

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
    result = CliRunner().invoke(cli.test, [str(RULES / "tests")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 5 files, ")


def test_every_example_rule_has_a_unit_test_that_fires_and_clears() -> None:
    report = run_rule_tests([RULES / "tests"])
    assert report.ok
    names = example_rule_names()
    assert sorted(names - report.fired) == []
    assert sorted(names - report.cleared) == []
