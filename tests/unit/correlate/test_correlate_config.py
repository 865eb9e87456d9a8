"""correlation.yaml / topology.yaml schemas and check_policy: every mistake located and explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerter.config.correlation import load_correlation
from alerter.config.policy_check import check_policy
from alerter.config.topology import load_topology

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"

RULE_FILE = """
groups:
  - name: g
    interval: 30s
    rules:
      - name: cpu_high
        query: SELECT mean("u") FROM "cpu" WHERE time > now() - 1m GROUP BY "host"
        thresholds: {operator: ">", critical: 90}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text.lstrip("\n"))
    return path


def test_the_shipped_policy_files_are_clean() -> None:
    assert check_policy(RULES_DIR) == []


def test_an_empty_file_means_the_defaults(tmp_path: Path) -> None:
    policy, problems = load_correlation(_write(tmp_path, "correlation.yaml", ""))
    assert problems == []
    assert policy is not None and policy.flapping.window == 20 and policy.paging == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("flaping: {window: 10}\n", 'unknown field "flaping"'),
        ("flapping: {low: 0.5, high: 0.3}\n", '1:11: field "flapping": low (0.5) must be below high (0.3)'),
        (
            "dedup: {refresh: 5}\n",
            '1:18: field "dedup.refresh": 5 has no unit (expected a duration such as 5s or 5m)',
        ),
        (
            "grouping:\n  - name: a\n    by: [env]\n    title: '{{ count '\n",
            '4:12: grouping "a": field "title": template does not compile: unexpected end of template',
        ),
        (
            "grouping:\n  - name: a\n    by: []\n",
            '3:9: grouping "a": field "by": has 0 items (expected at least 1)',
        ),
        ("paging:\n  - match: {env: prod}\n", '2:5: paging[0]: missing required field "page"'),
    ],
)
def test_correlation_mistakes_are_located(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "correlation.yaml", text)
    policy, problems = load_correlation(path)
    assert policy is None
    assert any(str(p).startswith(f"{path}:") and message in str(p) for p in problems), problems


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "dependencies:\n  - name: d\n    label: host\n    add: {rack: r1}\n    values: {r1: [a]}\n",
            '2:5: dependencies "d": the map form needs label, add (one label name) and values',
        ),
        (
            "dependencies:\n  - name: d\n    add: {rack: r1}\n",
            '2:5: dependencies "d": the selector form needs match',
        ),
        (
            "adjacency:\n  - name: a\n    hosts: [one]\n",
            '3:12: adjacency "a": field "hosts": has 1 items (expected at least 2)',
        ),
        (
            "causes:\n  - {name: c, cause: {rule: a}, effect: {rule: b}, via: {}}\n",
            '2:57: causes "c": field "via": has 0 items (expected at least 1)',
        ),
        (
            "causes:\n  - {name: c, cause: {rule: a}, effect: {rule: b}, on: {x: y}}\n",
            'YAML reads the key "on" as true: write "via:" for the join labels',
        ),
    ],
)
def test_topology_mistakes_are_located(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "topology.yaml", text)
    topology, problems = load_topology(path)
    assert topology is None
    assert any(str(p).startswith(f"{path}:") and message in str(p) for p in problems), problems


def test_check_policy_cross_checks_rule_names_and_severities(tmp_path: Path) -> None:
    _write(tmp_path, "cpu.yaml", RULE_FILE)
    correlation = _write(
        tmp_path,
        "correlation.yaml",
        "grouping:\n  - name: a\n    match: {rule: [cpu_high, cpu_hihg]}\n    by: [env]\n"
        "paging:\n  - match: {severity: fatal}\n    page: true\n",
    )
    topology = _write(
        tmp_path,
        "topology.yaml",
        "causes:\n  - name: self\n    cause: {rule: cpu_high}\n    effect: {rule: cpu_high}\n    via: {host: host}\n",
    )
    assert [str(p) for p in check_policy(tmp_path)] == [
        f'{correlation}:3:30: unknown rule "cpu_hihg" (defined: cpu_high)',
        f'{correlation}:6:23: unknown severity "fatal" (expected ok, warning or critical)',
        f'{topology}:4:13: causal link "self": cause and effect select the same alerts',
    ]


def test_check_policy_without_policy_files_is_clean(tmp_path: Path) -> None:
    _write(tmp_path, "cpu.yaml", RULE_FILE)
    assert check_policy(tmp_path) == []
