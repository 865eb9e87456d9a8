"""What the rules page and ``/api/v1/rules`` show: the loaded rules' health and the load errors.

Place in the flow: :meth:`alerter.evaluate.cycle.RuleEngine.statuses` and the rule set's problems
(``path:line:col: message``) -> **here**. Rules are sorted unhealthy first, then by group and name,
so what needs attention is at the top.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from alerter.errors import Problem
from alerter.evaluate.cycle import RuleStatus


class RuleOut(BaseModel):
    name: str
    group: str
    interval: float
    location: str
    evaluations: int
    failures: int
    last_evaluation: float | None
    last_duration: float | None
    series: int
    firing: int
    last_error: str | None
    healthy: bool


class RulesOut(BaseModel):
    rules: list[RuleOut]
    problems: list[str]
    total: int
    failing: int
    firing: int
    series: int


def rules_view(statuses: Sequence[RuleStatus], problems: Sequence[Problem]) -> RulesOut:
    """Every loaded rule (failing first) with the totals, and the rule files' problems."""
    rules = sorted((_rule(s) for s in statuses), key=lambda r: (r.healthy, r.group, r.name))
    return RulesOut(
        rules=rules,
        problems=[str(p) for p in sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message))],
        total=len(rules),
        failing=sum(1 for r in rules if not r.healthy),
        firing=sum(r.firing for r in rules),
        series=sum(r.series for r in rules),
    )


def _rule(s: RuleStatus) -> RuleOut:
    return RuleOut(
        name=s.name,
        group=s.group,
        interval=s.interval,
        location=s.location,
        evaluations=s.evaluations,
        failures=s.failures,
        last_evaluation=s.last_evaluation,
        last_duration=s.last_duration,
        series=s.series,
        firing=s.firing,
        last_error=s.last_error,
        healthy=s.healthy,
    )


__all__ = ["RuleOut", "RulesOut", "rules_view"]
