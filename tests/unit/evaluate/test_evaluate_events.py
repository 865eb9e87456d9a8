"""evaluate(): the events' fields and attributes, template output, compile errors, state round-trip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerter.config.rules import LoadedRule, Location, Rule
from alerter.errors import ConfigError
from alerter.evaluate import RuleState, compile_rule, evaluate
from alerter.source import Series, StatementResult

NOW = 1_767_225_600.0
TAGS = {"host": "redis-prod-a-1", "cluster": "cache-a", "role": "redis", "env": "prod"}


def loaded(**fields: Any) -> LoadedRule:
    data: dict[str, Any] = {
        "name": "redis_memory_high",
        "query": 'SELECT last("used_memory_percent") FROM "redis" WHERE time > now() - 2m GROUP BY "host", "cluster", "role", "env"',
        "thresholds": {"operator": ">", "warning": 80, "critical": 90, "clear": 75},
        "labels": {"service": "redis"},
        "tags": ["redis", "memory"],
        "runbook_url": "https://runbooks.example/redis-memory",
        "summary": "Redis {{ labels.cluster }} memory {{ value | round(1) }}% on {{ host }} ({{ severity }} > {{ threshold }})",
    }
    data.update(fields)
    return LoadedRule(
        Rule.model_validate(data),
        "redis",
        30.0,
        {"team": "data", "service": "redis"},
        Location("rules/redis.yaml", 7, 5),
    )


def series(value: float, tags: dict[str, str] = TAGS) -> StatementResult:
    return StatementResult((Series("redis", ("time", "last"), [[NOW - 5, value]], tags),))


def test_firing_event_fields_and_attributes() -> None:
    (event,) = evaluate(compile_rule(loaded()), series(93.25), RuleState(), NOW)
    assert (event.host, event.service, event.state, event.metric, event.time, event.ttl) == (
        "redis-prod-a-1",
        "redis_memory_high",
        "critical",
        93.25,
        NOW,
        90.0,
    )
    assert event.tags == ("redis", "memory")
    assert event.attributes == {
        "team": "data",
        "service": "redis",
        "host": "redis-prod-a-1",
        "cluster": "cache-a",
        "role": "redis",
        "env": "prod",
        "rule": "redis_memory_high",
        "fingerprint": event.attributes["fingerprint"],
        "runbook_url": "https://runbooks.example/redis-memory",
        "reason": "threshold",
        "summary": "Redis cache-a memory 93.2% on redis-prod-a-1 (critical > 90.0)",
        "threshold": "90",
    }
    assert event.description == "redis_memory_high critical on redis-prod-a-1: value 93.25 > 90"


def test_steady_ok_event_has_no_summary_and_a_default_description() -> None:
    compiled, state = compile_rule(loaded()), RuleState()
    evaluate(compiled, series(10.0), state, NOW)
    (event,) = evaluate(compiled, series(11.0), state, NOW + 30)
    assert (event.state, event.metric, event.description) == ("ok", 11.0, "redis_memory_high: ok")
    assert "summary" not in event.attributes and event.attributes["reason"] == "threshold"


def test_resolving_event_renders_the_summary() -> None:
    compiled, state = compile_rule(loaded()), RuleState()
    evaluate(compiled, series(85.0), state, NOW)
    (event,) = evaluate(compiled, series(70.0), state, NOW + 30)
    assert event.state == "ok"
    assert event.attributes["summary"] == "Redis cache-a memory 70.0% on redis-prod-a-1 (ok > None)"


@pytest.mark.parametrize(
    ("fields", "attr", "expected"),
    [
        (
            {"description": "{{ rule }}/{{ group }}/{{ service }}/{{ interval }}/{{ tags.cluster }}"},
            "description",
            "redis_memory_high/redis/redis_memory_high/30.0/cache-a",
        ),
        ({"summary": "{{ runbook_url }}"}, "summary", "https://runbooks.example/redis-memory"),
        ({"summary": None}, "summary", "redis_memory_high critical on redis-prod-a-1: value 95 > 90"),
        (
            {"summary": "{{ value / 0 }}"},
            "summary",
            "[template error: float division by zero] {{ value / 0 }}",
        ),
        ({"summary": "{{ hots }}"}, "summary", "[template error: 'hots' is undefined] {{ hots }}"),
    ],
    ids=["context-keys", "runbook", "default", "runtime-error", "undefined"],
)
def test_template_output(fields: dict, attr: str, expected: str) -> None:
    (event,) = evaluate(compile_rule(loaded(**fields)), series(95.0), RuleState(), NOW)
    got = event.description if attr == "description" else event.attributes[attr]
    assert got == expected


@pytest.mark.parametrize(
    ("fields", "tags", "host", "service"),
    [
        ({"service": "redis {cluster}"}, TAGS, "redis-prod-a-1", "redis cache-a"),
        ({"service": "redis {nope}"}, TAGS, "redis-prod-a-1", "redis "),
        ({"host_tag": "cluster"}, TAGS, "cache-a", "redis_memory_high"),
        ({}, {"cluster": "cache-a"}, None, "redis_memory_high"),
    ],
)
def test_host_and_service(fields: dict, tags: dict, host: str | None, service: str) -> None:
    (event,) = evaluate(compile_rule(loaded(**fields)), series(10.0, tags), RuleState(), NOW)
    assert (event.host, event.service) == (host, service)


def test_fingerprint_is_rule_plus_labels_and_stable() -> None:
    from alerter.model import fingerprint

    (event,) = evaluate(compile_rule(loaded()), series(10.0), RuleState(), NOW)
    assert event.attributes["fingerprint"] == fingerprint(
        "redis_memory_high", {"team": "data", "service": "redis", **TAGS}
    )


def test_broken_template_is_a_located_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        compile_rule(loaded(summary="{{ value ", service="x {"))
    messages = [str(p) for p in info.value.problems]
    assert len(messages) == 2
    assert all(m.startswith('rules/redis.yaml:7:5: rule "redis_memory_high": ') for m in messages)


def test_state_round_trips_through_json_and_continues_timers() -> None:
    compiled = compile_rule(loaded(**{"for": "1m", "keep_firing_for": "1m"}))
    state = RuleState()
    evaluate(compiled, series(85.0), state, NOW)  # pending warning since NOW
    restored = RuleState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    (a,) = evaluate(compiled, series(85.0), restored, NOW + 60)
    assert (a.state, a.attributes["reason"]) == ("warning", "threshold")  # the pending timer survived
    restored = RuleState.from_dict(json.loads(json.dumps(restored.to_dict())))
    (b,) = evaluate(compiled, series(10.0), restored, NOW + 90)
    assert (b.state, b.attributes["reason"]) == ("warning", "keep_firing")


def test_state_from_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="rule state version 7 is not supported"):
        RuleState.from_dict({"version": 7, "series": {}})


def test_firing_lists_non_ok_series() -> None:
    compiled, state = compile_rule(loaded()), RuleState()
    two = StatementResult(
        (
            Series("redis", ("time", "last"), [[NOW, 95.0]], TAGS),
            Series("redis", ("time", "last"), [[NOW, 5.0]], {**TAGS, "host": "redis-prod-a-2"}),
        )
    )
    evaluate(compiled, two, state, NOW)
    assert [s.tags["host"] for s in state.firing().values()] == ["redis-prod-a-1"]
