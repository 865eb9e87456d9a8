"""Rule evaluation: query results -> events, purely (the scheduler around it lives beside it).

Place in the flow: config (LoadedRule) -> :func:`compile_rule` -> scheduler queries the
MetricSource -> :func:`evaluate` -> events -> streams. ``evaluate`` is pure: it reads no clock,
does no I/O and mutates only the :class:`RuleState` it is given; see
:mod:`alerter.evaluate.evaluate` for the exact semantics (thresholds, hysteresis, ``for:``,
``keep_firing_for``, no-data policies).

>>> # rule = compile_rule(loaded); state = RuleState()
>>> # events = evaluate(rule, result, state, now=clock.now())
"""

from alerter.evaluate.compiled import CompiledRule, compile_rule
from alerter.evaluate.evaluate import (
    ATTR_THRESHOLD,
    FORGET_AFTER,
    REASON_KEEP_FIRING,
    REASON_NO_DATA,
    REASON_PENDING,
    REASON_THRESHOLD,
    evaluate,
)
from alerter.evaluate.state import RuleState, SeriesState

__all__ = [
    "ATTR_THRESHOLD",
    "FORGET_AFTER",
    "REASON_KEEP_FIRING",
    "REASON_NO_DATA",
    "REASON_PENDING",
    "REASON_THRESHOLD",
    "CompiledRule",
    "RuleState",
    "SeriesState",
    "compile_rule",
    "evaluate",
]
