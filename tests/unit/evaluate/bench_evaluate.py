"""Micro-benchmark of the evaluation hot path (parsed result -> events), one core.

Run: ``.venv/bin/python tests/unit/evaluate/bench_evaluate.py [series] [rounds]``. Prints
series-evaluations per CPU-second for a 10,000-series result where 1% of series breach, the steady
state of a real platform. Not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import sys
import time

from alerter.config.rules import LoadedRule, Location, Rule
from alerter.evaluate import RuleState, compile_rule, evaluate
from alerter.source import Series, StatementResult


def _rule() -> LoadedRule:
    rule = Rule.model_validate(
        {
            "name": "host_cpu_high",
            "query": 'SELECT last("usage_user") FROM "cpu" WHERE time > now() - 2m GROUP BY "host", "role", "env"',
            "thresholds": {"operator": ">", "warning": 85, "critical": 95, "clear": 80},
            "for": "1m",
            "summary": "CPU {{ value | round(1) }}% on {{ host }}",
            "runbook_url": "https://runbooks.example/host-cpu",
        }
    )
    return LoadedRule(rule, "host", 30.0, {"team": "platform"}, Location("rules/host.yaml", 1))


def _result(n: int, t: float) -> StatementResult:
    series = tuple(
        Series(
            "cpu",
            ("time", "last"),
            [[t - 10, 50.0], [t, 97.0 if i % 100 == 0 else 40.0 + i % 30]],
            {"host": f"host{i:05d}", "role": f"role{i % 40}", "env": ("prod", "stg", "dev")[i % 3]},
        )
        for i in range(n)
    )
    return StatementResult(series)


def main(n: int = 10_000, rounds: int = 20) -> float:
    rule, state = compile_rule(_rule()), RuleState()
    results = [_result(n, 1_000.0 + 30 * r) for r in range(rounds)]
    evaluate(rule, results[0], state, 1_000.0)  # warm the caches: the steady state is what we measure
    # CPU time of this process: the figure is per core and less disturbed by other processes
    start = time.process_time()
    for r, result in enumerate(results):
        events = evaluate(rule, result, state, 1_000.0 + 30 * r)
    elapsed = time.process_time() - start
    assert len(events) == n
    return n * rounds / elapsed


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    rate = main(*args)
    print(f"{rate:,.0f} series-evaluations/s")
