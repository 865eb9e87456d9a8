"""The correlation policy compiled onto the stream library: events in, routed alert transitions out.

Place in the flow: evaluate -> **correlate** -> store (via :mod:`alerter.pipeline`). The graph::

    events -> (has a fingerprint?) -> by(fingerprint, SeriesTracker)      dedup + flapping (hot path)
           -> Router: topology enrichment, maintenance hook, causal/adjacency/grouping
           -> by(storm key, PartTimeSimple)                                 storm guard (new groups only)
           -> Collector: registers membership, queues a Routed for the store

Only state changes (and a periodic refresh of firing alerts) leave :class:`SeriesTracker`: a
steady ok series costs one dict lookup and one comparison per evaluation. Everything after it
runs on alert transitions only. Routing precedence for a firing alert that is in no open incident:

1. the maintenance ``suppressor`` (a named suppression; no incident);
2. a causal link: an effect joins the open incident of a matching cause (``Suppressed.DEPENDENCY``),
   a cause joins the open incident of its effects and names the root cause;
3. adjacency: the open incident of an adjacent host;
4. the first matching grouping rule (within its window);
5. an incident of its own.

An alert about to open a new incident (steps 4-5) passes the storm guard: past ``storm.max_new``
of those per window and storm key, the rest roll into one storm incident (Riemann ``rollup`` windows: fixed, anchored at construction, on the
stream scheduler). Advanced users add Python streams: :meth:`CorrelationGraph.__init__` takes
``extra`` streams that see every event too (e.g. an :class:`~alerter.streams.Index`).

>>> # graph = CorrelationGraph(policy, CompiledTopology(topology), ctx)
>>> # for e in events: graph(e)
>>> # routed = graph.drain()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from alerter.config.correlation import CorrelationPolicy
from alerter.incidents.flapping import FlapSpec
from alerter.incidents.grouping import CompiledGrouping, CorrelationState, compile_grouping, first_match
from alerter.incidents.suppression import AlertSuppression, Suppressed
from alerter.incidents.topology import CompiledTopology
from alerter.model import ATTR_FINGERPRINT, ATTR_REASON, ATTR_RUNBOOK, ATTR_SUMMARY, Event, Severity
from alerter.streams import By, Fanout, PartTimeSimple, Stream, StreamContext, by_builder

OK = Severity.OK.value
NON_LABELS = frozenset({ATTR_FINGERPRINT, ATTR_SUMMARY, ATTR_RUNBOOK, ATTR_REASON, "threshold"})
"""Event attributes that describe one evaluation, not the alert: left out of its labels."""

Suppressor = Callable[[Mapping[str, str], float], str | None]
"""The maintenance hook: ``(alert labels incl. host and rule, now) -> reason text | None``."""


@dataclass(frozen=True, slots=True)
class AlertUpdate:
    """One alert transition leaving the dedup stage.

    ``previous`` is the state last sent on (``"ok"`` for a new series); ``refresh`` marks a
    periodic re-send of an unchanged firing alert; ``flap_changed`` marks that the series just
    started or stopped flapping.
    """

    event: Event
    fingerprint: str
    previous: str
    flapping: bool
    flap_changed: bool = False
    refresh: bool = False

    @property
    def firing(self) -> bool:
        return self.event.state != OK


@dataclass(frozen=True, slots=True)
class Routed:
    """An alert transition routed to a group, ready for the store.

    ``absorbed``: the alert joined an incident it would not have opened (dependency, storm).
    ``root_cause``: the group's root cause became known with this alert.
    """

    update: AlertUpdate
    labels: Mapping[str, str]
    group_key: str
    absorbed: Suppressed | None = None
    root_cause: str | None = None
    detail: str = ""

    @property
    def fingerprint(self) -> str:
        return self.update.fingerprint


class _TrackerConfig:
    """What every :class:`SeriesTracker` shares (one object, not one per series)."""

    __slots__ = ("dirty", "high", "low", "mask", "out", "refresh", "window")

    def __init__(self, spec: FlapSpec, refresh: float, out: Callable[[AlertUpdate], object]) -> None:
        self.mask, self.window, self.low, self.high = spec.mask, spec.window, spec.low, spec.high
        self.refresh = refresh
        self.out = out
        self.dirty: dict[str, SeriesTracker] = {}
        """Trackers whose state moved since the pipeline last saved them (never the hot path)."""


class SeriesTracker:
    """Dedup + flap detection for one fingerprint (a fork of ``by(fingerprint)``).

    Forwards a state change, a refresh of a firing state every ``refresh`` seconds, and a change
    of the flapping flag. While flapping, a change to ok is held back (the incident stays open
    and shows as flapping); the held state is sent when flapping stops.
    State (plain data, :meth:`snapshot`): last state, change bits, flapping, state last sent, when.
    """

    __slots__ = ("_cfg", "bits", "flapping", "last_sent", "prev", "sent")

    def __init__(self, cfg: _TrackerConfig, state: str = OK) -> None:
        self._cfg = cfg
        self.prev = state
        self.sent = state
        self.bits = 0
        self.flapping = False
        self.last_sent = 0.0

    def __call__(self, event: Event) -> None:
        state = event.state
        if state == self.prev:
            if not self.bits:
                if state != OK and (event.time or 0.0) - self.last_sent >= self._cfg.refresh:
                    self._send(event, refresh=True)
                return  # the hot path: nothing changed, nothing recently changed
            self.bits = (self.bits << 1) & self._cfg.mask
        else:
            self.bits = ((self.bits << 1) | 1) & self._cfg.mask
            self.prev = state  # type: ignore[assignment]
        self._after_change(event, state)  # type: ignore[arg-type]

    def _after_change(self, event: Event, state: str) -> None:
        cfg = self._cfg
        ratio = self.bits.bit_count() / cfg.window
        was = self.flapping
        self.flapping = ratio >= cfg.low if was else ratio >= cfg.high
        flap_changed = was != self.flapping
        if self.bits & 1 or flap_changed or not self.bits:
            # worth saving: a state change, a flapping change, or the window emptied (the
            # window's mere shifting is not saved: after a restart it resumes from the last change)
            cfg.dirty[event.attributes.get(ATTR_FINGERPRINT, "")] = self
        if self.flapping and state == OK and not flap_changed:
            return  # hold the ok: a flapping series keeps its incident open
        if state != self.sent or flap_changed:
            if self.flapping and state == OK:
                event = event.with_(state=self.sent)  # announce flapping without clearing
            self._send(event, flap_changed=flap_changed)
        elif state != OK and (event.time or 0.0) - self.last_sent >= cfg.refresh:
            self._send(event, refresh=True)

    def _send(self, event: Event, *, refresh: bool = False, flap_changed: bool = False) -> None:
        previous = self.sent
        self.sent = event.state or OK
        self.last_sent = event.time or 0.0
        fp = event.attributes.get(ATTR_FINGERPRINT, "")
        self._cfg.out(AlertUpdate(event, fp, previous, self.flapping, flap_changed, refresh))

    def snapshot(self) -> dict[str, Any]:
        return {
            "prev": self.prev,
            "sent": self.sent,
            "bits": self.bits,
            "flapping": self.flapping,
            "last_sent": self.last_sent,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        self.prev, self.sent = state["prev"], state["sent"]
        self.bits, self.flapping, self.last_sent = state["bits"], state["flapping"], state["last_sent"]

    @property
    def steady_ok(self) -> bool:
        """The state every new series starts in: nothing to remember."""
        return not self.bits and not self.flapping and self.prev == OK and self.sent == OK


def alert_labels(event: Event) -> dict[str, str]:
    """The alert's labels: the event's attributes minus per-evaluation ones, plus its host."""
    labels = {k: v for k, v in event.attributes.items() if k not in NON_LABELS}
    if event.host is not None:
        labels.setdefault("host", event.host)
    return labels


class CorrelationGraph:
    """The compiled policy: call it with each event; :meth:`drain` the routed transitions.

    ``ctx``: the stream context whose scheduler drives storm windows (the pipeline advances it).
    ``suppressor``: the maintenance hook. ``extra``: Python streams that also get every event.
    """

    def __init__(
        self,
        policy: CorrelationPolicy,
        topology: CompiledTopology,
        ctx: StreamContext,
        *,
        suppressor: Suppressor | None = None,
        extra: Sequence[Stream] = (),
    ) -> None:
        self.policy = policy
        self.topology = topology
        self.state = CorrelationState()
        self.grouping: tuple[CompiledGrouping, ...] = compile_grouping(policy.grouping)
        self._ctx = ctx
        self._suppressor = suppressor
        self._pending: list[Routed] = []
        self.suppressions: list[AlertSuppression] = []
        spec = FlapSpec(policy.flapping.window, policy.flapping.low, policy.flapping.high)
        self._cfg = _TrackerConfig(spec, policy.dedup.refresh, self._route)
        self.trackers: By = by_builder(
            ATTR_FINGERPRINT, lambda _fp: SeriesTracker(self._cfg), on_error=ctx.on_error
        )
        self._storm: Stream | None = None
        if policy.storm is not None:
            storm = policy.storm

            def storm_key(routed: Any) -> tuple[str, ...]:
                return tuple(routed.labels.get(k, "") for k in storm.by)

            self._storm = by_builder(
                storm_key,
                lambda key: self._storm_window(tuple(storm.by), key, storm.max_new, storm.per),
                on_error=ctx.on_error,
            )
        dedup = self._dedup
        self._input: Stream = Fanout((dedup, *extra), ctx.on_error) if extra else dedup

    # -- the graph ---------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        self._input(event)

    def _dedup(self, event: Event) -> None:
        if ATTR_FINGERPRINT in event.attributes:  # evaluator and engine events have one; foreign ones may not
            self.trackers(event)

    def _route(self, update: AlertUpdate) -> None:
        now = self._ctx.now()
        labels = self.topology.enrich(alert_labels(update.event))
        current = self.state.member_of.get(update.fingerprint)
        if current is not None or not update.firing:
            key = current if current is not None else f"alert:{update.fingerprint}"
            self._collect(Routed(update, labels, key))
            return
        if self._suppressor is not None and (reason := self._suppressor(labels, now)) is not None:
            self.suppressions.append(
                AlertSuppression(
                    update.fingerprint, labels.get("rule", ""), Suppressed.MAINTENANCE, now, reason
                )
            )
            return
        joined = self._join_existing(update, labels, now)
        if joined is not None:
            self._collect(joined)
            return
        routed = self._new_group(update, labels, now)
        if self._storm is not None and routed.group_key not in self.state.groups:
            self._storm(routed)
        else:
            self._collect(routed)

    def _join_existing(self, update: AlertUpdate, labels: dict[str, str], now: float) -> Routed | None:
        index = self.state.index
        for link in self.topology.links:
            if link.is_effect(labels) and (k := link.effect_key(labels)) is not None:
                hit = index.get(("cause", link.index, k))
                if hit is not None:
                    return Routed(
                        update, labels, hit[0], Suppressed.DEPENDENCY, hit[1], f"caused by {hit[1]}"
                    )
            if link.is_cause(labels) and (k := link.cause_key(labels)) is not None:
                hit = index.get(("effect", link.index, k))
                group = None if hit is None else self.state.groups.get(hit[0])
                if hit is not None and group is not None and group.root_cause is None:
                    # the symptoms came first: the cause joins them and names the root cause
                    # (unless another cause already explains them)
                    return Routed(
                        update, labels, hit[0], root_cause=link.describe(labels.get("rule", ""), labels)
                    )
        for host in self.topology.adjacent(labels):
            hit = index.get(("host", -1, (host,)))
            if hit is not None:
                return Routed(update, labels, hit[0], Suppressed.DEPENDENCY, None, f"adjacent to {host}")
        return None

    def _new_group(self, update: AlertUpdate, labels: dict[str, str], now: float) -> Routed:
        rule = first_match(self.grouping, labels)
        if rule is None:
            return Routed(update, labels, f"alert:{update.fingerprint}")
        base = rule.base(labels)
        newest = self.state.newest.get(base)
        if newest is None:
            return Routed(update, labels, base)
        group = self.state.groups[newest]
        if rule.window is None or now - group.opened_at <= rule.window:
            return Routed(update, labels, newest)
        gen = int(newest.partition("#")[2] or 1) + 1
        return Routed(update, labels, f"{base}#{gen}")

    def _storm_window(
        self, by: tuple[str, ...], key: tuple[str, ...], max_new: int, per: float
    ) -> PartTimeSimple:
        """Rollup-style windows counting new groups; a stormy window extends the storm by ``per``
        past its end, so a flood that outlasts one window stays in one storm incident."""
        storm_key = "storm:" + ",".join(f"{k}={v}" for k, v in zip(by, key, strict=True))
        storm_until = [float("-inf")]

        def side(count: int, routed: Any) -> None:
            if count <= max_new and self._ctx.now() >= storm_until[0]:
                self._collect(routed)
            else:
                detail = f"storm: more than {max_new} new alerts in {per:g}s ({storm_key[6:]})"
                self._collect(replace(routed, group_key=storm_key, absorbed=Suppressed.STORM, detail=detail))

        def finish(count: int, _start: float, end: float) -> None:
            if count > max_new:
                storm_until[0] = end + per

        return PartTimeSimple(self._ctx, per, lambda _old: 0, lambda count, _r: count + 1, side, finish)

    def _collect(self, routed: Routed) -> None:
        if routed.update.firing and routed.absorbed is not Suppressed.MAINTENANCE:
            rule = routed.labels.get("rule", "")
            member_of = self.state.add_member(
                routed.group_key, routed.fingerprint, routed.labels, rule, self.topology, self._ctx.now()
            )
            if routed.root_cause is not None:
                member_of.root_cause = routed.root_cause
        group = self.state.groups.get(routed.group_key)
        if group is not None and routed.update.flap_changed:
            (group.flapping.add if routed.update.flapping else group.flapping.discard)(routed.fingerprint)
        self._pending.append(routed)

    # -- the pipeline's side -------------------------------------------------------------------

    def drain(self) -> tuple[list[Routed], list[AlertSuppression]]:
        """The transitions routed since the last drain, and the maintenance suppressions."""
        routed, self._pending = self._pending, []
        suppressed, self.suppressions = self.suppressions, []
        return routed, suppressed

    def take_series_states(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Dedup/flapping state that moved since the last call: ``(to save, to forget)``.

        Saved beside the evaluation states in the store, so a restart resumes flapping windows
        instead of starting them empty; series back to steady ok are forgotten.
        """
        dirty, self._cfg.dirty = self._cfg.dirty, {}
        save = {fp: t.snapshot() for fp, t in dirty.items() if not t.steady_ok}
        return save, [fp for fp, t in dirty.items() if t.steady_ok]

    def restore_series_states(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        """Restore what :meth:`take_series_states` saved (after a restart)."""
        self.trackers.restore([[fp, dict(state)] for fp, state in states.items()])

    def restore_series(self, fingerprint: str, state: str) -> None:
        """After a restart: the series is known to be in ``state`` (no first-state re-send)."""
        self.trackers.restore(
            [
                [
                    fingerprint,
                    {
                        "prev": state,
                        "sent": state,
                        "bits": 0,
                        "flapping": False,
                        "last_sent": self._ctx.now(),
                    },
                ]
            ]
        )

    def live_series(self) -> int:
        return len(self.trackers)
