"""One tick of the engine after evaluation: events -> correlation -> incidents -> paging decisions,
applied in ONE store transaction per batch.

Place in the flow: evaluate -> **pipeline** (streams/correlation -> incidents store -> paging
decisions) -> route/notify, which plug in through ``deliver(tx, result)``: it runs inside the same
transaction, so an incident change and the outbox rows it causes commit together or not at all.

Live mode and replay run this same code: the evaluation engine hands events to the pipeline (it
is an ``EventSink``) and whoever drives the engine calls :meth:`Pipeline.flush` after each run;
or a caller hands a whole batch to :meth:`Pipeline.process`. Stream time (storm windows) is the
batch time ``now``, never the wall clock, so a replay decides exactly what live mode decided.

>>> # store = IncidentStore("sqlite:///alerter.db")
>>> # pipeline = Pipeline(store, policy, topology, suppressor=maintenance.reason)
>>> # result = pipeline.process(events, now=clock.now())
>>> # [d for d in result.decisions if d.pages]   # what goes to the on-call person
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from alerter.clock import FakeClock
from alerter.config.correlation import CorrelationPolicy
from alerter.config.topology import Topology
from alerter.incidents.correlate import CorrelationGraph, Routed, Suppressor
from alerter.incidents.grouping import Group, first_match, grouping_name
from alerter.incidents.lifecycle import Decision, LifecyclePolicy, Transition
from alerter.incidents.paging import PagingPolicy
from alerter.incidents.records import AlertObservation, Applied
from alerter.incidents.store import IncidentStore
from alerter.incidents.suppression import (
    PAGING_TRANSITIONS,
    AlertSuppression,
    Page,
    PagingDecision,
    Suppressed,
)
from alerter.incidents.titles import Member, storm_title, title
from alerter.incidents.topology import CompiledTopology
from alerter.incidents.unit import StoreTransaction
from alerter.model import Event, Severity
from alerter.streams import Scheduler, Stream, StreamContext

log = logging.getLogger(__name__)

_SEVERITY = {s.value: s for s in Severity}

DEDUP_STATE = "correlation:dedup"
"""The ``rule`` under which dedup/flapping state is saved with the per-series states."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What one batch did: every store change, the paging decisions and the alert suppressions."""

    at: float
    applied: tuple[Applied, ...]
    decisions: tuple[PagingDecision, ...]
    suppressions: tuple[AlertSuppression, ...]

    @property
    def pages(self) -> tuple[PagingDecision, ...]:
        """The decisions that page a person."""
        return tuple(d for d in self.decisions if d.pages)


Deliver = Callable[[StoreTransaction, BatchResult], None]
"""The later stages' hook (route, outbox): called inside the batch's transaction."""


class Pipeline:
    """Correlation + incident store + paging policy, one transaction per batch.

    ``topology``: the loaded topology (or None). ``suppressor``: the maintenance hook.
    ``extra``: Python streams that see every event. ``deliver``: see :data:`Deliver`.
    On construction the correlation state is rebuilt from the store's open incidents, so a
    restart neither reopens nor re-pages anything.
    """

    def __init__(
        self,
        store: IncidentStore,
        policy: CorrelationPolicy,
        topology: Topology | None = None,
        *,
        suppressor: Suppressor | None = None,
        extra: Sequence[Stream] = (),
        deliver: Deliver | None = None,
        start: float = 0.0,
    ) -> None:
        self.store = store
        self.policy = policy
        self.topology = CompiledTopology(topology)
        self.lifecycle = LifecyclePolicy(policy.lifecycle.resolve_delay, policy.lifecycle.reopen_window)
        self.paging = PagingPolicy.compile(policy.paging)
        self._suppressor = suppressor
        self._extra = tuple(extra)
        self._deliver = deliver
        self._time = FakeClock(start)
        self._paged: set[str] = set()
        self._root_causes: dict[str, str] = {}
        self.rebuild()

    def _new_graph(self) -> CorrelationGraph:
        ctx = StreamContext(Scheduler(self._time))
        self._scheduler: Scheduler = ctx.scheduler
        return CorrelationGraph(
            self.policy, self.topology, ctx, suppressor=self._suppressor, extra=self._extra
        )

    def rebuild(self) -> None:
        """Rebuild the correlation state from the store (after a restart or a failed batch)."""
        self.graph = self._new_graph()
        restart = self.store.restart_state()
        self.graph.state.rebuild(restart.open_incidents, self.topology)
        self._paged = {g.incident_key for g in self.graph.state.groups.values() if g.paged and g.incident_key}
        self._root_causes = {r.key: r.root_cause for r in restart.open_incidents if r.root_cause}
        for record in restart.open_incidents:
            for alert in record.alerts:
                if alert.active:
                    self.graph.restore_series(alert.fingerprint, alert.state.value)
            if record.flapping:
                group = self.graph.state.groups[record.incident.group_key]
                group.flapping |= {a.fingerprint for a in record.alerts if a.active}
        self.graph.restore_series_states(restart.series_states.get(DEDUP_STATE, {}))
        self.graph.take_series_states()  # restored, not moved

    # -- input ---------------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        """An ``EventSink``: correlate one event now; :meth:`flush` stores what it decided."""
        if event.time is not None:
            self._advance(event.time)
        self.graph(event)

    def process(self, events: Iterable[Event], now: float) -> BatchResult:
        """Correlate ``events`` (all evaluated at or before ``now``) and apply them; see :meth:`flush`."""
        self._advance(now)
        for event in events:
            self.graph(event)
        return self.flush(now)

    def flush(self, now: float) -> BatchResult:
        """Apply everything correlated since the last flush, plus auto-resolves due at ``now``,
        in one transaction (retried on a lost race). On any other failure the correlation state
        is rebuilt from the store before the error propagates, so nothing is half-remembered.
        """
        self._advance(now)
        routed, suppressed = self.graph.drain()
        moved = self.graph.take_series_states()
        try:
            result, applied = self.store.run(lambda tx: self._apply(tx, routed, suppressed, moved, now))
        except Exception:
            log.exception("pipeline: batch at %s failed; rebuilding correlation state from the store", now)
            self.rebuild()
            raise
        self._reconcile(applied, result)
        return result

    def _advance(self, t: float) -> None:
        if t > self._time.now():
            self._scheduler.run_until(t)
            self._time.set(t)

    # -- inside the transaction (no mutation of self: a lost race re-runs it) -----------------

    def _apply(
        self,
        tx: StoreTransaction,
        routed: list[Routed],
        suppressed: list[AlertSuppression],
        moved: tuple[dict[str, dict[str, Any]], list[str]],
        now: float,
    ) -> tuple[BatchResult, list[tuple[Routed | None, Applied]]]:
        batch = _Batch(now)
        save, forget = moved
        tx.save_series_states(DEDUP_STATE, save, now)
        if forget:
            tx.delete_series_states(DEDUP_STATE, forget)
        for s in suppressed:
            tx.record_suppression(s.reason, now, f"{s.rule} {s.fingerprint}: {s.detail}")
        # a few queries for the whole batch instead of several per alert
        tx.prefetch(
            [r.fingerprint for r in routed if r.update.refresh],
            [r.group_key for r in routed if r.update.refresh],
            [(r.fingerprint, r.group_key) for r in routed if not r.update.refresh],
        )
        for r in routed:
            applied = tx.observe(self._observation(r, now), self.lifecycle)
            batch.applied.append((r, applied))
            if applied.decision is not None and applied.incident_id is not None:
                self._annotate(tx, batch, r, applied.incident_id, applied.decision)
        for applied in tx.tick(now, self.lifecycle):
            batch.applied.append((None, applied))
            if applied.decision is not None and applied.incident_id is not None:
                batch.latest[applied.decision.incident.key] = (applied.incident_id, applied.decision)
        titles = self._retitle(tx, batch, now)
        decisions = tuple(
            replace(d, outcome=Page(d.outcome.severity, titles.get(d.incident_key, d.outcome.title)))
            if isinstance(d.outcome, Page)
            else d
            for d in batch.decisions
        )
        result = BatchResult(
            now, tuple(a for _, a in batch.applied), decisions, tuple(suppressed) + tuple(batch.absorbed)
        )
        if self._deliver is not None:
            self._deliver(tx, result)
        return result, batch.applied

    def _annotate(
        self, tx: StoreTransaction, batch: _Batch, r: Routed, incident_id: int, d: Decision
    ) -> None:
        inc = d.incident
        batch.latest[inc.key] = (incident_id, d)
        known = batch.root_causes.get(inc.key, self._root_causes.get(inc.key))
        if r.root_cause is not None and r.root_cause != known and inc.is_open:
            tx.annotate(inc.key, batch.now, root_cause=r.root_cause)
            batch.root_causes[inc.key] = r.root_cause
        group = self.graph.state.groups.get(inc.group_key)
        if r.update.flap_changed and inc.is_open:
            tx.annotate(inc.key, batch.now, flapping=bool(group and group.flapping) or r.update.flapping)
        if r.absorbed is not None and r.update.firing and not r.update.refresh:
            tx.record_suppression(r.absorbed, batch.now, r.detail, fingerprint=r.fingerprint)
            batch.absorbed.append(
                AlertSuppression(r.fingerprint, r.labels.get("rule", ""), r.absorbed, batch.now, r.detail)
            )
        for transition in d.transitions:
            if transition in PAGING_TRANSITIONS:
                self._decide(tx, batch, r, incident_id, d, transition, group)

    def _decide(
        self,
        tx: StoreTransaction,
        batch: _Batch,
        r: Routed,
        incident_id: int,
        d: Decision,
        transition: Transition,
        group: Group | None,
    ) -> None:
        inc = d.incident
        paged = inc.key in batch.paged or inc.key in self._paged
        flapping = r.update.flapping or bool(group and group.flapping)
        outcome = self.paging.decide(
            transition, r.labels, inc.severity, inc.title, flapping=flapping, paged=paged
        )
        if outcome is None or (paged and isinstance(outcome, Page)):
            return
        if isinstance(outcome, Page):
            batch.paged.add(inc.key)
            detail = f"{transition.value}: {inc.severity.value}"
            tx.clear_suppression(inc.key)  # e.g. a warning kept back by policy that became critical
        else:
            detail = f"{transition.value}: {_why(outcome, r, inc.severity)}"
            tx.record_suppression(outcome, batch.now, detail, incident=inc.key)
        batch.decisions.append(PagingDecision(incident_id, inc.key, transition, batch.now, outcome, detail))

    def _retitle(self, tx: StoreTransaction, batch: _Batch, now: float) -> dict[str, str]:
        titles: dict[str, str] = {}
        for key, (_id, d) in batch.latest.items():
            if not d.incident.is_open:
                continue
            new = self._title(d, batch.root_causes.get(key, self._root_causes.get(key)))
            titles[key] = new
            if new != d.incident.title:
                tx.apply(Decision(replace(d.incident, title=new), d.alerts, (), now))
        return titles

    def _title(self, d: Decision, root_cause: str | None) -> str:
        members = [Member(a.rule, a.labels) for a in d.alerts]
        key = d.incident.group_key
        if key.startswith("storm:"):
            return storm_title(members, dict(p.split("=", 1) for p in key[6:].split(",") if "=" in p))
        # The grouping rule most members fall under names the incident (a cause that joined, or
        # whose own incident the symptoms joined, is named by root_cause instead).
        by_rule: dict[str, list[Member]] = {}
        for m in members:
            rule = first_match(self.graph.grouping, m.labels)
            if rule is not None:
                by_rule.setdefault(rule.name, []).append(m)
        if not by_rule:
            return title(members, None, root_cause)
        preferred = grouping_name(key)
        name = max(by_rule, key=lambda n: (len(by_rule[n]), n == preferred))
        rule = next(g for g in self.graph.grouping if g.name == name)
        return title(by_rule[name], rule.title, root_cause)

    def _observation(self, r: Routed, now: float) -> AlertObservation:
        event = r.update.event
        rule = r.labels.get("rule", "")
        group = self.graph.state.groups.get(r.group_key)
        root = group.root_cause if group is not None else r.root_cause
        grouping = next((g for g in self.graph.grouping if g.name == grouping_name(r.group_key)), None)
        return AlertObservation(
            fingerprint=r.fingerprint,
            rule=rule,
            state=_SEVERITY.get(event.state or "", Severity.CRITICAL),
            at=now,
            group_key=r.group_key,
            title=title([Member(rule, r.labels)], None if grouping is None else grouping.title, root),
            host=event.host,
            service=event.service,
            labels=r.labels,
            value=None if event.metric is None else float(event.metric),
        )

    # -- after the commit ------------------------------------------------------------------------

    def _reconcile(self, applied: list[tuple[Routed | None, Applied]], result: BatchResult) -> None:
        state = self.graph.state
        for r, a in applied:
            d = a.decision
            if d is None:
                continue
            inc = d.incident
            if not inc.is_open:
                state.forget(inc.group_key)
                self._paged.discard(inc.key)
                self._root_causes.pop(inc.key, None)
                continue
            if r is not None and r.update.firing:
                # the store has the last word on membership (its current incident wins), also
                # when an earlier decision of this batch resolved the group it was routed to
                rule = r.labels.get("rule", "")
                state.add_member(inc.group_key, r.fingerprint, r.labels, rule, self.topology, inc.opened_at)
                ghost = state.groups.get(r.group_key)
                if r.group_key != inc.group_key and ghost is not None and not ghost.members:
                    if ghost.incident_key is None:
                        state.forget(r.group_key)
            group = state.group(inc.group_key, inc.opened_at)
            if group.incident_key != inc.key:
                group.incident_key, group.opened_at = inc.key, inc.opened_at
        self._paged |= {d.incident_key for d in result.decisions if d.pages}
        paged = {p.incident_key for p in result.pages}
        for g in state.groups.values():
            if g.incident_key in paged:
                g.paged = True
        for key, (_id, latest) in _latest(applied).items():
            root = state.groups.get(latest.incident.group_key)
            if root is not None and root.root_cause is not None and latest.incident.is_open:
                self._root_causes.setdefault(key, root.root_cause)


@dataclass(slots=True)
class _Batch:
    """Working memory of one transaction (thrown away if it is retried)."""

    now: float
    applied: list[tuple[Routed | None, Applied]]
    latest: dict[str, tuple[int, Decision]]
    decisions: list[PagingDecision]
    absorbed: list[AlertSuppression]
    paged: set[str]
    root_causes: dict[str, str]

    def __init__(self, now: float) -> None:
        self.now = now
        self.applied, self.latest, self.decisions, self.absorbed = [], {}, [], []
        self.paged, self.root_causes = set(), {}


def _latest(applied: list[tuple[Routed | None, Applied]]) -> dict[str, tuple[int, Decision]]:
    out: dict[str, tuple[int, Decision]] = {}
    for _r, a in applied:
        if a.decision is not None and a.incident_id is not None:
            out[a.decision.incident.key] = (a.incident_id, a.decision)
    return out


def _why(reason: Suppressed, r: Routed, severity: Severity) -> str:
    if reason is Suppressed.POLICY:
        return f"policy: {r.labels.get('env', '?')} {severity.value} does not page"
    if reason is Suppressed.FLAPPING:
        return f"flapping: {r.labels.get('rule', '')} on {r.labels.get('host', '?')}"
    return reason.value
