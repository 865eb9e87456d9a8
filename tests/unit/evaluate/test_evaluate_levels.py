"""evaluate(): thresholds (both operators), hysteresis, value column, nulls, many series, errors."""

from __future__ import annotations

from typing import Any

import pytest

from alerter.config.rules import LoadedRule, Location, Rule
from alerter.errors import EvaluationError
from alerter.evaluate import RuleState, compile_rule, evaluate
from alerter.source import Series, StatementResult

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
HOST = {"host": "web1", "role": "api", "env": "prod"}


def loaded(**fields: Any) -> LoadedRule:
    data: dict[str, Any] = {
        "name": "cpu_high",
        "query": 'SELECT last("usage_user") FROM "cpu" WHERE time > now() - 2m GROUP BY "host", "role", "env"',
        "thresholds": {"operator": ">", "warning": 85, "critical": 95, "clear": 80},
    }
    data.update(fields)
    return LoadedRule(
        Rule.model_validate(data), "host", 30.0, {"team": "platform"}, Location("rules/host.yaml", 3)
    )


def result(value: Any, tags: dict[str, str] = HOST) -> StatementResult:
    return StatementResult((Series("cpu", ("time", "last"), [[NOW - 10, value]], tags),))


def states(rule: LoadedRule, values: list[Any]) -> list[str]:
    """The state after each evaluation of ``values`` (one per 30 s)."""
    compiled, state, out = compile_rule(rule), RuleState(), []
    for i, value in enumerate(values):
        (event,) = evaluate(compiled, result(value), state, NOW + 30 * i)
        out.append(str(event.state))
    return out


GT = {"operator": ">", "warning": 85, "critical": 95}
LT = {"operator": "<", "warning": 20, "critical": 10}


@pytest.mark.parametrize(
    ("thresholds", "values", "expected"),
    [
        (GT, [50, 85, 85.1, 95, 95.1, 40], ["ok", "ok", "warning", "warning", "critical", "ok"]),
        ({**GT, "operator": ">="}, [84.9, 85, 95], ["ok", "warning", "critical"]),
        (LT, [50, 20, 19.9, 10, 9, 30], ["ok", "ok", "warning", "warning", "critical", "ok"]),
        ({**LT, "operator": "<="}, [20.1, 20, 10], ["ok", "warning", "critical"]),
        ({"operator": ">", "critical": 90}, [89, 91, 80], ["ok", "critical", "ok"]),
        ({"operator": ">", "warning": 90}, [89, 91, 99999], ["ok", "warning", "warning"]),
        # critical checked first: a jump from ok straight to critical
        (GT, [10, 99], ["ok", "critical"]),
        # integers and booleans are numbers too
        ({"operator": "<", "critical": 1}, [1, 0, True, False], ["ok", "critical", "ok", "critical"]),
    ],
    ids=["gt", "ge", "lt", "le", "critical-only", "warning-only", "jump", "int-bool"],
)
def test_thresholds(thresholds: dict, values: list, expected: list[str]) -> None:
    assert states(loaded(thresholds=thresholds), values) == expected


@pytest.mark.parametrize(
    ("thresholds", "values", "expected"),
    [
        # fires at 86, stays firing while above clear 80, ok at 80 (not > 80)
        (
            {"operator": ">", "warning": 85, "clear": 80},
            [86, 81, 84, 80.5, 80, 84, 86],
            ["warning", "warning", "warning", "warning", "ok", "ok", "warning"],
        ),
        # critical -> warning below critical, -> ok only past clear
        (
            {"operator": ">", "warning": 85, "critical": 95, "clear": 80},
            [96, 90, 82, 96, 79],
            ["critical", "warning", "warning", "critical", "ok"],
        ),
        # no warning: critical holds down to clear
        (
            {"operator": ">", "critical": 95, "clear": 90},
            [96, 91, 90],
            ["critical", "critical", "ok"],
        ),
        # lower-is-worse
        (
            {"operator": "<", "warning": 20, "critical": 10, "clear": 25},
            [5, 15, 24, 25, 21],
            ["critical", "warning", "warning", "ok", "ok"],
        ),
        # without clear there is no hysteresis
        ({"operator": ">", "warning": 85}, [86, 84, 86], ["warning", "ok", "warning"]),
    ],
    ids=["warning-clear", "critical-down", "critical-only", "lt-clear", "no-clear"],
)
def test_hysteresis(thresholds: dict, values: list, expected: list[str]) -> None:
    assert states(loaded(thresholds=thresholds), values) == expected


@pytest.mark.parametrize(
    ("rows", "expected_metric"),
    [
        ([[NOW - 20, 90.0], [NOW - 10, 50.0]], 50.0),
        ([[NOW - 20, 90.0], [NOW - 10, None]], 90.0),  # last NON-null value
        ([[NOW - 30, 70.0], [NOW - 20, None], [NOW - 10, None]], 70.0),
        ([[NOW - 10, 7]], 7),
    ],
)
def test_value_is_last_non_null(rows: list, expected_metric: float) -> None:
    res = StatementResult((Series("cpu", ("time", "last"), rows, HOST),))
    (event,) = evaluate(compile_rule(loaded()), res, RuleState(), NOW)
    assert event.metric == expected_metric


def test_field_selects_the_column() -> None:
    res = StatementResult((Series("cpu", ("time", "min", "max"), [[NOW, 10.0, 99.0]], HOST),))
    (event,) = evaluate(compile_rule(loaded(field="max")), res, RuleState(), NOW)
    assert (event.metric, event.state) == (99.0, "critical")


@pytest.mark.parametrize(
    ("fields", "columns", "message"),
    [
        (
            {},
            ("time", "min", "max"),
            'rule "cpu_high" (rules/host.yaml:3:1): the query returns 2 value columns (min, max); set "field"',
        ),
        (
            {"field": "p99"},
            ("time", "last"),
            'rule "cpu_high" (rules/host.yaml:3:1): field "p99" is not in the query result (columns: time, last)',
        ),
    ],
)
def test_value_column_errors(fields: dict, columns: tuple, message: str) -> None:
    res = StatementResult((Series("cpu", columns, [[NOW] + [1.0] * (len(columns) - 1)], HOST),))
    with pytest.raises(EvaluationError) as info:
        evaluate(compile_rule(loaded(**fields)), res, RuleState(), NOW)
    assert str(info.value).startswith(message)


def test_non_numeric_value_is_an_error() -> None:
    with pytest.raises(EvaluationError, match=r"rule \"cpu_high\" .*: value 'high' is not a number"):
        evaluate(compile_rule(loaded()), result("high"), RuleState(), NOW)


def test_result_error_names_rule_and_server_message_and_keeps_state() -> None:
    state = RuleState()
    compiled = compile_rule(loaded())
    evaluate(compiled, result(99.0), state, NOW)
    before = state.to_dict()
    with pytest.raises(EvaluationError) as info:
        evaluate(compiled, StatementResult(error="database not found: metrics"), state, NOW + 30)
    assert (
        str(info.value) == 'rule "cpu_high" (rules/host.yaml:3:1): query failed: database not found: metrics'
    )
    assert state.to_dict() == before


def test_all_null_series_never_seen_is_not_reported() -> None:
    assert evaluate(compile_rule(loaded()), result(None), RuleState(), NOW) == []


def test_many_series_one_event_each_with_own_state() -> None:
    n = 500
    series = tuple(
        Series("cpu", ("time", "last"), [[NOW, float(i % 100)]], {"host": f"h{i:03d}", "env": "prod"})
        for i in range(n)
    )
    state = RuleState()
    events = evaluate(compile_rule(loaded()), StatementResult(series), state, NOW)
    assert len(events) == n == len(state.series)
    by_host = {e.host: e.state for e in events}
    assert by_host["h000"] == "ok" and by_host["h086"] == "warning" and by_host["h096"] == "critical"
    assert sum(1 for e in events if e.state != "ok") == 5 * 14  # 86..99 of each hundred
    assert len({e.attributes["fingerprint"] for e in events}) == n
