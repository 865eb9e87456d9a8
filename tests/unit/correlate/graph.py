"""Helpers for the correlation unit tests: evaluator-shaped events and a graph on controlled time."""

from __future__ import annotations

from alerter.config.correlation import CorrelationPolicy
from alerter.config.topology import Topology
from alerter.incidents.correlate import CorrelationGraph, Routed, Suppressor
from alerter.incidents.topology import CompiledTopology
from alerter.model import ATTR_FINGERPRINT, ATTR_RULE, Event, fingerprint
from alerter.streams import Scheduler, StreamContext

T0 = 1000.0


def ev(rule: str, state: str, t: float = T0, /, **labels: str) -> Event:
    """One evaluation of series (rule, labels) at ``t`` (positional, so no label can shadow it)."""
    attrs = {**labels, ATTR_RULE: rule, ATTR_FINGERPRINT: fingerprint(rule, labels)}
    return Event(labels.get("host"), rule, state, None, 1.0, t, 60.0, (), attrs)


def graph(
    policy: dict | None = None, topology: dict | None = None, suppressor: Suppressor | None = None
) -> tuple[CorrelationGraph, Scheduler]:
    ctx = StreamContext(Scheduler.controlled(T0))
    g = CorrelationGraph(
        CorrelationPolicy.model_validate(policy or {}),
        CompiledTopology(Topology.model_validate(topology or {})),
        ctx,
        suppressor=suppressor,
    )
    return g, ctx.scheduler


def feed(g: CorrelationGraph, scheduler: Scheduler, t: float, *events: Event) -> list[Routed]:
    """Advance to ``t``, send ``events`` (timed ``t``), return what was routed."""
    scheduler.advance(t)
    for e in events:
        g(e.with_(time=t))
    routed, _ = g.drain()
    return routed
