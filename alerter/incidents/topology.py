"""The compiled topology: enrichment with upstream entities, causal links and host adjacency.

Place in the flow: ``rules/topology.yaml`` (:mod:`alerter.config.topology`) -> this module ->
:mod:`.correlate`, which calls it once per alert transition:

* :meth:`CompiledTopology.enrich` adds the labels of what an alert runs on or uses
  (``host -> rack``, ``app -> redis_cluster``); labels the alert already has win;
* :class:`Link` tells whether an alert is a cause or an effect of a causal link, and the join
  key (the ``via`` label values) under which cause and effect meet;
* :meth:`CompiledTopology.adjacent` lists the hosts adjacent to an alert's host.

>>> from alerter.config.topology import Topology
>>> topo = CompiledTopology(Topology.model_validate({"dependencies": [
...     {"name": "racks", "label": "host", "add": "rack", "values": {"r1": ["h1", "h2"]}}]}))
>>> topo.enrich({"host": "h2", "env": "prod"})
{'host': 'h2', 'env': 'prod', 'rack': 'r1'}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from alerter.config.templates import Template, compile_template, render_safely
from alerter.config.topology import CausalLink, Dependency, Topology
from alerter.incidents.selectors import LabelPredicate, compile_selector

JoinKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """One causal link, compiled. ``index`` is its position in the file (stable within a load)."""

    index: int
    name: str
    is_cause: LabelPredicate
    is_effect: LabelPredicate
    effect_labels: tuple[str, ...]
    cause_labels: tuple[str, ...]
    root_cause: Template | None

    def effect_key(self, labels: Mapping[str, str]) -> JoinKey | None:
        """The join key of an effect alert, or None if it lacks a ``via`` label."""
        return _key(labels, self.effect_labels)

    def cause_key(self, labels: Mapping[str, str]) -> JoinKey | None:
        """The join key of a cause alert, or None if it lacks a ``via`` label."""
        return _key(labels, self.cause_labels)

    def describe(self, rule: str, labels: Mapping[str, str]) -> str:
        """The root-cause text for a cause alert (the link's template, or ``rule on k=v, ...``)."""
        if self.root_cause is not None:
            return render_safely(self.root_cause, {"labels": dict(labels), "rule": rule})
        where = ", ".join(f"{c}={labels.get(c, '')}" for c in self.cause_labels)
        return f"{rule} on {where}"


def _key(labels: Mapping[str, str], names: tuple[str, ...]) -> JoinKey | None:
    values = tuple(labels.get(n) for n in names)
    return None if None in values else values  # type: ignore[return-value]


class CompiledTopology:
    """A :class:`~alerter.config.topology.Topology` ready for lookups (built once per load)."""

    def __init__(self, topology: Topology | None = None) -> None:
        topology = topology if topology is not None else Topology()
        self._maps: list[tuple[str, str, dict[str, str]]] = []
        self._selectors: list[tuple[LabelPredicate, dict[str, str]]] = []
        for dep in topology.dependencies:
            self._add_dependency(dep)
        self.links: tuple[Link, ...] = tuple(_link(i, c) for i, c in enumerate(topology.causes))
        self._adjacent: dict[str, list[tuple[LabelPredicate, tuple[str, ...]]]] = {}
        for adj in topology.adjacency:
            matches = compile_selector(adj.match)
            for host in adj.hosts:
                others = tuple(h for h in adj.hosts if h != host)
                self._adjacent.setdefault(host, []).append((matches, others))

    def _add_dependency(self, dep: Dependency) -> None:
        if dep.values is not None and dep.label is not None and isinstance(dep.add, str):
            table = {member: upstream for upstream, members in dep.values.items() for member in members}
            self._maps.append((dep.label, dep.add, table))
        elif dep.match is not None and isinstance(dep.add, dict):
            self._selectors.append((compile_selector(dep.match), dict(dep.add)))

    def enrich(self, labels: Mapping[str, str]) -> dict[str, str]:
        """``labels`` plus the upstream labels the topology gives them (a new dict)."""
        out = dict(labels)
        for label, add, table in self._maps:
            value = out.get(label)
            if value is not None and add not in out and value in table:
                out[add] = table[value]
        for matches, extra in self._selectors:
            if matches(out):
                for key, value in extra.items():
                    out.setdefault(key, value)
        return out

    def adjacent(self, labels: Mapping[str, str]) -> tuple[str, ...]:
        """Hosts adjacent to the alert's ``host`` (for adjacency entries whose ``match`` fits)."""
        host = labels.get("host")
        if host is None or host not in self._adjacent:
            return ()
        found: list[str] = []
        for matches, others in self._adjacent[host]:
            if matches(labels):
                found.extend(h for h in others if h not in found)
        return tuple(found)


def _link(index: int, link: CausalLink) -> Link:
    return Link(
        index=index,
        name=link.name,
        is_cause=compile_selector(link.cause),
        is_effect=compile_selector(link.effect),
        effect_labels=tuple(link.via),
        cause_labels=tuple(link.via.values()),
        root_cause=None if link.root_cause is None else compile_template(link.root_cause),
    )
