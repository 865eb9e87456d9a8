"""Replay (backtest): the live engine's own code over history, on a virtual clock, as fast as it can.

Place in the flow: above :mod:`alerter.pipeline`, below :mod:`alerter.app`. It composes the same
stages live mode runs (evaluate -> streams/correlation -> incidents -> paging decision -> routing
target) on ONE :class:`~alerter.clock.FakeClock`; only the scheduler differs:
:class:`~alerter.evaluate.virtual.VirtualScheduler` jumps from one due time to the next instead of
waiting for it, and asks the same :class:`~alerter.evaluate.timing.Timing` for due times.

:func:`build_engine` is the wiring both modes share: a :class:`PipelinedEngine` (a
:class:`~alerter.evaluate.cycle.RuleEngine` whose every run ends with one pipeline flush at the
run's ``now``), so live mode (``app.py`` with the APScheduler scheduler) and replay decide the
same incidents and pages for the same data. Two inputs:

* :func:`replay_rules`: rules over a :class:`~alerter.source.MetricSource` (InfluxDB or the
  in-memory ``StaticSource``) for ``(start, end]``;
* :func:`replay_events`: an exported alert/event history fed in time order straight into the
  pipeline (the evaluation stage is skipped), flushing every ``tick`` seconds in between so
  auto-resolves happen when they would have.

Both return a :class:`ReplaySummary` with every page it would have sent; :func:`write_pages` and
:func:`write_incidents` write them (and the store's incidents) as JSON lines.

>>> # store = IncidentStore("sqlite:///tmp/replay.db")
>>> # setup = ReplaySetup(store, policy, topology)
>>> # summary = await replay_rules(rules, StaticSource(points), setup, start, end)
>>> # print(summary.format()); write_pages(out, summary.pages)
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlmodel import col, select

from alerter.clock import Clock, FakeClock, to_datetime
from alerter.config.correlation import CorrelationPolicy
from alerter.config.oncall import OnCallSpec
from alerter.config.routing import RoutingConfig
from alerter.config.rules import LoadedRule
from alerter.config.topology import Topology
from alerter.errors import Problem
from alerter.evaluate.cycle import RuleEngine
from alerter.evaluate.sink import EventSink
from alerter.evaluate.timing import Timing
from alerter.evaluate.virtual import VirtualScheduler
from alerter.incidents.correlate import NON_LABELS, Suppressor
from alerter.incidents.records import IncidentRecord
from alerter.incidents.store import IncidentStore
from alerter.incidents.suppression import Page, PagingDecision
from alerter.incidents.tables import Alert, Incident
from alerter.incidents.titles import Member, common_labels
from alerter.incidents.unit import StoreTransaction
from alerter.model import ATTR_FINGERPRINT, ATTR_RULE, Event, Severity, fingerprint
from alerter.pipeline import BatchResult, Deliver, Pipeline
from alerter.route.rotation import who_is_on_call
from alerter.route.routing import route
from alerter.source import MetricSource

OK = Severity.OK.value

Progress = Callable[[float], None]
"""Told the virtual time reached, after each step of a replay (a progress bar's feed)."""
Target = Callable[[PagingDecision, Mapping[str, str]], str | None]
"""The routing decision of one page, given the labels its incident's members share (and its
``severity``): whom it would have gone to (None: nobody is on call then)."""
BatchListener = Callable[[BatchResult], None]


# -- the wiring live mode and replay share --------------------------------------------------------


class PipelinedEngine(RuleEngine):
    """A :class:`RuleEngine` whose every :meth:`run` ends with ONE :meth:`Pipeline.flush` at ``now``.

    Both schedulers call ``run`` with the rules due at one instant, so each evaluation batch is
    one store transaction, decided on the batch's time (never the wall clock): what makes a replay
    decide exactly what live mode decided. ``on_batch`` sees each committed batch's result.
    """

    def __init__(
        self,
        source: MetricSource,
        sink: EventSink,
        clock: Clock,
        pipeline: Pipeline,
        *,
        name: str = "alerter",
        on_batch: BatchListener | None = None,
    ) -> None:
        super().__init__(source, sink, clock, name=name)
        self.pipeline = pipeline
        self.last_run: tuple[str, ...] = ()  # the rules of the batch being flushed
        self._now = clock.now
        self._on_batch = on_batch

    async def run(self, names: Sequence[str], now: float | None = None) -> None:
        """Evaluate ``names`` at ``now`` (default: the clock), then flush the pipeline at ``now``.

        Raises what :meth:`Pipeline.flush` raises (a store failure); the live scheduler logs it and
        the next batch retries on rebuilt correlation state.
        """
        now = self._now() if now is None else now
        await super().run(names, now)
        self.last_run = tuple(names)
        result = self.pipeline.flush(now)
        if self._on_batch is not None:
            self._on_batch(result)


@dataclass
class EngineWiring:
    """The evaluation engine and the pipeline behind it, wired as live mode and replay run them."""

    engine: PipelinedEngine
    pipeline: Pipeline
    counter: EventCounter


def build_engine(
    source: MetricSource,
    store: IncidentStore,
    policy: CorrelationPolicy,
    clock: Clock,
    *,
    topology: Topology | None = None,
    suppressor: Suppressor | None = None,
    sink: EventSink | None = None,
    deliver: Deliver | None = None,
    name: str = "alerter",
    on_batch: BatchListener | None = None,
) -> EngineWiring:
    """Wire source -> engine -> (counter, ``sink``) -> pipeline on ``store``; nothing runs yet.

    ``deliver`` is the pipeline's hook for the later stages (route, outbox: live mode's pages),
    run inside each batch's transaction; ``on_batch`` sees each batch after its commit.

    The caller applies rules (``wiring.engine.apply(...)``) and hands ``wiring.engine`` to a
    scheduler: :class:`~alerter.evaluate.scheduler.EvaluationScheduler` live,
    :class:`VirtualScheduler` in replay. The pipeline rebuilds its state from ``store``'s open
    incidents, so a restart neither reopens nor re-pages anything.
    """
    engine: PipelinedEngine | None = None

    def deliver_and_persist(tx: StoreTransaction, result: BatchResult) -> None:
        if deliver is not None:
            deliver(tx, result)
        if engine is not None and engine.last_run:
            # the evaluation state of the batch's rules commits with the incidents it caused
            tx.save_series_states(RULE_STATES, engine.notable_states(engine.last_run), result.at)

    pipeline = Pipeline(
        store, policy, topology, suppressor=suppressor, deliver=deliver_and_persist, start=clock.now()
    )
    counter = EventCounter(pipeline if sink is None else _Both(sink, pipeline))
    engine = PipelinedEngine(source, counter, clock, pipeline, name=name, on_batch=on_batch)
    return EngineWiring(engine, pipeline, counter)


RULE_STATES = "evaluation:rules"
"""The store's series-state namespace of persisted rule states: one entry per rule name."""


def restore_rule_states(engine: RuleEngine, store: IncidentStore) -> list[str]:
    """Give ``engine``'s rules the evaluation state the last run persisted (digest unchanged);
    return the rules restored."""
    saved = store.restart_state().series_states.get(RULE_STATES, {})
    return engine.restore_states(saved)


class EventCounter:
    """An EventSink that counts events and the distinct alerts (non-ok fingerprints), then forwards."""

    __slots__ = ("_next", "alerts", "events")

    def __init__(self, next_sink: EventSink) -> None:
        self._next = next_sink
        self.events = 0
        self.alerts: set[str] = set()

    def __call__(self, event: Event) -> None:
        self.events += 1
        if event.state != OK and (fp := event.attributes.get(ATTR_FINGERPRINT)) is not None:
            self.alerts.add(fp)
        self._next(event)


class _Both:
    __slots__ = ("_a", "_b")

    def __init__(self, a: EventSink, b: EventSink) -> None:
        self._a, self._b = a, b

    def __call__(self, event: Event) -> None:
        self._a(event)
        self._b(event)


# -- what a replay produces -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageRecord:
    """One page the engine would have sent, as written to ``pages.jsonl``."""

    time: float
    incident_key: str
    transition: str
    severity: str
    title: str
    root_cause: str | None
    hosts: tuple[str, ...]
    target: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": iso(self.time),
            "incident_key": self.incident_key,
            "transition": self.transition,
            "severity": self.severity,
            "title": self.title,
            "root_cause": self.root_cause,
            "hosts": list(self.hosts),
            "target": self.target,
        }


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    """What a replay did. ``suppressed`` counts, by reason, the alerts kept from opening or paging
    on their own (maintenance, dependency, storm; each alert once per reason) and the incident
    transitions that did not page (policy, flapping)."""

    start: float
    end: float
    wall_seconds: float
    evaluations: int
    events: int
    alerts: int
    incidents: int
    pages: tuple[PageRecord, ...]
    suppressed: Mapping[str, int]

    @property
    def simulated_hours_per_second(self) -> float:
        return (self.end - self.start) / 3600.0 / self.wall_seconds if self.wall_seconds > 0 else float("inf")

    def format(self) -> str:
        """The summary a person reads after ``alerter replay``."""
        hours = (self.end - self.start) / 3600.0
        reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(self.suppressed.items())) or "none"
        return (
            f"replay {iso(self.start)} .. {iso(self.end)}: {hours:.2f} h simulated in {self.wall_seconds:.1f} s"
            f" ({self.simulated_hours_per_second:.3g} h/s)\n"
            f"evaluations {self.evaluations:,}  events {self.events:,}  alerts {self.alerts:,}"
            f"  incidents {self.incidents:,}  pages {len(self.pages):,}\n"
            f"suppressed: {reasons}"
        )


@dataclass(frozen=True, slots=True)
class ReplaySetup:
    """Everything a replay needs beside its input: where incidents go and the policy that decides.

    ``target``: the routing decision of a page (see :func:`oncall_target`). ``timing``: the due
    times (use the live engine's: ``Timing(settings.jitter, seed=settings.engine_name)``).
    ``clock``: measures the wall time of the replay (the summary's speed); None: not measured.
    """

    store: IncidentStore
    policy: CorrelationPolicy
    topology: Topology | None = None
    suppressor: Suppressor | None = None
    target: Target | None = None
    timing: Timing = field(default_factory=Timing)
    engine_name: str = "alerter"
    clock: Clock | None = None


class PageRecorder:
    """A batch listener: collects each committed batch's pages (with the incident's hosts, root
    cause and routing target) and counts the suppression reasons. Live mode can log its pages too."""

    def __init__(self, store: IncidentStore, target: Target | None) -> None:
        self._store, self._target = store, target
        self.pages: list[PageRecord] = []
        self.suppressed: Counter[str] = Counter()
        self._alerts: set[tuple[str, str]] = set()

    def __call__(self, result: BatchResult) -> None:
        for s in result.suppressions:
            if (s.reason.value, s.fingerprint) not in self._alerts:  # not again on each refresh
                self._alerts.add((s.reason.value, s.fingerprint))
                self.suppressed[s.reason.value] += 1
        for d in result.decisions:
            if not isinstance(d.outcome, Page):
                self.suppressed[d.outcome.value] += 1
        pages = result.pages
        if pages:
            with self._store.transaction() as tx:
                records = {d.incident_key: tx.incident(d.incident_key) for d in pages}
            self.pages.extend(self._page(d, records[d.incident_key]) for d in pages)

    def _page(self, d: PagingDecision, record: IncidentRecord | None) -> PageRecord:
        assert isinstance(d.outcome, Page)
        alerts = record.alerts if record is not None else ()
        hosts = tuple(sorted({a.host for a in alerts if a.host}))
        target = None
        if self._target is not None:
            labels = common_labels([Member(a.rule, a.labels) for a in alerts])
            target = self._target(d, {**labels, "severity": d.outcome.severity.value})
        root = record.root_cause if record is not None else None
        return PageRecord(
            d.at,
            d.incident_key,
            d.transition.value,
            d.outcome.severity.value,
            d.outcome.title,
            root,
            hosts,
            target,
        )


# -- the two replays ------------------------------------------------------------------------------


async def replay_rules(
    rules: Sequence[LoadedRule],
    source: MetricSource,
    setup: ReplaySetup,
    start: float,
    end: float,
    *,
    progress: Progress | None = None,
    step: float = 300.0,
    sink: EventSink | None = None,
) -> ReplaySummary:
    """Evaluate ``rules`` at every instant live mode would have in ``(start, end]``, through the
    pipeline; return the summary with every page.

    Raises :class:`~alerter.errors.ConfigError` if two rules share a name or one does not compile,
    ValueError if ``end < start``; a store failure propagates. ``progress`` is told the virtual time
    every ``step`` seconds of it (the steps change nothing: due times are the scheduler's).
    ``sink`` also gets every evaluated event (e.g. to export them as a history).
    """
    _check_window(start, end)
    clock = FakeClock(start)
    recorder = PageRecorder(setup.store, setup.target)
    wiring = build_engine(
        source,
        setup.store,
        setup.policy,
        clock,
        topology=setup.topology,
        suppressor=setup.suppressor,
        sink=sink,
        name=setup.engine_name,
        on_batch=recorder,
    )
    wiring.engine.apply(rules)
    scheduler = VirtualScheduler(wiring.engine, clock, setup.timing)
    began = _wall(setup)
    t = start
    while t < end:
        t = min(t + step, end)
        await scheduler.run_until(t)
        if progress is not None:
            progress(t)
    return _summary(setup, recorder, start, end, began, scheduler.evaluations, wiring.counter)


def replay_events(
    events: Iterable[Event],
    setup: ReplaySetup,
    start: float | None = None,
    end: float | None = None,
    *,
    tick: float = 30.0,
    progress: Progress | None = None,
) -> ReplaySummary:
    """Feed a recorded history into the pipeline in time order; return the summary with every page.

    Events outside ``[start, end]`` are skipped (default: the history's first and last time).
    Events at one time form one batch; between batches the pipeline is flushed at every multiple
    of ``tick`` so incidents auto-resolve on time. Events lacking a fingerprint get one
    (:func:`history_event`). Raises ValueError for an event without a time, or ``tick <= 0``.
    """
    if not tick > 0:
        raise ValueError(f"tick must be > 0, got {tick}")
    ordered = sorted((history_event(e) for e in events), key=_time)
    lo = start if start is not None else (_time(ordered[0]) if ordered else 0.0)
    hi = end if end is not None else (_time(ordered[-1]) if ordered else lo)
    _check_window(lo, hi)
    counter = EventCounter(lambda _e: None)
    recorder = PageRecorder(setup.store, setup.target)
    pipeline = Pipeline(setup.store, setup.policy, setup.topology, suppressor=setup.suppressor, start=lo)
    began = _wall(setup)
    last = lo
    for t, batch in _batches(e for e in ordered if lo <= _time(e) <= hi):
        last = _ticks(pipeline, recorder, last, t, tick, progress)
        for e in batch:
            counter(e)
        recorder(pipeline.process(batch, t))
        last = t
    _ticks(pipeline, recorder, last, hi, tick, progress)
    recorder(pipeline.flush(hi))
    if progress is not None:
        progress(hi)
    return _summary(setup, recorder, lo, hi, began, 0, counter)


def _ticks(
    pipeline: Pipeline, recorder: PageRecorder, last: float, t: float, tick: float, progress: Progress | None
) -> float:
    """Flush at every multiple of ``tick`` in ``(last, t)``; return the last instant flushed."""
    k = int(last // tick) + 1
    while k * tick < t:
        last = k * tick
        recorder(pipeline.flush(last))
        if progress is not None:
            progress(last)
        k += 1
    return last


def _batches(events: Iterable[Event]) -> Iterator[tuple[float, list[Event]]]:
    batch: list[Event] = []
    for e in events:
        if batch and _time(e) != _time(batch[0]):
            yield _time(batch[0]), batch
            batch = []
        batch.append(e)
    if batch:
        yield _time(batch[0]), batch


def _time(event: Event) -> float:
    if event.time is None:
        raise ValueError(f"event {event.host}/{event.service} has no time")
    return float(event.time)


def _check_window(start: float, end: float) -> None:
    if end < start:
        raise ValueError(f"replay window ends ({iso(end)}) before it starts ({iso(start)})")


def _wall(setup: ReplaySetup) -> float:
    return setup.clock.now() if setup.clock is not None else 0.0


def _summary(
    setup: ReplaySetup,
    recorder: PageRecorder,
    start: float,
    end: float,
    began: float,
    evaluations: int,
    counter: EventCounter,
) -> ReplaySummary:
    incidents = stored_incidents(setup.store)
    wall = _wall(setup) - began
    return ReplaySummary(
        start,
        end,
        wall,
        evaluations,
        counter.events,
        len(counter.alerts),
        incidents,
        tuple(recorder.pages),
        dict(recorder.suppressed),
    )


# -- recorded histories ---------------------------------------------------------------------------


def history_event(event: Event) -> Event:
    """An exported event made fit for the pipeline: a ``rule`` (default: its service) and a
    ``fingerprint`` (default: of the rule and its labels incl. host and service), if it lacks them."""
    attrs = event.attributes
    if ATTR_FINGERPRINT in attrs and ATTR_RULE in attrs:
        return event
    rule = attrs.get(ATTR_RULE) or event.service or ""
    labels = {k: v for k, v in attrs.items() if k not in NON_LABELS and k != ATTR_RULE}
    for key, value in (("host", event.host), ("service", event.service)):
        if value is not None:
            labels.setdefault(key, value)
    fp = attrs.get(ATTR_FINGERPRINT) or fingerprint(rule, labels)
    return event.with_(**{ATTR_RULE: rule, ATTR_FINGERPRINT: fp})


_REQUIRED = ("host", "service", "state", "time")
_STATES = frozenset(s.value for s in Severity)


def read_events(lines: Iterable[str], path: str) -> tuple[list[Event], list[Problem]]:
    """Parse a JSON-lines event history; a bad line becomes a ``path:line:1`` problem and is skipped.

    Each line is one JSON object with ``host``, ``service``, ``state`` (ok/warning/critical) and
    ``time`` (POSIX seconds, or ISO-8601 with an offset), optionally ``metric``, ``ttl``, ``tags``, ``attributes`` (or flat
    extra keys, Riemann's JSON). Blank lines are ignored.
    """
    events: list[Event] = []
    problems: list[Problem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append(_parse_event(line))
        except ValueError as exc:
            problems.append(Problem(path, number, 1, str(exc)))
    return events, problems


def _parse_event(line: str) -> Event:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"an event must be a JSON object, got {type(data).__name__}")
    if isinstance(data.get("time"), str) and "T" in data["time"]:
        data["time"] = _iso_time(data["time"])
    event = Event.from_dict(data)
    missing = [k for k in _REQUIRED if getattr(event, k) is None]
    if missing:
        raise ValueError(f"event lacks {', '.join(missing)} (each line needs {', '.join(_REQUIRED)})")
    if event.state not in _STATES:
        raise ValueError(f"state {event.state!r} is not one of {', '.join(sorted(_STATES))}")
    return event


def _iso_time(text: str) -> float:
    """An exported ISO-8601 time (Alertmanager's, Riemann's ``isoTime``); it must carry an offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"time: {text!r} is neither POSIX seconds nor ISO-8601") from None
    if moment.tzinfo is None:
        raise ValueError(f"time: {text!r} has no UTC offset (write e.g. {text}Z)")
    return moment.timestamp()


# -- routing, writers and the store ---------------------------------------------------------------


def oncall_target(spec: OnCallSpec) -> Target:
    """Every page goes to the rotation's primary at the page's time (None before the rotation starts)."""

    def target(d: PagingDecision, _labels: Mapping[str, str]) -> str | None:
        try:
            return who_is_on_call(spec, to_datetime(d.at)).primary.id
        except ValueError:
            return None

    return target


def routing_target(config: RoutingConfig) -> Target:
    """A page goes to the primary of the rotation its labels route to (``routing.yaml``), at the
    page's time; None before that rotation starts."""

    def target(d: PagingDecision, labels: Mapping[str, str]) -> str | None:
        try:
            return route(labels, config.rotations, config.policy, to_datetime(d.at)).primary.id
        except ValueError:
            return None

    return target


def iso(t: float) -> str:
    """POSIX seconds -> ``2026-01-05T08:00:00Z`` (fractions kept when there are any)."""
    text = to_datetime(t).isoformat(timespec="seconds" if t == int(t) else "milliseconds")
    return text.replace("+00:00", "Z")


def write_pages(out: IO[str], pages: Iterable[PageRecord]) -> int:
    """Write one JSON object per page; return how many."""
    n = 0
    for page in pages:
        out.write(json.dumps(page.to_dict(), sort_keys=True) + "\n")
        n += 1
    return n


def incident_dicts(store: IncidentStore) -> list[dict[str, Any]]:
    """Every stored incident, oldest first, with its member alerts (as ``incidents.jsonl`` has them)."""
    with store.transaction() as tx:
        incidents = tx.session.exec(select(Incident).order_by(col(Incident.id))).all()
        alerts = tx.session.exec(select(Alert).order_by(col(Alert.id))).all()
        members: dict[int, list[dict[str, Any]]] = {}
        for a in alerts:
            members.setdefault(a.incident_id, []).append(_alert_dict(a))
        return [_incident_dict(i, members.get(i.id or 0, [])) for i in incidents]


def _incident_dict(row: Incident, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key": row.key,
        "group_key": row.group_key,
        "title": row.title,
        "status": row.status,
        "severity": row.severity,
        "opened_at": iso(row.opened_at),
        "resolved_at": None if row.resolved_at is None else iso(row.resolved_at),
        "reopened_count": row.reopened_count,
        "root_cause": row.root_cause,
        "flapping": row.flapping,
        "suppressed": row.suppressed,
        "alerts": alerts,
    }


def _alert_dict(row: Alert) -> dict[str, Any]:
    return {
        "fingerprint": row.fingerprint,
        "rule": row.rule,
        "host": row.host,
        "service": row.service,
        "state": row.state,
        "first": iso(row.first_seen),
        "last": iso(row.last_seen),
        "suppressed": row.suppressed,
    }


def write_incidents(out: IO[str], store: IncidentStore) -> int:
    """Write one JSON object per stored incident with its member alerts; return how many."""
    rows = incident_dicts(store)
    for row in rows:
        out.write(json.dumps(row, sort_keys=True) + "\n")
    return len(rows)


@contextmanager
def temporary_store() -> Iterator[IncidentStore]:
    """A fresh SQLite incident store in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="alerter-replay-") as tmp:
        store = IncidentStore(f"sqlite:///{Path(tmp) / 'replay.db'}")
        try:
            yield store
        finally:
            store.close()


def stored_incidents(store: IncidentStore) -> int:
    """How many incidents ``store`` holds (a replay wants an empty one)."""
    with store.transaction() as tx:
        return len(tx.session.exec(select(Incident.id)).all())


__all__ = [
    "EngineWiring",
    "EventCounter",
    "PageRecord",
    "PageRecorder",
    "PipelinedEngine",
    "ReplaySetup",
    "ReplaySummary",
    "build_engine",
    "history_event",
    "incident_dicts",
    "iso",
    "oncall_target",
    "read_events",
    "replay_events",
    "replay_rules",
    "routing_target",
    "stored_incidents",
    "temporary_store",
    "write_incidents",
    "write_pages",
]
