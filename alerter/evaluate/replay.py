"""Replay: evaluate one rule at every tick of its interval over a time range, no scheduler needed.

Place in the flow: beside the engine. ``alerter rules test`` and the demo/scenario tests use it
to run the real :func:`~alerter.evaluate.evaluate` over a :class:`~alerter.source.MetricSource`
(usually the in-memory ``StaticSource``) on event time, so ``for:``, ``keep_firing_for`` and
no-data behave exactly as in production, only faster than real time.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerter.config.rules import LoadedRule
from alerter.evaluate.compiled import compile_rule
from alerter.evaluate.evaluate import evaluate
from alerter.evaluate.state import RuleState
from alerter.model import Event
from alerter.source import MetricSource


@dataclass(frozen=True, slots=True)
class Tick:
    """One evaluation: its time and the events it emitted."""

    time: float
    events: list[Event]


async def replay_rule(loaded: LoadedRule, source: MetricSource, start: float, end: float) -> list[Tick]:
    """Evaluate ``loaded`` at ``start``, ``start + interval``, ... up to ``end`` inclusive.

    Raises :class:`~alerter.errors.EvaluationError` as :func:`evaluate` does (e.g. the query fails).
    """
    rule, state = compile_rule(loaded), RuleState()
    ticks: list[Tick] = []
    k = 0
    while (now := start + k * loaded.interval) <= end:
        (result,) = await source.query([loaded.rule.query], now=now)
        ticks.append(Tick(now, evaluate(rule, result, state, now)))
        k += 1
    return ticks
