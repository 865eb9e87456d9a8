"""RuleEngine.run: one round trip per batch, isolation of failing rules, engine events, statuses."""

from __future__ import annotations

import pytest
from scheduler_fakes import START, FakeSource, failing_for, make_rule, query_of

from alerter.clock import FakeClock
from alerter.errors import SourceUnavailable
from alerter.evaluate.compiled import CompiledRule
from alerter.evaluate.cycle import RuleEngine
from alerter.evaluate.evaluate import evaluate
from alerter.evaluate.state import RuleState
from alerter.model import Event, fingerprint
from alerter.source import StatementResult

pytestmark = pytest.mark.anyio


def engine_events(events: list[Event]) -> list[Event]:
    return [e for e in events if e.attributes.get("reason") == "engine"]


def rule_events(events: list[Event], rule: str) -> list[Event]:
    return [e for e in events if e.attributes.get("rule") == rule and e.attributes.get("reason") != "engine"]


async def test_a_batch_shares_one_round_trip_at_the_given_now(clock: FakeClock, source: FakeSource) -> None:
    events: list[Event] = []
    engine = RuleEngine(source, events.append, clock)
    engine.apply([make_rule("a"), make_rule("b"), make_rule("c")])
    source.answers = {query_of("a"): 97.2, query_of("b"): 10.0, query_of("c"): 99.0}

    await engine.run(["a", "b", "c"], now=START + 30)

    assert source.calls == [((query_of("a"), query_of("b"), query_of("c")), START + 30)]
    assert [(e.attributes["rule"], e.state, e.metric, e.time) for e in events] == [
        ("a", "critical", 97.2, START + 30),
        ("b", "ok", 10.0, START + 30),
        ("c", "critical", 99.0, START + 30),
    ]


async def test_now_defaults_to_the_clock_and_unknown_names_are_skipped(
    clock: FakeClock, source: FakeSource
) -> None:
    engine = RuleEngine(source, [].append, clock)
    engine.apply([make_rule("a")])
    await engine.run(["gone", "a"])
    await engine.run(["gone"])
    assert source.calls == [((query_of("a"),), START)]


@pytest.mark.parametrize(
    ("answer", "evaluate", "error"),
    [
        (
            StatementResult(error="error parsing query: found FORM"),
            None,
            "query rejected: error parsing query: found FORM",
        ),
        (97.0, failing_for("b"), 'rule "b": injected failure'),
        (
            97.0,
            failing_for("b", error=ZeroDivisionError("division by zero")),
            "ZeroDivisionError: division by zero",
        ),
    ],
    ids=["query-error", "evaluation-error", "bug"],
)
async def test_a_failing_rule_is_an_engine_event_and_the_others_still_run(
    clock: FakeClock, source: FakeSource, answer: float | StatementResult, evaluate: object, error: str
) -> None:
    events: list[Event] = []
    kwargs = {"evaluate": evaluate} if evaluate is not None else {}
    engine = RuleEngine(source, events.append, clock, name="alerter-1", **kwargs)  # type: ignore[arg-type]
    engine.apply([make_rule("a"), make_rule("b"), make_rule("c")])
    source.answers = {query_of("a"): 97.0, query_of("b"): answer, query_of("c"): 97.0}

    await engine.run(["a", "b", "c"], now=START)

    assert [e.attributes["rule"] for e in rule_events(events, "a") + rule_events(events, "c")] == ["a", "c"]
    assert rule_events(events, "b") == []
    (failed,) = engine_events(events)
    assert (failed.host, failed.service, failed.state, failed.time, failed.ttl) == (
        "alerter-1",
        "alerter rule b",
        "critical",
        START,
        90.0,
    )
    assert failed.description == f'rule "b" could not be evaluated: {error}'
    assert failed.attributes["rule"] == "b"
    assert failed.attributes["fingerprint"] == fingerprint(
        "engine", {"host": "alerter-1", "service": "alerter rule b"}
    )
    status = engine.status("b")
    assert (status.last_error, status.failures, status.evaluations, status.healthy) == (error, 1, 1, False)
    assert engine.status("a").healthy


async def test_source_unavailable_fails_every_rule_of_the_batch_then_each_recovers_once(
    clock: FakeClock, source: FakeSource
) -> None:
    events: list[Event] = []
    engine = RuleEngine(source, events.append, clock)
    engine.apply([make_rule("a"), make_rule("b")])
    source.unavailable = SourceUnavailable(
        "influxdb http://127.0.0.1:8086: connection refused (after 3 attempts)"
    )

    await engine.run(["a", "b"], now=START)
    await engine.run(["a", "b"], now=START + 30)
    assert [(e.service, e.state, e.time) for e in events] == [
        ("alerter rule a", "critical", START),
        ("alerter rule b", "critical", START),
        ("alerter rule a", "critical", START + 30),
        ("alerter rule b", "critical", START + 30),
    ]
    assert "connection refused" in (engine.status("a").last_error or "")

    events.clear()
    source.unavailable = None
    source.answers = {query_of("a"): 1.0, query_of("b"): 2.0}
    await engine.run(["a", "b"], now=START + 60)
    await engine.run(["a", "b"], now=START + 90)

    recovered = engine_events(events)
    assert [(e.service, e.state, e.time, e.description) for e in recovered] == [
        ("alerter rule a", "ok", START + 60, 'rule "a" evaluates again'),
        ("alerter rule b", "ok", START + 60, 'rule "b" evaluates again'),
    ]
    assert recovered[0].attributes["fingerprint"] == fingerprint(
        "engine", {"host": "alerter", "service": "alerter rule a"}
    )
    assert len(rule_events(events, "a")) == 2
    assert engine.status("a").healthy


async def test_a_healthy_rule_sends_no_engine_events(clock: FakeClock, source: FakeSource) -> None:
    events: list[Event] = []
    engine = RuleEngine(source, events.append, clock)
    engine.apply([make_rule("a")])
    source.answers = {query_of("a"): 99.0}
    for k in range(3):
        await engine.run(["a"], now=START + 30 * k)
    assert engine_events(events) == []
    assert len(events) == 3


async def test_status_tracks_time_duration_series_and_firing(clock: FakeClock, source: FakeSource) -> None:
    engine = RuleEngine(source, [].append, clock)
    engine.apply([make_rule("a", group="web", interval=15.0, line=7)])
    source.answers = {query_of("a"): 97.0}
    source.on_query = lambda _statements, _now: clock.advance(0.25)  # a round trip of 250 ms

    before = engine.status("a")
    assert (before.evaluations, before.last_evaluation, before.last_duration, before.series) == (
        0,
        None,
        None,
        0,
    )
    await engine.run(["a"])

    status = engine.status("a")
    assert (status.name, status.group, status.interval, status.location) == (
        "a",
        "web",
        15.0,
        "rules/test.yaml:7:5",
    )
    assert (status.evaluations, status.failures, status.last_evaluation, status.last_duration) == (
        1,
        0,
        START,
        0.25,
    )
    assert (status.series, status.firing, status.last_error) == (1, 1, None)
    assert [s.name for s in engine.statuses()] == ["a"]


async def test_a_failing_sink_is_counted_and_does_not_stop_other_rules(
    clock: FakeClock, source: FakeSource
) -> None:
    seen: list[str] = []

    def sink(event: Event) -> None:
        if event.attributes["rule"] == "a":
            raise RuntimeError("downstream broken")
        seen.append(event.attributes["rule"])

    engine = RuleEngine(source, sink, clock)
    engine.apply([make_rule("a"), make_rule("b")])
    source.answers = {query_of("a"): 1.0, query_of("b"): 1.0}
    await engine.run(["a", "b"], now=START)
    assert seen == ["b"]
    assert engine.sink_errors == 1
    assert engine.status("a").healthy  # the rule itself evaluated fine


async def test_a_rule_changed_while_its_query_is_in_flight_is_not_evaluated_with_the_old_definition(
    clock: FakeClock, source: FakeSource
) -> None:
    events: list[Event] = []
    engine = RuleEngine(source, events.append, clock)
    engine.apply([make_rule("a"), make_rule("b")])
    source.answers = {query_of("a"): 97.0, query_of("b"): 97.0}
    source.on_query = lambda _s, _n: engine.apply([make_rule("a", critical=50.0)])  # b removed, a changed

    await engine.run(["a", "b"], now=START)

    assert events == []
    assert engine.status("a").evaluations == 0
    source.on_query = None
    await engine.run(["a"], now=START + 30)
    assert [e.state for e in events] == ["critical"]


async def test_duration_is_the_shared_round_trip_plus_the_rules_own_evaluation(
    clock: FakeClock, source: FakeSource
) -> None:
    def slow_evaluate_of_b(
        rule: CompiledRule, result: StatementResult, state: RuleState, now: float
    ) -> list[Event]:
        if rule.name == "b":
            clock.advance(0.125)
        return evaluate(rule, result, state, now)

    engine = RuleEngine(source, [].append, clock, evaluate=slow_evaluate_of_b)
    engine.apply([make_rule("a"), make_rule("b"), make_rule("c")])
    source.on_query = lambda _statements, _now: clock.advance(0.25)
    await engine.run(["a", "b", "c"])
    assert [engine.status(n).last_duration for n in "abc"] == [0.25, 0.375, 0.25]
