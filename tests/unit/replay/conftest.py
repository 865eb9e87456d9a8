"""Fixtures for the replay unit tests (helpers live in replay_world.py, uniquely named)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from replay_world import CPU_RULE, RULES_DIR

from alerter.config.correlation import CorrelationPolicy, load_correlation
from alerter.config.load import load_rules
from alerter.config.rules import LoadedRule
from alerter.incidents.store import IncidentStore


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def cpu_rule(tmp_path: Path) -> tuple[LoadedRule, ...]:
    path = tmp_path / "cpu.yaml"
    path.write_text(CPU_RULE)
    ruleset = load_rules([path])
    assert not ruleset.problems, ruleset.problems
    return ruleset.rules


@pytest.fixture
def policy() -> CorrelationPolicy:
    policy, problems = load_correlation(RULES_DIR / "correlation.yaml")
    assert policy is not None, problems
    return policy


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IncidentStore]:
    with IncidentStore(f"sqlite:///{tmp_path / 'replay.db'}") as s:
        yield s
