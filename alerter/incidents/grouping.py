"""Grouping: which incident a new alert joins, and the correlation state that answers it.

Place in the flow: dedup -> topology enrichment -> **grouping** -> storm guard -> store. The
state is plain data (dicts of small records) describing the *open* incidents the correlation
stage knows about; it is rebuilt from ``IncidentStore.restart_state()`` after a restart
(:meth:`CorrelationState.rebuild`), so nothing opens twice.

Group keys (the store's ``group_key``) are readable and parseable:

* ``group:<rule>:<label>=<value>,...`` for a grouping rule's ``by`` labels (``#<n>`` appended for
  the n-th generation when the rule's ``window`` closed the previous incident to newcomers);
* ``alert:<fingerprint>`` for an alert no grouping rule matches (an incident of its own);
* ``storm:<label>=<value>,...`` for a storm guard's roll-up incident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from alerter.config.correlation import GroupingRule
from alerter.config.templates import Template, compile_template
from alerter.incidents.records import IncidentRecord
from alerter.incidents.selectors import LabelPredicate, compile_selector
from alerter.incidents.topology import CompiledTopology, JoinKey

IndexKey = tuple[str, int, JoinKey]
"""``("cause" | "effect", link index, join key)``; host adjacency uses ``("host", -1, (host,))``."""


@dataclass(frozen=True, slots=True)
class CompiledGrouping:
    """One grouping rule, ready to match."""

    name: str
    matches: LabelPredicate
    by: tuple[str, ...]
    window: float | None
    title: Template | None

    def base(self, labels: Mapping[str, str]) -> str:
        """The group key (first generation) for ``labels``; a missing label counts as empty."""
        return f"group:{self.name}:" + ",".join(f"{k}={labels.get(k, '')}" for k in self.by)


def compile_grouping(rules: Sequence[GroupingRule]) -> tuple[CompiledGrouping, ...]:
    return tuple(
        CompiledGrouping(
            r.name,
            compile_selector(r.match),
            tuple(r.by),
            r.window,
            None if r.title is None else compile_template(r.title),
        )
        for r in rules
    )


def first_match(rules: Sequence[CompiledGrouping], labels: Mapping[str, str]) -> CompiledGrouping | None:
    """The first grouping rule whose ``match`` fits ``labels`` (file order), or None."""
    return next((r for r in rules if r.matches(labels)), None)


def base_of(group_key: str) -> str:
    """``group:x:env=prod#3`` -> ``group:x:env=prod`` (the key without its generation)."""
    return group_key.split("#", 1)[0]


def generation_of(group_key: str) -> int:
    """``...#3`` -> 3; a key without ``#`` is generation 1."""
    _, _, gen = group_key.partition("#")
    return int(gen) if gen.isdigit() else 1


def grouping_name(group_key: str) -> str | None:
    """The grouping rule a ``group:`` key came from, else None."""
    if not group_key.startswith("group:"):
        return None
    return group_key.split(":", 2)[1]


@dataclass(slots=True)
class Group:
    """One open incident as correlation sees it (``incident_key`` once the store confirmed it)."""

    key: str
    opened_at: float
    incident_key: str | None = None
    root_cause: str | None = None
    paged: bool = False
    members: set[str] = field(default_factory=set)
    flapping: set[str] = field(default_factory=set)
    index: list[IndexKey] = field(default_factory=list)


@dataclass(slots=True)
class CorrelationState:
    """Open groups and the lookups routing needs; every field is plain data."""

    groups: dict[str, Group] = field(default_factory=dict)
    newest: dict[str, str] = field(default_factory=dict)
    """base key -> newest open group key of that base."""
    member_of: dict[str, str] = field(default_factory=dict)
    """fingerprint -> group key of its open incident."""
    index: dict[IndexKey, tuple[str, str | None]] = field(default_factory=dict)
    """cause/effect/host index -> (group key, root-cause text of the cause alert)."""

    def group(self, key: str, at: float) -> Group:
        """The open group ``key``, created (opened at ``at``) if unknown."""
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(key, at)
            base = base_of(key)
            current = self.newest.get(base)
            if current is None or generation_of(key) >= generation_of(current):
                self.newest[base] = key
        return group

    def add_member(
        self,
        key: str,
        fingerprint: str,
        labels: Mapping[str, str],
        rule: str,
        topology: CompiledTopology,
        at: float,
    ) -> Group:
        """Record that ``fingerprint`` (with enriched ``labels``) is in group ``key``; index it."""
        previous = self.member_of.get(fingerprint)
        if previous is not None and previous != key and previous in self.groups:
            self.groups[previous].members.discard(fingerprint)
        group = self.group(key, at)
        group.members.add(fingerprint)
        self.member_of[fingerprint] = key
        for entry, text in _index_entries(labels, rule, topology):
            if entry not in self.index:
                self.index[entry] = (key, text)
                group.index.append(entry)
        return group

    def forget(self, key: str) -> None:
        """The group's incident resolved: drop it and everything that pointed at it."""
        group = self.groups.pop(key, None)
        if group is None:
            return
        for fp in group.members:
            if self.member_of.get(fp) == key:
                del self.member_of[fp]
        for entry in group.index:
            if self.index.get(entry, ("",))[0] == key:
                del self.index[entry]
        base = base_of(key)
        if self.newest.get(base) == key:
            del self.newest[base]

    def open_group_of(self, fingerprint: str) -> str | None:
        return self.member_of.get(fingerprint)

    def rebuild(self, incidents: Sequence[IncidentRecord], topology: CompiledTopology) -> None:
        """Rebuild from the store's open incidents (after a restart).

        An open incident that was never suppressed is taken as paged, so a restart never pages
        it again.
        """
        for record in incidents:
            inc = record.incident
            group = self.group(inc.group_key, inc.opened_at)
            group.incident_key = inc.key
            group.root_cause = record.root_cause
            group.paged = record.suppressed is None
            for alert in record.alerts:
                self.add_member(
                    inc.group_key, alert.fingerprint, alert.labels, alert.rule, topology, inc.opened_at
                )


def _index_entries(
    labels: Mapping[str, str], rule: str, topology: CompiledTopology
) -> list[tuple[IndexKey, str | None]]:
    entries: list[tuple[IndexKey, str | None]] = []
    for link in topology.links:
        if link.is_cause(labels) and (ck := link.cause_key(labels)) is not None:
            entries.append((("cause", link.index, ck), link.describe(rule, labels)))
        if link.is_effect(labels) and (ek := link.effect_key(labels)) is not None:
            entries.append((("effect", link.index, ek), None))
    host = labels.get("host")
    if host is not None:
        entries.append((("host", -1, (host,)), None))
    return entries
