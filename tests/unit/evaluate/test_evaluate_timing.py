"""evaluate(): ``for:``, ``keep_firing_for`` and the no-data policies, as (step -> state, reason) tables.

Each step is one evaluation 30 s after the previous one; a number is the series' value, ``None`` an
empty result (the series is absent) and ``"null"`` the series present with only null values.
"""

from __future__ import annotations

from typing import Any

import pytest

from alerter.config.rules import LoadedRule, Location, Rule
from alerter.evaluate import FORGET_AFTER, RuleState, compile_rule, evaluate
from alerter.model import Event
from alerter.source import Series, StatementResult

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
HOST = {"host": "web1", "role": "api", "env": "prod"}


def loaded(**fields: Any) -> LoadedRule:
    data: dict[str, Any] = {
        "name": "cpu_high",
        "query": 'SELECT last("usage_user") FROM "cpu" WHERE time > now() - 2m GROUP BY "host"',
        "thresholds": {"operator": ">", "warning": 85, "critical": 95},
    }
    data.update(fields)
    return LoadedRule(Rule.model_validate(data), "host", 30.0, {}, Location("rules/host.yaml", 3))


def step_result(step: Any) -> StatementResult:
    if step is None:
        return StatementResult()
    value = None if step == "null" else step
    return StatementResult((Series("cpu", ("time", "last"), [[0.0, value]], HOST),))


def run(rule: LoadedRule, steps: list[Any]) -> list[Event | None]:
    compiled, state, out = compile_rule(rule), RuleState(), []
    for i, step in enumerate(steps):
        events = evaluate(compiled, step_result(step), state, NOW + 30 * i)
        assert len(events) <= 1
        out.append(events[0] if events else None)
    return out


def trace(rule: LoadedRule, steps: list[Any]) -> list[str]:
    return ["-" if e is None else f"{e.state}/{e.attributes['reason']}" for e in run(rule, steps)]


@pytest.mark.parametrize(
    ("fields", "steps", "expected"),
    [
        # for 60s: pending at 0 and 30, fires at 60 (breach persisted 60 s)
        (
            {"for": "1m"},
            [90, 90, 90, 90],
            ["ok/pending", "ok/pending", "warning/threshold", "warning/threshold"],
        ),
        # a single-sample spike never fires
        ({"for": "1m"}, [50, 99, 50, 50], ["ok/threshold", "ok/pending", "ok/threshold", "ok/threshold"]),
        # escalation warning -> critical waits too; the pending timer started at the first breach
        (
            {"for": "1m"},
            [90, 90, 90, 99, 99, 99],
            [
                "ok/pending",
                "ok/pending",
                "warning/threshold",
                "warning/pending",
                "warning/pending",
                "critical/threshold",
            ],
        ),
        # ok -> critical: pending keeps its start when the raw level rises during it
        ({"for": "1m"}, [90, 99, 99], ["ok/pending", "ok/pending", "critical/threshold"]),
        # de-escalation is immediate
        (
            {"for": "1m"},
            [99, 99, 99, 90, 10],
            ["ok/pending", "ok/pending", "critical/threshold", "warning/threshold", "ok/threshold"],
        ),
        # a gap in the data restarts the for: timer
        (
            {"for": "1m", "no_data": {"policy": "keep", "after": 5}},
            [90, 90, None, 90, 90, 90],
            ["ok/pending", "ok/pending", "ok/pending", "ok/pending", "ok/pending", "warning/threshold"],
        ),
    ],
    ids=[
        "fires-after-for",
        "spike",
        "escalation-waits",
        "rise-during-pending",
        "down-immediate",
        "gap-restarts",
    ],
)
def test_for(fields: dict, steps: list, expected: list[str]) -> None:
    assert trace(loaded(**fields), steps) == expected


@pytest.mark.parametrize(
    ("fields", "steps", "expected"),
    [
        (
            {"keep_firing_for": "1m"},
            [99, 10, 10, 10, 10],
            [
                "critical/threshold",
                "critical/keep_firing",
                "critical/keep_firing",
                "ok/threshold",
                "ok/threshold",
            ],
        ),
        # a new breach cancels the countdown; the next clear starts a new one
        (
            {"keep_firing_for": "1m"},
            [90, 10, 90, 10, 10, 10],
            [
                "warning/threshold",
                "warning/keep_firing",
                "warning/threshold",
                "warning/keep_firing",
                "warning/keep_firing",
                "ok/threshold",
            ],
        ),
        # critical -> warning is not a clear: immediate
        ({"keep_firing_for": "1m"}, [99, 90], ["critical/threshold", "warning/threshold"]),
        # with for: and keep_firing_for together
        (
            {"for": "30s", "keep_firing_for": "30s"},
            [90, 90, 10, 10],
            ["ok/pending", "warning/threshold", "warning/keep_firing", "ok/threshold"],
        ),
    ],
    ids=["keeps-then-clears", "rebreach-cancels", "downgrade", "with-for"],
)
def test_keep_firing_for(fields: dict, steps: list, expected: list[str]) -> None:
    assert trace(loaded(**fields), steps) == expected


@pytest.mark.parametrize(
    ("no_data", "steps", "expected"),
    [
        # ok: keeps state for after-1 misses, then resolves
        (
            {"policy": "ok", "after": 2},
            [99, None, None, None, 50],
            ["critical/threshold", "critical/threshold", "ok/no_data", "ok/no_data", "ok/threshold"],
        ),
        # alert: no_data.severity after 3 misses; data returning resolves at once
        (
            {"policy": "alert", "after": 3, "severity": "warning"},
            [50, None, None, None, None, 50],
            [
                "ok/threshold",
                "ok/threshold",
                "ok/threshold",
                "warning/no_data",
                "warning/no_data",
                "ok/threshold",
            ],
        ),
        # null values count as missing
        (
            {"policy": "alert", "after": 2, "severity": "critical"},
            [50, "null", "null", 99],
            ["ok/threshold", "ok/threshold", "critical/no_data", "critical/threshold"],
        ),
        # keep: the last state stays, the reason says why
        (
            {"policy": "keep", "after": 1},
            [99, None, None, 10],
            ["critical/threshold", "critical/no_data", "critical/no_data", "ok/threshold"],
        ),
        # a series never seen is not reported, whatever the policy
        ({"policy": "alert", "after": 1}, [None, None], ["-", "-"]),
    ],
    ids=["ok", "alert", "null", "keep", "never-seen"],
)
def test_no_data(no_data: dict, steps: list, expected: list[str]) -> None:
    assert trace(loaded(no_data=no_data), steps) == expected


def test_no_data_alert_event_says_since_when() -> None:
    events = run(loaded(no_data={"policy": "alert", "after": 2}), [50, None, None])
    last = events[-1]
    assert last is not None
    assert (last.state, last.metric) == ("critical", None)
    assert last.description == "cpu_high: no data from web1 since 2026-01-01T00:00:00Z"
    assert last.attributes["summary"] == last.description
    assert "threshold" not in last.attributes


@pytest.mark.parametrize("policy", ["ok", "keep"])
def test_resolved_absent_series_is_forgotten(policy: str) -> None:
    after = 2
    steps: list[Any] = [50] + [None] * (after + FORGET_AFTER)
    events = run(loaded(no_data={"policy": policy, "after": after}), steps)
    assert all(e is not None and e.state == "ok" for e in events[:-1])
    assert events[-1] is None


def test_alerting_absent_series_is_not_forgotten() -> None:
    events = run(loaded(no_data={"policy": "alert", "after": 1}), [50] + [None] * (FORGET_AFTER + 5))
    assert events[-1] is not None and events[-1].state == "critical"


def test_empty_result_counts_for_every_known_series() -> None:
    compiled, state = compile_rule(loaded(no_data={"policy": "alert", "after": 1})), RuleState()
    hosts = [{"host": f"h{i}"} for i in range(3)]
    first = StatementResult(tuple(Series("cpu", ("time", "last"), [[0.0, 1.0]], t) for t in hosts))
    evaluate(compiled, first, state, NOW)
    events = evaluate(compiled, StatementResult(), state, NOW + 30)
    assert sorted((e.host, e.state) for e in events) == [
        ("h0", "critical"),
        ("h1", "critical"),
        ("h2", "critical"),
    ]


def test_partial_result_counts_no_misses() -> None:
    compiled, state = compile_rule(loaded(no_data={"policy": "alert", "after": 1})), RuleState()
    evaluate(compiled, step_result(50), state, NOW)
    (event,) = evaluate(compiled, StatementResult(partial=True), state, NOW + 30)
    assert (event.state, event.metric, state.series[event.attributes["fingerprint"]].missing) == (
        "ok",
        None,
        0,
    )


def test_churned_series_do_not_grow_the_state_forever() -> None:
    compiled, state = compile_rule(loaded(no_data={"policy": "ok", "after": 1})), RuleState()
    for i in range(200):  # a new instance every evaluation, the old one gone (deploy churn)
        res = StatementResult((Series("cpu", ("time", "last"), [[0.0, 1.0]], {"host": f"h{i}"}),))
        evaluate(compiled, res, state, NOW + 30 * i)
    # the present one, plus the absent ones with 1..10 misses (forgotten at after + FORGET_AFTER = 11)
    assert len(state.series) == 1 + FORGET_AFTER
    assert len(state.index) <= 2 * len(state.series) + 64
