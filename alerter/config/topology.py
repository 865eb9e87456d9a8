"""The topology schema (``rules/topology.yaml``), strict: what depends on what, and what causes what.

Place in the flow: config -> :mod:`alerter.incidents.topology` (enrichment, causal and adjacency
lookups) -> correlation. Three sections::

    dependencies:            # labels an alert gets from what it runs on or uses (upstream entities)
      - name: apps-use-sessions-redis
        match: {env: prod, app: [checkout, cart]}
        add: {redis_cluster: sessions}
      - name: host-racks            # compact form for big maps: label value -> upstream entity
        label: host
        add: rack
        values: {r12: [runner-prod-01, runner-prod-02]}
    adjacency:               # hosts whose symptoms belong together (a pair, a switch's hosts)
      - name: mysql-pair
        hosts: [mysql-prod-01, mysql-prod-02]
    causes:                  # alert kinds that cause others through an upstream entity
      - name: redis-memory-breaks-apps
        cause: {rule: redis_memory_high}
        effect: {rule: app_health_check_failing}
        via: {redis_cluster: cluster, env: env}  # effect label -> cause label, all equal
        root_cause: "redis cluster {{ labels.cluster }} out of memory"

An effect alert whose ``via`` labels equal those of a firing cause alert joins the cause's open
incident (and the other way round), and the incident names its root cause.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from alerter.config.correlation import Selector, check_selector, check_template, describe_item
from alerter.config.rules import LABEL_NAME_PATTERN, StrictModel
from alerter.config.yamlsource import load_yaml, validate
from alerter.errors import Problem


def _label(name: str) -> str:
    if not LABEL_NAME_PATTERN.match(name):
        raise ValueError(f"{name!r} is not a label name (letters, digits, _)")
    return name


class Dependency(StrictModel):
    """Either ``match`` + ``add: {label: value}``, or ``label`` + ``add: label`` + ``values`` map."""

    name: str
    match: Selector | None = None
    label: str | None = None
    add: dict[str, str] | str
    values: dict[str, list[str]] | None = None

    _selector = field_validator("match")(lambda v: None if v is None else check_selector(v))

    @model_validator(mode="after")
    def _one_form(self) -> Dependency:
        if self.label is not None or self.values is not None:
            if self.label is None or self.values is None or not isinstance(self.add, str):
                raise ValueError("the map form needs label, add (one label name) and values")
            if self.match is not None:
                raise ValueError("use either match (selector form) or label/values (map form), not both")
            _label(self.label)
            _label(self.add)
            return self
        if self.match is None or not isinstance(self.add, dict):
            raise ValueError("the selector form needs match and add: {label: value}")
        for key in self.add:
            _label(key)
        return self


class Adjacency(StrictModel):
    """Hosts adjacent to each other: a symptom on one joins an open incident on another."""

    name: str
    hosts: list[str] = Field(min_length=2)
    match: Selector = Field(default_factory=dict)
    """Which alerts adjacency applies to (default: all)."""

    _selector = field_validator("match")(check_selector)


class CausalLink(StrictModel):
    """``cause`` alerts cause ``effect`` alerts when the effect's ``via`` labels equal the cause's.

    (Not ``on``: YAML 1.1 reads a bare ``on`` key as ``true``.)
    """

    name: str
    cause: Selector
    effect: Selector
    via: dict[str, str] = Field(min_length=1)
    root_cause: str | None = None
    """Template over the cause alert's ``labels`` and ``rule``; default ``<rule> on <on values>``."""

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        if isinstance(data, dict) and True in data:
            raise ValueError('YAML reads the key "on" as true: write "via:" for the join labels')
        return data

    _cause = field_validator("cause")(check_selector)
    _effect = field_validator("effect")(check_selector)
    _template = field_validator("root_cause")(check_template)

    @field_validator("via")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for effect_label, cause_label in value.items():
            _label(effect_label)
            _label(cause_label)
        return value


class Topology(StrictModel):
    """The whole ``topology.yaml``; ``{}`` is valid (no topology)."""

    dependencies: list[Dependency] = Field(default_factory=list)
    adjacency: list[Adjacency] = Field(default_factory=list)
    causes: list[CausalLink] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> Topology:
        for section in ("dependencies", "adjacency", "causes"):
            names = [item.name for item in getattr(self, section)]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{section}: name {dupes[0]!r} is used twice")
        return self


def load_topology(path: Path | str) -> tuple[Topology | None, list[Problem]]:
    """Load and validate ``topology.yaml``; problems are ``path:line:col`` located, sorted."""
    positioned, problems = load_yaml(path)
    if positioned is None:
        return None, problems
    data = positioned.data if positioned.data is not None else {}
    positioned = type(positioned)(positioned.path, data, positioned.positions)
    model, more = validate(Topology, positioned, describe_item)
    problems = sorted([*problems, *more])
    return (None if problems else model), problems
