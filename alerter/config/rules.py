"""The rule file schema (``rules/*.yaml``), strict: an unknown key is an error, never ignored.

A rule file holds groups of rules; a group gives defaults (interval, labels) to its rules::

    groups:
      - name: host
        interval: 30s
        labels: {team: platform}
        rules:
          - name: host_cpu_high
            query: SELECT mean("usage_user") FROM "cpu" WHERE time > now() - 2m GROUP BY "host", "role", "env"
            thresholds: {operator: ">", warning: 85, critical: 95, clear: 80}
            for: 2m
            keep_firing_for: 1m
            no_data: {policy: alert, after: 3, severity: warning}
            summary: "CPU {{ value | round(1) if value is not none else 'no data' }}% on {{ host }}"
            runbook_url: https://runbooks.example/host-cpu

Loading (YAML -> these models with ``path:line:col`` errors) lives in :mod:`alerter.config.load`;
this module only says what a valid rule is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerter.config.durations import Duration
from alerter.model import Severity

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.:-]*$"
LABEL_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class StrictModel(BaseModel):
    """Base for every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Operator(StrEnum):
    """How a value is compared with a threshold: ``value <op> threshold`` means "bad"."""

    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="

    def breaches(self, value: float, threshold: float) -> bool:
        match self:
            case Operator.GT:
                return value > threshold
            case Operator.GE:
                return value >= threshold
            case Operator.LT:
                return value < threshold
            case Operator.LE:
                return value <= threshold

    @property
    def higher_is_worse(self) -> bool:
        return self in (Operator.GT, Operator.GE)


class Thresholds(StrictModel):
    """Per-severity thresholds, plus a ``clear`` threshold for hysteresis.

    A firing series returns to ok only when its value no longer breaches ``clear`` (default: the
    lowest firing threshold, i.e. no hysteresis). With ``operator: ">"``, ``warning: 85`` and
    ``clear: 80``, a value oscillating between 81 and 86 fires once and stays firing.
    """

    operator: Operator = Operator.GT
    warning: float | None = None
    critical: float | None = None
    clear: float | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Thresholds:
        if self.warning is None and self.critical is None:
            raise ValueError("needs at least one of warning, critical")
        op = self.operator
        if (
            self.warning is not None
            and self.critical is not None
            and op.breaches(self.warning, self.critical)
        ):
            raise ValueError(
                f"warning {self.warning:g} is worse than critical {self.critical:g} for operator "
                f"{op.value!r} (expected warning {'<=' if op.higher_is_worse else '>='} critical)"
            )
        lowest = self.first_threshold
        if self.clear is not None and op.breaches(self.clear, lowest) and self.clear != lowest:
            raise ValueError(
                f"clear {self.clear:g} is past the firing threshold {lowest:g} for operator {op.value!r}"
                f" (expected clear {'<=' if op.higher_is_worse else '>='} {lowest:g})"
            )
        return self

    @property
    def first_threshold(self) -> float:
        """The threshold crossed first (warning if set, else critical)."""
        return self.warning if self.warning is not None else self.critical  # type: ignore[return-value]

    @property
    def clear_threshold(self) -> float:
        return self.clear if self.clear is not None else self.first_threshold


class NoDataPolicy(StrEnum):
    """What a series that stopped reporting means."""

    OK = "ok"  # silence is fine: the series resolves
    ALERT = "alert"  # silence is a problem after ``after`` intervals
    KEEP = "keep"  # keep the last state until data returns


class NoData(StrictModel):
    policy: NoDataPolicy = NoDataPolicy.OK
    after: int = Field(default=3, ge=1, description="intervals without data before the policy applies")
    severity: Literal[Severity.WARNING, Severity.CRITICAL] = Severity.CRITICAL


class Rule(StrictModel):
    """One alerting rule. See the module docstring for an example."""

    name: str = Field(pattern=NAME_PATTERN)
    query: str = Field(min_length=1, description="InfluxQL SELECT with a time lower bound")
    field: str | None = Field(
        default=None, description="result column holding the value (default: the only one)"
    )
    interval: Duration | None = Field(default=None, description="default: the group's interval")
    thresholds: Thresholds
    for_: Duration = Field(default=0.0, alias="for", ge=0)
    keep_firing_for: Duration = Field(default=0.0, ge=0)
    no_data: NoData = NoData()
    host_tag: str = Field(default="host", description="GROUP BY tag whose value is the event's host")
    service: str | None = Field(
        default=None,
        description="event service; {tag} placeholders take GROUP BY tag values; default: rule name",
    )
    labels: dict[str, str] = Field(default_factory=dict)
    tags: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    runbook_url: str | None = None
    ttl: Duration | None = Field(default=None, description="event ttl; default: 3 x interval")

    @field_validator("labels")
    @classmethod
    def _label_names(cls, labels: dict[str, str]) -> dict[str, str]:
        for key in labels:
            if not LABEL_NAME_PATTERN.match(key):
                raise ValueError(f"label name {key!r} is invalid (expected letters, digits and _)")
        return labels


class RuleGroup(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    interval: Duration = 30.0
    labels: dict[str, str] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)


class RuleFile(StrictModel):
    """The top level of a ``rules/*.yaml`` rule file."""

    groups: list[RuleGroup] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class LoadedRule:
    """A rule with its group's defaults applied and its source location; what the engine runs."""

    rule: Rule
    group: str
    interval: float
    labels: dict[str, str]
    location: Location
    digest: str = field(default="", compare=False)
    """Hash of the rule's effective definition: reload keeps per-series state when it is unchanged."""

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def ttl(self) -> float:
        return self.rule.ttl if self.rule.ttl is not None else 3 * self.interval
