"""A small timeline language for scenario tests: series, evaluations at virtual times, and a
pipeline on a real SQLite IncidentStore, so tests assert incidents and pages, not events.

>>> # world = World(tmp_path)                       # the shipped rules/correlation.yaml + topology.yaml
>>> # cpu = Series("host_cpu_high", host="api-prod-02", env="prod", role="api")
>>> # world.evaluate(T0, [cpu.at("critical")])      # one evaluation tick
>>> # world.every(30, T0 + 30, T0 + 600, lambda t: [cpu.at("ok")])
>>> # assert [i.incident.title for i in world.incidents()] == [...]
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select

from alerter.clock import FakeClock
from alerter.config.correlation import CorrelationPolicy, load_correlation
from alerter.config.load import load_rules
from alerter.config.topology import Topology, load_topology
from alerter.evaluate.cycle import RuleEngine
from alerter.evaluate.timing import Timing
from alerter.evaluate.virtual import VirtualScheduler
from alerter.incidents.correlate import Suppressor
from alerter.incidents.records import IncidentRecord
from alerter.incidents.store import IncidentStore
from alerter.incidents.suppression import AlertSuppression, PagingDecision
from alerter.incidents.tables import Incident, Suppression
from alerter.model import ATTR_FINGERPRINT, ATTR_RULE, Event, fingerprint
from alerter.pipeline import BatchResult, Pipeline
from alerter.source import MetricSource

RULES = Path(__file__).resolve().parents[2] / "rules"
T0 = 1_767_600_000.0

migrated_template: Path | None = None
"""A freshly migrated database file to copy (set once per session by conftest): migrating costs
~0.4 s, copying a file nothing."""


@dataclass(frozen=True, slots=True)
class Series:
    """One evaluated series of one rule, as the evaluator emits it."""

    rule: str
    labels: dict[str, str]

    def __init__(self, rule: str, **labels: str) -> None:
        object.__setattr__(self, "rule", rule)
        object.__setattr__(self, "labels", labels)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule, self.labels)

    def at(self, state: str, t: float = 0.0, metric: float | None = None) -> Event:
        attrs = {**self.labels, ATTR_RULE: self.rule, ATTR_FINGERPRINT: self.fingerprint}
        return Event(self.labels.get("host"), self.rule, state, None, metric, t, 60.0, (), attrs)


def policy_from(text: str | None, tmp_path: Path) -> CorrelationPolicy:
    """The shipped policy (``text`` None) or ``text`` loaded like a real file."""
    path = RULES / "correlation.yaml"
    if text is not None:
        path = tmp_path / "correlation.yaml"
        path.write_text(text)
    policy, problems = load_correlation(path)
    assert policy is not None, problems
    return policy


def topology_from(text: str | None, tmp_path: Path) -> Topology:
    path = RULES / "topology.yaml"
    if text is not None:
        path = tmp_path / "topology.yaml"
        path.write_text(text)
    topology, problems = load_topology(path)
    assert topology is not None, problems
    return topology


@dataclass
class World:
    """A pipeline on a fresh SQLite store; collects every batch's decisions."""

    tmp_path: Path
    correlation: str | None = None
    topology: str | None = None
    suppressor: Suppressor | None = None
    results: list[BatchResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tmp_path.mkdir(parents=True, exist_ok=True)
        db = self.tmp_path / "alerter.db"
        if migrated_template is not None:
            shutil.copyfile(migrated_template, db)
        self.store = IncidentStore(f"sqlite:///{db}", migrate=migrated_template is None)
        self.pipeline = self.restart()

    def restart(self) -> Pipeline:
        """A new pipeline on the same store (what a process restart does)."""
        self.pipeline = Pipeline(
            self.store,
            policy_from(self.correlation, self.tmp_path),
            topology_from(self.topology, self.tmp_path),
            suppressor=self.suppressor,
            start=T0,
        )
        return self.pipeline

    def evaluate(self, t: float, events: Iterable[Event]) -> BatchResult:
        """One evaluation tick at ``t``: the events get time ``t``."""
        result = self.pipeline.process([e.with_(time=t) for e in events], t)
        self.results.append(result)
        return result

    def every(
        self, step: float, start: float, end: float, events: Callable[[float], Iterable[Event]]
    ) -> None:
        """Evaluate ``events(t)`` at start, start + step, ... while t < end."""
        t = start
        while t < end:
            self.evaluate(t, events(t))
            t += step

    @property
    def decisions(self) -> list[PagingDecision]:
        return [d for r in self.results for d in r.decisions]

    @property
    def pages(self) -> list[PagingDecision]:
        return [d for r in self.results for d in r.pages]

    @property
    def suppressions(self) -> list[AlertSuppression]:
        return [s for r in self.results for s in r.suppressions]

    def incidents(self) -> list[IncidentRecord]:
        """Every incident, open or resolved, oldest first."""
        with self.store.transaction() as tx:
            keys = tx.session.exec(select(Incident.key).order_by(col(Incident.id))).all()
            records = [tx.incident(k) for k in keys]
        return [r for r in records if r is not None]

    def stored_suppressions(self) -> list[tuple[str, str]]:
        """``(reason, detail)`` of every stored suppression, in order."""
        with self.store.transaction() as tx:
            rows = tx.session.exec(select(Suppression).order_by(col(Suppression.id))).all()
            return [(r.reason, r.detail) for r in rows]


async def run_rules(
    world: World, source: MetricSource, start: float, end: float, *, step: float = 30.0, batched: bool = False
) -> None:
    """Evaluate the shipped rules on ``source`` from ``start`` to ``end`` on virtual time.

    Live mode (default): the pipeline is the engine's event sink and is flushed after each step,
    as the app does. ``batched``: the events of each step are collected and handed to
    ``Pipeline.process`` (replay tools). Both must decide the same.
    """
    clock = FakeClock(start)
    collected: list[Event] = []

    def sink(event: Event) -> None:
        collected.append(event) if batched else world.pipeline(event)

    engine = RuleEngine(source, sink, clock)
    engine.apply(load_rules([RULES]).rules)
    scheduler = VirtualScheduler(engine, clock, Timing(max_jitter=0))
    t = start
    while t < end:
        t += step
        await scheduler.run_until(t)
        if batched:
            world.results.append(world.pipeline.process(collected, t))
            collected.clear()
        else:
            world.results.append(world.pipeline.flush(t))
