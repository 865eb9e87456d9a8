"""Fakes for the scheduler tests: an in-memory MetricSource with canned answers, rule builders.

``FakeSource`` is a real class implementing the ``MetricSource`` protocol; it records every
round trip so tests can assert batching, and answers each statement from a table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from alerter.config.load import build_loaded_rule
from alerter.config.rules import LoadedRule, Location, Rule, RuleGroup
from alerter.errors import EvaluationError
from alerter.evaluate.compiled import CompiledRule
from alerter.evaluate.evaluate import evaluate
from alerter.evaluate.state import RuleState
from alerter.model import Event
from alerter.source import Series, StatementResult

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a multiple of every interval used here


class FakeSource:
    """Answers statements from ``answers`` (statement -> value or StatementResult).

    A float answer is one series ``host=web-07`` with that value at ``now``. ``unavailable`` makes
    the whole round trip raise. ``on_query(statements, now)`` runs inside the round trip (to
    advance a FakeClock, or reload rules mid-query). Statements without an answer get no data.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[str, ...], float]] = []
        self.answers: dict[str, float | StatementResult] = {}
        self.unavailable: Exception | None = None
        self.on_query: Callable[[Sequence[str], float], None] | None = None

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        self.calls.append((tuple(statements), now))
        if self.on_query is not None:
            self.on_query(statements, now)
        if self.unavailable is not None:
            raise self.unavailable
        return [self._answer(s, now) for s in statements]

    def _answer(self, statement: str, now: float) -> StatementResult:
        answer = self.answers.get(statement)
        if answer is None:
            return StatementResult()
        if isinstance(answer, StatementResult):
            return answer
        return StatementResult(
            (Series("m", ("time", "value"), [[now, answer]], {"host": "web-07", "env": "prod"}),)
        )

    def evaluation_times(self, statement: str) -> list[float]:
        return [now for statements, now in self.calls if statement in statements]


def query_of(name: str) -> str:
    return f'SELECT last("value") FROM "{name}" WHERE time > now() - 5m GROUP BY "host", "env"'


def make_rule(
    name: str,
    *,
    group: str = "g",
    interval: float = 30.0,
    critical: float = 95.0,
    line: int = 1,
    **fields: Any,
) -> LoadedRule:
    """A LoadedRule as load_rules builds it (same digest function), without a file."""
    data: dict[str, Any] = {"name": name, "query": query_of(name), "thresholds": {"critical": critical}}
    data.update(fields)
    rule = Rule.model_validate(data)
    rule_group = RuleGroup(name=group, interval=f"{interval:g}s", rules=[rule])  # type: ignore[arg-type]
    return build_loaded_rule(rule, rule_group, Location("rules/test.yaml", line, 5))


def failing_for(*names: str, error: Exception | None = None) -> Callable[..., list[Event]]:
    """The real evaluate, except that it raises for the rules ``names`` (fault injection)."""

    def fake(rule: CompiledRule, result: StatementResult, state: RuleState, now: float) -> list[Event]:
        if rule.name in names:
            raise error if error is not None else EvaluationError(f'rule "{rule.name}": injected failure')
        return evaluate(rule, result, state, now)

    return fake
