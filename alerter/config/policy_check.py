"""``alerter rules check`` for the correlation policy and the topology, with cross-checks.

Place in the flow: config. Checks ``<rules_dir>/correlation.yaml`` and ``<rules_dir>/topology.yaml``
(each optional: a missing file means the defaults) against their schemas, then what only a look
across files can find, each message located at ``path:line:col``:

* a ``rule:`` value in any selector (grouping, paging, dependencies, adjacency, causes) must name
  a rule defined in the rules directory (a typo would silently never match);
* a ``severity:`` value in a selector must be ok, warning or critical;
* a causal link whose cause and effect selectors are identical can never tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alerter.config.correlation import CorrelationPolicy, describe_item
from alerter.config.load import load_rules
from alerter.config.topology import Topology
from alerter.config.yamlsource import Loc, PositionedData, load_yaml, validate
from alerter.errors import Problem
from alerter.model import Severity

CORRELATION_FILE = "correlation.yaml"
TOPOLOGY_FILE = "topology.yaml"

_SELECTORS: dict[str, tuple[tuple[str, ...], ...]] = {
    CORRELATION_FILE: (("grouping", "match"), ("paging", "match")),
    TOPOLOGY_FILE: (
        ("dependencies", "match"),
        ("adjacency", "match"),
        ("causes", "cause"),
        ("causes", "effect"),
    ),
}


def check_policy(rules_dir: Path | str) -> list[Problem]:
    """Every problem in the policy files of ``rules_dir``, sorted by file and line."""
    root = Path(rules_dir)
    rule_names = {r.name for r in load_rules([root]).rules} if root.is_dir() else set()
    problems: list[Problem] = []
    for name, model in ((CORRELATION_FILE, CorrelationPolicy), (TOPOLOGY_FILE, Topology)):
        path = root / name
        if not path.exists():
            continue
        positioned, found = load_yaml(path)
        problems += found
        if positioned is None:
            continue
        data = positioned.data if positioned.data is not None else {}
        positioned = PositionedData(positioned.path, data, positioned.positions)
        parsed, invalid = validate(model, positioned, describe_item)
        problems += invalid
        if parsed is not None:
            problems += _cross_checks(positioned, name, rule_names)
    return sorted(problems)


def _cross_checks(positioned: PositionedData, name: str, rule_names: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for loc, selector in _selectors(positioned.data, _SELECTORS[name]):
        for value, vloc in _values(selector.get("rule"), (*loc, "rule")):
            if value not in rule_names:
                known = ", ".join(sorted(rule_names)) or "none"
                problems.append(positioned.problem(vloc, f'unknown rule "{value}" (defined: {known})'))
        for value, vloc in _values(selector.get("severity"), (*loc, "severity")):
            if value not in {s.value for s in Severity}:
                problems.append(
                    positioned.problem(vloc, f'unknown severity "{value}" (expected ok, warning or critical)')
                )
    if name == TOPOLOGY_FILE:
        for i, link in enumerate(positioned.data.get("causes") or []):
            if link.get("cause") == link.get("effect"):
                problems.append(
                    positioned.problem(
                        ("causes", i, "effect"),
                        f'causal link "{link.get("name")}": cause and effect select the same alerts',
                    )
                )
    return problems


def _selectors(data: Any, paths: tuple[tuple[str, ...], ...]) -> Iterator[tuple[Loc, dict[str, Any]]]:
    for section, key in paths:
        for i, item in enumerate(data.get(section) or []):
            selector = item.get(key) if isinstance(item, dict) else None
            if isinstance(selector, dict):
                yield (section, i, key), selector


def _values(value: Any, loc: Loc) -> Iterator[tuple[str, Loc]]:
    if isinstance(value, str):
        yield value, loc
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield str(v), (*loc, i)
