"""The correlation policy schema (``rules/correlation.yaml``), strict: an unknown key is an error.

Place in the flow: config -> :mod:`alerter.incidents.correlate` compiles this policy onto the
stream library; :mod:`alerter.pipeline` runs it. The file says how thousands of alerts collapse
into a few incidents and which of those page::

    dedup: {refresh: 5m}                       # re-send a still-firing alert this often
    flapping: {window: 20, low: 0.05, high: 0.2}
    storm: {by: [env], max_new: 20, per: 1m}
    lifecycle: {resolve_delay: 5m, reopen_window: 1h}
    grouping:
      - name: no-data-by-rack
        match: {rule: host_not_reporting}
        by: [env, rack]
        window: 1h
        title: "no data from {{ count }} hosts in rack {{ labels.rack }}"
    paging:
      - match: {env: prod, severity: critical}
        page: true
      - match: {}
        page: false

A *selector* (``match``) maps a label to a value or a list of values (any of them); ``rule`` and
``severity`` are matchable like labels. An empty selector matches everything.

Loading (YAML -> this model with ``path:line:col`` errors) is :func:`load_correlation`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from alerter.config.durations import Duration
from alerter.config.rules import LABEL_NAME_PATTERN, StrictModel
from alerter.config.templates import TemplateError, compile_template
from alerter.config.yamlsource import load_yaml, validate
from alerter.errors import Problem

Selector = dict[str, str | list[str]]
"""``{label: value | [values]}``: every label must have one of its values (AND of ORs)."""


def check_selector(selector: Selector) -> Selector:
    for key, value in selector.items():
        if not LABEL_NAME_PATTERN.match(key):
            raise ValueError(f"{key!r} is not a label name (letters, digits, _)")
        if isinstance(value, list) and not value:
            raise ValueError(f"label {key!r}: an empty list matches nothing; drop the key or list values")
    return selector


def check_template(source: str | None) -> str | None:
    if source is not None:
        try:
            compile_template(source)
        except TemplateError as exc:
            raise ValueError(f"template does not compile: {exc}") from None
    return source


class Dedup(StrictModel):
    """One alert per fingerprint: only state changes go on, plus a refresh of firing alerts."""

    refresh: Duration = 300.0
    """A series that stays non-ok is re-sent this often (keeps ``last_seen`` and value current)."""


class Flapping(StrictModel):
    """Nagios/Kapacitor flap detection: share of state changes over the last ``window`` evaluations.

    A series starts flapping when the share reaches ``high`` and stops when it falls below
    ``low`` (hysteresis, so it does not flap between flapping and not).
    """

    window: int = Field(default=20, ge=2, le=64)
    low: float = Field(default=0.05, ge=0.0, le=1.0)
    high: float = Field(default=0.2, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Flapping:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Storm(StrictModel):
    """Past ``max_new`` new alerts per ``per`` window in one ``by`` group, they roll into one incident."""

    by: list[str] = Field(default_factory=lambda: ["env"])
    max_new: int = Field(default=20, ge=1)
    per: Duration = 60.0


class Lifecycle(StrictModel):
    """Incident timings (see :mod:`alerter.incidents.lifecycle`)."""

    resolve_delay: Duration = 300.0
    reopen_window: Duration = 3600.0


class GroupingRule(StrictModel):
    """Alerts matching ``match`` join one incident per value of their ``by`` labels.

    ``window``: an open incident takes newcomers for this long after it opened; later ones open
    a new incident (None: as long as it is open). ``title``: a template over ``count`` (member
    alerts), ``labels`` (labels every member shares), ``rules`` (their rule names) and
    ``hosts`` (distinct hosts).
    """

    name: str
    match: Selector = Field(default_factory=dict)
    by: list[str] = Field(min_length=1)
    window: Duration | None = None
    title: str | None = None

    _selector = field_validator("match")(check_selector)
    _template = field_validator("title")(check_template)

    @field_validator("by")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        for label in value:
            if not LABEL_NAME_PATTERN.match(label):
                raise ValueError(f"{label!r} is not a label name (letters, digits, _)")
        return value


class PagingRule(StrictModel):
    """The first rule whose ``match`` fits an incident says whether it pages."""

    match: Selector = Field(default_factory=dict)
    page: bool

    _selector = field_validator("match")(check_selector)


class CorrelationPolicy(StrictModel):
    """The whole ``correlation.yaml``. Every section has defaults, so ``{}`` is a valid policy
    (one incident per alert, nothing pages)."""

    dedup: Dedup = Field(default_factory=Dedup)
    flapping: Flapping = Field(default_factory=Flapping)
    storm: Storm | None = Field(default_factory=Storm)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    grouping: list[GroupingRule] = Field(default_factory=list)
    paging: list[PagingRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> CorrelationPolicy:
        seen: set[str] = set()
        for rule in self.grouping:
            if rule.name in seen:
                raise ValueError(f"grouping rule name {rule.name!r} is used twice")
            seen.add(rule.name)
        return self


def describe_item(loc: tuple[str | int, ...], data: Any) -> str:
    """``grouping "apps": `` for an error inside a named list item, so messages say which one."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data, dict):
        items = data.get(loc[0])
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            name = items[loc[1]].get("name")
            return f'{loc[0]} "{name}": ' if name is not None else f"{loc[0]}[{loc[1]}]: "
    return ""


def load_correlation(path: Path | str) -> tuple[CorrelationPolicy | None, list[Problem]]:
    """Load and validate ``correlation.yaml``; problems are ``path:line:col`` located, sorted."""
    positioned, problems = load_yaml(path)
    if positioned is None:
        return None, problems
    data = positioned.data if positioned.data is not None else {}
    positioned = type(positioned)(positioned.path, data, positioned.positions)
    model, more = validate(CorrelationPolicy, positioned, describe_item)
    problems = sorted([*problems, *more])
    return (None if problems else model), problems
