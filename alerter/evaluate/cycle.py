"""The evaluation cycle: query the source for the rules that are due, evaluate, emit events.

Place in the flow: a scheduler (live :mod:`alerter.evaluate.scheduler` or replay's
:class:`alerter.evaluate.virtual.VirtualScheduler`) calls :meth:`RuleEngine.run` with the rules due
at one instant; the engine sends their statements to the :class:`~alerter.source.MetricSource` in
ONE round trip, runs each result through the pure ``evaluate`` step with the rule's
:class:`~alerter.evaluate.state.RuleState`, and hands every event to the :class:`EventSink`
(the streams stage). It knows nothing about APScheduler or wall time: ``now`` is passed in or read
from the injected clock, so tests drive it with a ``FakeClock`` and never sleep.

Isolation: a rule whose query fails, whose evaluation raises, or whose batch's source is
unavailable is reported as a critical engine event (:mod:`alerter.evaluate.engine_events`) and
never stops the other rules; its first good evaluation afterwards sends an ok engine event.

Hot reload goes through :meth:`RuleEngine.apply`, which swaps the whole rule set at once (see
:class:`Change` for what happens to each rule's state).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from alerter.clock import Clock
from alerter.config.rules import LoadedRule, Location
from alerter.errors import AlerterError, ConfigError, Problem, SourceError
from alerter.evaluate import engine_events
from alerter.evaluate.compiled import CompiledRule, compile_rule
from alerter.evaluate.evaluate import evaluate
from alerter.evaluate.sink import EventSink
from alerter.evaluate.state import RuleState
from alerter.model import Event, Severity
from alerter.source import MetricSource, StatementResult

log = logging.getLogger(__name__)

EvaluateFn = Callable[[CompiledRule, StatementResult, RuleState, float], list[Event]]
CompileFn = Callable[[LoadedRule], CompiledRule]
ChangeListener = Callable[[Mapping[str, "Change"]], None]


class Change(StrEnum):
    """What :meth:`RuleEngine.apply` did to one rule, by name.

    * ``UNCHANGED``: same digest; keeps its state, statistics and schedule.
    * ``RESCHEDULED``: only the interval changed; keeps its state (its ``for:`` timers are absolute
      times and stay valid), so tuning an interval never resolves and re-fires alerts.
    * ``CHANGED``: anything else changed; fresh state, because the old per-series state (pending
      timers, thresholds behind a level) described a different rule. Health statistics carry
      over, so a fix to a failing rule still sends the ok engine event.
    * ``ADDED`` / ``REMOVED``: started / stopped.
    """

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    RESCHEDULED = "rescheduled"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """A snapshot of one rule's evaluation health, for the status page and ``alerter status``.

    ``last_evaluation`` is the evaluation time (``now``) of the last run; ``last_duration`` its
    cost in seconds: the batch's source round trip plus this rule's own evaluation. ``series`` and
    ``firing`` count the last successful evaluation's events (all, and non-ok).
    """

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

    @property
    def healthy(self) -> bool:
        """True unless the last evaluation failed."""
        return self.last_error is None


@dataclass(slots=True)
class _Stats:
    evaluations: int = 0
    failures: int = 0
    last_evaluation: float | None = None
    last_duration: float | None = None
    series: int = 0
    firing: int = 0
    last_error: str | None = None


@dataclass(slots=True)
class _Runtime:
    """One active rule: its definition, compiled form, per-series state and statistics."""

    loaded: LoadedRule
    compiled: CompiledRule
    state: RuleState
    stats: _Stats = field(default_factory=_Stats)

    def status(self) -> RuleStatus:
        s = self.stats
        return RuleStatus(
            self.loaded.name,
            self.loaded.group,
            self.loaded.interval,
            str(self.loaded.location),
            s.evaluations,
            s.failures,
            s.last_evaluation,
            s.last_duration,
            s.series,
            s.firing,
            s.last_error,
        )


class RuleEngine:
    """Holds the active rules and evaluates the ones a scheduler says are due.

    ``compile_rule``, ``evaluate`` and ``new_state`` default to the real ones from this package;
    tests pass small fakes. ``name`` is the host of engine events.
    """

    def __init__(
        self,
        source: MetricSource,
        sink: EventSink,
        clock: Clock,
        *,
        name: str = "alerter",
        compile_rule: CompileFn = compile_rule,
        evaluate: EvaluateFn = evaluate,
        new_state: Callable[[], RuleState] = RuleState,
    ) -> None:
        self.name = name
        self._source = source
        self._sink = sink
        self._clock = clock
        self._compile = compile_rule
        self._evaluate = evaluate
        self._new_state = new_state
        self._rules: dict[str, _Runtime] = {}
        self._listeners: list[ChangeListener] = []
        self.sink_errors = 0

    # -- the rule set -------------------------------------------------------------------------

    @property
    def rules(self) -> Mapping[str, LoadedRule]:
        """The active rules by name, in load order."""
        return {name: rt.loaded for name, rt in self._rules.items()}

    def on_change(self, listener: ChangeListener) -> None:
        """Call ``listener(changes)`` after every successful :meth:`apply` (schedulers sync here)."""
        self._listeners.append(listener)

    def apply(self, rules: Sequence[LoadedRule]) -> dict[str, Change]:
        """Make ``rules`` the active set, all at once; return what happened to each rule by name.

        Raises :class:`ConfigError` and changes nothing when two rules share a name or a rule does
        not compile: a reload is never applied in part.
        """
        compiled = self._compile_all(rules)
        now = self._clock.now()
        changes: dict[str, Change] = {}
        active: dict[str, _Runtime] = {}
        for loaded in rules:
            old = self._rules.get(loaded.name)
            change = _classify(old.loaded if old else None, loaded)
            changes[loaded.name] = change
            active[loaded.name] = self._carry(old, loaded, compiled[loaded.name], change)
        for name, old in self._rules.items():
            if name not in active:
                changes[name] = Change.REMOVED
                if old.stats.last_error is not None:
                    self._emit(
                        name, [engine_events.rule_recovered(self.name, name, now, None, "was removed")]
                    )
        self._rules = active
        for listener in self._listeners:
            listener(changes)
        return changes

    def _compile_all(self, rules: Sequence[LoadedRule]) -> dict[str, CompiledRule]:
        problems: list[Problem] = []
        compiled: dict[str, CompiledRule] = {}
        first: dict[str, Location] = {}
        for loaded in rules:
            if loaded.name in first:
                loc, where = loaded.location, first[loaded.name]
                message = f'rule "{loaded.name}": duplicate rule name (first defined at {where})'
                problems.append(Problem(loc.path, loc.line, loc.col, message))
                continue
            first[loaded.name] = loaded.location
            try:
                compiled[loaded.name] = self._compile(loaded)
            except ConfigError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems)
        return compiled

    def _carry(
        self, old: _Runtime | None, loaded: LoadedRule, compiled: CompiledRule, change: Change
    ) -> _Runtime:
        if old is None:
            return _Runtime(loaded, compiled, self._new_state())
        if change is Change.CHANGED:
            # A new object: an evaluation of the old definition still awaiting its query is dropped.
            return _Runtime(loaded, compiled, self._new_state(), old.stats)
        old.loaded, old.compiled = loaded, compiled
        return old

    def report(self, event: Event) -> None:
        """Send an engine event (e.g. a rejected reload) through the engine's sink."""
        self._emit(event.attributes.get("rule", ""), [event])

    def state(self, name: str) -> RuleState:
        """The per-series state of active rule ``name`` (KeyError if none), e.g. to persist it."""
        return self._rules[name].state

    def saved_states(self) -> dict[str, dict[str, Any]]:
        """Every active rule's state as JSON-ready data, by name, with the digest it belongs to.

        Persist it on shutdown (or periodically) and hand it to :meth:`restore_states` after a
        restart, so pending ``for:`` timers and firing alerts continue instead of starting over.
        """
        return {
            name: {"digest": rt.loaded.digest, "state": rt.state.to_dict()}
            for name, rt in self._rules.items()
        }

    def notable_states(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Like :meth:`saved_states`, for ``names`` only and only their notable series
        (:meth:`RuleState.notable`): what a batch persists so a restart resumes ``for:`` timers
        and firing alerts without writing every steady series every interval."""
        return {
            name: {"digest": rt.loaded.digest, "state": rt.state.notable().to_dict()}
            for name in names
            if (rt := self._rules.get(name)) is not None
        }

    def restore_states(self, saved: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """Restore states from :meth:`saved_states` for active rules whose digest is unchanged.

        A rule whose definition changed since (different digest) keeps its fresh state, as a reload
        would give it. Returns the names restored. Raises ValueError on data of another format.
        """
        restored = []
        for name, entry in saved.items():
            rt = self._rules.get(name)
            if rt is not None and rt.loaded.digest and entry.get("digest") == rt.loaded.digest:
                rt.state = RuleState.from_dict(entry["state"])
                restored.append(name)
        return restored

    def status(self, name: str) -> RuleStatus:
        """A snapshot of active rule ``name``'s health (KeyError if none)."""
        return self._rules[name].status()

    def statuses(self) -> list[RuleStatus]:
        """Snapshots of every active rule, in load order."""
        return [rt.status() for rt in self._rules.values()]

    # -- one evaluation -----------------------------------------------------------------------

    async def run(self, names: Sequence[str], now: float | None = None) -> None:
        """Evaluate the rules ``names`` at ``now`` (default: the clock) with one source round trip.

        Names not active (removed by a reload since they were scheduled) are skipped. Never raises
        for a rule's or the source's failure: those become engine events. Cancellation propagates.
        """
        batch = [self._rules[n] for n in names if n in self._rules]
        if not batch:
            return
        now = self._clock.now() if now is None else now
        started = self._clock.now()
        try:
            results = await self._source.query([rt.loaded.rule.query for rt in batch], now=now)
            if len(results) != len(batch):
                raise SourceError(
                    f"metric source returned {len(results)} results for {len(batch)} statements"
                )
        except Exception as exc:  # the source failed the whole batch: every rule in it reports it
            for rt in self._current(batch):
                self._failed(rt, now, self._clock.now() - started, _describe(exc))
            return
        round_trip = self._clock.now() - started
        for rt, result in zip(batch, results, strict=True):
            if self._rules.get(rt.loaded.name) is rt:
                self._evaluate_one(rt, result, now, round_trip)

    def _current(self, batch: list[_Runtime]) -> list[_Runtime]:
        return [rt for rt in batch if self._rules.get(rt.loaded.name) is rt]

    def _evaluate_one(self, rt: _Runtime, result: StatementResult, now: float, round_trip: float) -> None:
        """Evaluate one rule's result; its duration is the shared round trip plus its own work."""
        started = self._clock.now()
        try:
            if result.error is not None:
                raise SourceError(f"query rejected: {result.error}")
            events = self._evaluate(rt.compiled, result, rt.state, now)
        except Exception as exc:  # one rule's failure must not stop the others: report it as data
            self._failed(rt, now, round_trip + self._clock.now() - started, _describe(exc))
            return
        self._succeeded(rt, events, now, round_trip + self._clock.now() - started)

    def _succeeded(self, rt: _Runtime, events: list[Event], now: float, duration: float) -> None:
        s, name = rt.stats, rt.loaded.name
        s.evaluations += 1
        s.last_evaluation, s.last_duration = now, duration
        s.series = len(events)
        s.firing = sum(1 for e in events if e.state != Severity.OK.value)
        if s.last_error is not None:
            log.info('rule "%s" (%s) evaluates again', name, rt.loaded.location)
            s.last_error = None
            events = [engine_events.rule_recovered(self.name, name, now, rt.compiled.ttl), *events]
        self._emit(name, events)

    def _failed(self, rt: _Runtime, now: float, duration: float, error: str) -> None:
        s, name = rt.stats, rt.loaded.name
        s.evaluations += 1
        s.failures += 1
        s.last_evaluation, s.last_duration = now, duration
        s.last_error = error
        log.warning('rule "%s" (%s) could not be evaluated: %s', name, rt.loaded.location, error)
        self._emit(name, [engine_events.rule_failed(self.name, name, error, now, rt.compiled.ttl)])

    def _emit(self, rule: str, events: list[Event]) -> None:
        try:
            for event in events:
                self._sink(event)
        except Exception:  # a broken downstream stage must not stop evaluation: log and count it
            self.sink_errors += 1
            log.exception('event sink failed on an event of rule "%s"; the rest of its events are lost', rule)


def _describe(exc: Exception) -> str:
    if isinstance(exc, AlerterError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _classify(old: LoadedRule | None, new: LoadedRule) -> Change:
    if old is None:
        return Change.ADDED
    if _same_definition(old, new):
        return Change.UNCHANGED
    if old.interval != new.interval and _without_interval(old) == _without_interval(new):
        return Change.RESCHEDULED
    return Change.CHANGED


def _same_definition(old: LoadedRule, new: LoadedRule) -> bool:
    if old.digest and new.digest:
        return old.digest == new.digest
    # Without digests (hand-built rules), compare the effective definition directly.
    return (old.rule, old.group, old.interval, old.labels) == (new.rule, new.group, new.interval, new.labels)


def _without_interval(loaded: LoadedRule) -> tuple[object, ...]:
    return (loaded.rule.model_copy(update={"interval": None, "labels": {}}), loaded.group, loaded.labels)
