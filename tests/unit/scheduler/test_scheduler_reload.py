"""RuleEngine.apply (what each rule keeps) and RuleReloader (poll, reject, recover) on real files."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest
from scheduler_fakes import START, FakeSource, failing_for, make_rule, query_of

from alerter.clock import FakeClock
from alerter.config.load import RuleSet, load_rules
from alerter.errors import ConfigError
from alerter.evaluate.cycle import Change, RuleEngine
from alerter.evaluate.reload import ReloadResult, RuleReloader, files_digest
from alerter.evaluate.timing import Timing
from alerter.evaluate.virtual import VirtualScheduler
from alerter.model import Event

pytestmark = pytest.mark.anyio

GROUP = """\
groups:
  - name: host
    interval: 30s
    rules:
"""


def rule_yaml(name: str, critical: float = 95, interval: str | None = None) -> str:
    extra = f"        interval: {interval}\n" if interval else ""
    return (
        f"      - name: {name}\n"
        f'        query: SELECT last("value") FROM "{name}" WHERE time > now() - 5m GROUP BY "host", "env"\n'
        f"        thresholds: {{critical: {critical}}}\n{extra}"
    )


def write_rules(path: Path, *rules: str) -> None:
    path.write_text(GROUP + "".join(rules))


def reload_events(events: list[Event]) -> list[tuple[str | None, str | None]]:
    return [(e.service, e.state) for e in events if e.service == "alerter rules reload"]


# -- RuleEngine.apply --------------------------------------------------------------------------


async def test_apply_keeps_state_of_unchanged_and_rescheduled_rules_only(
    clock: FakeClock, source: FakeSource
) -> None:
    engine = RuleEngine(source, [].append, clock)
    engine.apply([make_rule("same"), make_rule("slower"), make_rule("edited"), make_rule("gone")])
    source.answers = {query_of(n): 99.0 for n in ("same", "slower", "edited", "gone")}
    await engine.run(["same", "slower", "edited", "gone"], now=START)
    before = {n: engine.state(n) for n in ("same", "slower", "edited")}

    changes = engine.apply(
        [
            make_rule("same", line=40),  # moved in the file: same digest
            make_rule("slower", interval=60.0),
            make_rule("edited", critical=90.0),
            make_rule("new"),
        ]
    )

    assert changes == {
        "same": Change.UNCHANGED,
        "slower": Change.RESCHEDULED,
        "edited": Change.CHANGED,
        "new": Change.ADDED,
        "gone": Change.REMOVED,
    }
    assert engine.state("same") is before["same"] and len(before["same"].series) == 1
    assert engine.state("slower") is before["slower"]
    assert engine.state("edited") is not before["edited"] and engine.state("edited").series == {}
    assert list(engine.rules) == ["same", "slower", "edited", "new"]
    assert engine.status("same").location == "rules/test.yaml:40:5"
    assert engine.status("edited").evaluations == 1  # statistics follow the name


async def test_apply_refuses_duplicates_and_uncompilable_rules_and_changes_nothing(
    clock: FakeClock, source: FakeSource
) -> None:
    engine = RuleEngine(source, [].append, clock)
    engine.apply([make_rule("a")])
    bad_template = make_rule("t", summary="{{ value ", line=9)

    with pytest.raises(ConfigError) as info:
        engine.apply([make_rule("b", line=3), make_rule("b", line=5), bad_template])

    messages = [str(p) for p in info.value.problems]
    assert (
        messages[0]
        == 'rules/test.yaml:5:5: rule "b": duplicate rule name (first defined at rules/test.yaml:3:5)'
    )
    assert messages[1].startswith('rules/test.yaml:9:5: rule "t": summary template:')
    assert list(engine.rules) == ["a"]


async def test_removing_a_failing_rule_resolves_its_engine_event(
    clock: FakeClock, source: FakeSource
) -> None:
    events: list[Event] = []
    engine = RuleEngine(source, events.append, clock, evaluate=failing_for("bad"))
    engine.apply([make_rule("bad"), make_rule("good")])
    await engine.run(["bad", "good"], now=START)
    clock.advance(10)
    engine.apply([make_rule("good")])
    assert [
        (e.service, e.state, e.time, e.description) for e in events if e.service == "alerter rule bad"
    ] == [
        (
            "alerter rule bad",
            "critical",
            START,
            'rule "bad" could not be evaluated: rule "bad": injected failure',
        ),
        ("alerter rule bad", "ok", START + 10, 'rule "bad" was removed'),
    ]


# -- RuleReloader on files ------------------------------------------------------------------------


async def test_an_edit_is_picked_up_by_the_poll_and_unchanged_rules_keep_their_state(
    tmp_path: Path, clock: FakeClock, source: FakeSource
) -> None:
    path = tmp_path / "host.yaml"
    write_rules(path, rule_yaml("cpu"), rule_yaml("mem"))
    engine = RuleEngine(source, [].append, clock)
    virtual = VirtualScheduler(engine, clock, Timing(max_jitter=0.0))
    reloader = RuleReloader([tmp_path], engine, clock)
    assert reloader.load_initial().result is ReloadResult.APPLIED
    source.answers = {query_of("cpu"): 99.0, query_of("mem"): 99.0}
    await virtual.run_until(START + 30)
    cpu_state = engine.state("cpu")

    assert reloader.poll().result is ReloadResult.UNCHANGED
    write_rules(path, rule_yaml("cpu"), rule_yaml("mem", critical=50), rule_yaml("disk"))
    outcome = reloader.poll()

    assert outcome.result is ReloadResult.APPLIED
    assert outcome.changes == {"cpu": Change.UNCHANGED, "mem": Change.CHANGED, "disk": Change.ADDED}
    assert outcome.summary() == "applied: 1 added, 1 changed, 1 unchanged"
    assert engine.state("cpu") is cpu_state and len(cpu_state.series) == 1
    assert engine.state("mem").series == {}
    await virtual.run_until(START + 60)
    assert source.evaluation_times(query_of("disk")) == [START + 60]


async def test_an_invalid_edit_keeps_the_old_rules_running_and_is_reported_once(
    tmp_path: Path, clock: FakeClock, source: FakeSource, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "host.yaml"
    write_rules(path, rule_yaml("cpu"), rule_yaml("mem"))
    events: list[Event] = []
    engine = RuleEngine(source, events.append, clock, name="alerter-1")
    virtual = VirtualScheduler(engine, clock, Timing(max_jitter=0.0))
    reloader = RuleReloader([tmp_path], engine, clock)
    reloader.load_initial()
    virtual.every("reload", 10.0, reloader.poll)

    clock.advance(5)
    # mem is fine, cpu has a typo: a partial swap would drop cpu and add nothing; we swap nothing
    write_rules(path, rule_yaml("cpu", interval="5 m"), rule_yaml("mem", critical=50), rule_yaml("disk"))
    with caplog.at_level(logging.ERROR, logger="alerter.evaluate.reload"):
        await virtual.run_until(START + 60)

    assert list(engine.rules) == ["cpu", "mem"]
    assert engine.rules["mem"].rule.thresholds.critical == 95
    assert source.evaluation_times(query_of("cpu")) == [START + 30, START + 60]
    (rejected,) = [e for e in events if e.service == "alerter rules reload"]
    assert (rejected.host, rejected.state, rejected.time, rejected.attributes["reason"]) == (
        "alerter-1",
        "critical",
        START + 10,
        "engine",
    )
    assert rejected.description is not None and "host.yaml:" in rejected.description
    assert "cpu" in rejected.description and "5 m" in rejected.description
    assert (
        rejected.attributes["summary"]
        == "rules reload rejected (1 problem(s)); the previous rules keep running:"
    )
    assert "host.yaml:" in caplog.text and "previous rules keep running" in caplog.text

    write_rules(path, rule_yaml("cpu"), rule_yaml("mem", critical=50), rule_yaml("disk"))
    await virtual.run_until(START + 70)
    assert list(engine.rules) == ["cpu", "mem", "disk"]
    assert reload_events(events) == [("alerter rules reload", "critical"), ("alerter rules reload", "ok")]


async def test_reload_loads_even_when_nothing_changed_sighup(
    tmp_path: Path, clock: FakeClock, source: FakeSource
) -> None:
    write_rules(tmp_path / "host.yaml", rule_yaml("cpu"))
    calls: list[tuple[Path | str, ...]] = []

    def counting_load(paths: Sequence[Path | str]) -> RuleSet:
        calls.append(tuple(paths))
        return load_rules(paths)

    engine = RuleEngine(source, [].append, clock)
    reloader = RuleReloader([tmp_path], engine, clock, load=counting_load)
    reloader.load_initial()
    assert reloader.poll().result is ReloadResult.UNCHANGED
    outcome = reloader.reload()
    assert outcome.result is ReloadResult.APPLIED and outcome.changes == {"cpu": Change.UNCHANGED}
    assert len(calls) == 2


async def test_initial_load_is_strict_by_default(
    tmp_path: Path, clock: FakeClock, source: FakeSource
) -> None:
    write_rules(tmp_path / "good.yaml", rule_yaml("cpu"))
    (tmp_path / "broken.yaml").write_text("groups: [\n")
    events: list[Event] = []
    engine = RuleEngine(source, events.append, clock)

    with pytest.raises(ConfigError) as info:
        RuleReloader([tmp_path], engine, clock).load_initial()
    assert all("broken.yaml" in str(p) for p in info.value.problems)
    assert engine.rules == {}

    outcome = RuleReloader([tmp_path], engine, clock).load_initial(strict=False)
    assert outcome.result is ReloadResult.APPLIED and list(engine.rules) == ["cpu"]
    assert outcome.problems and reload_events(events) == [("alerter rules reload", "critical")]


def test_files_digest_sees_edits_new_and_removed_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x")
    (tmp_path / "notes.txt").write_text("ignored")
    first = files_digest([tmp_path])
    (tmp_path / "notes.txt").write_text("still ignored")
    assert files_digest([tmp_path]) == first
    (tmp_path / "a.yaml").write_text("y")
    second = files_digest([tmp_path])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text("z")
    third = files_digest([tmp_path])
    (tmp_path / "sub" / "b.yml").unlink()
    assert len({first, second, third}) == 3
    assert files_digest([tmp_path]) == second
    assert files_digest([tmp_path / "missing.yaml"]) != files_digest([tmp_path / "other.yaml"])


async def test_saved_states_restore_after_a_restart_only_for_unchanged_rules(
    clock: FakeClock, source: FakeSource
) -> None:
    engine = RuleEngine(source, [].append, clock)
    engine.apply([make_rule("a", **{"for": "5m"}), make_rule("b")])
    source.answers = {query_of("a"): 99.0, query_of("b"): 99.0}
    await engine.run(["a", "b"], now=START)
    saved = json.loads(json.dumps(engine.saved_states()))

    restarted = RuleEngine(source, [].append, clock)
    restarted.apply([make_rule("a", **{"for": "5m"}), make_rule("b", critical=50.0)])
    assert restarted.restore_states(saved) == ["a"]
    assert restarted.state("a") == engine.state("a")  # the pending for: timer continues
    assert restarted.state("b").series == {}
