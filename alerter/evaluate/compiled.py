"""A rule prepared for the hot path: templates compiled once, thresholds unpacked, service parsed.

Place in the flow: ``config`` (LoadedRule) -> **compile_rule** -> :func:`alerter.evaluate.evaluate`
runs the result of every query of this rule through it. Everything that can be decided once per
rule load is decided here, so the per-series loop does comparisons and dict look-ups only.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Any

from alerter.config.rules import LoadedRule, NoDataPolicy, Operator
from alerter.config.templates import Template, TemplateError, compile_template
from alerter.errors import ConfigError, EvaluationError, Problem
from alerter.model import Severity

_COMPARE: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.GT: operator.gt,
    Operator.GE: operator.ge,
    Operator.LT: operator.lt,
    Operator.LE: operator.le,
}


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """Everything :func:`evaluate` needs about one rule, unpacked into plain fields.

    ``breaches(value, threshold)`` is the operator as a C-level comparison (``operator.gt``...),
    because ``Operator.breaches`` (a ``match``) costs more than the rest of a series' evaluation.
    """

    loaded: LoadedRule
    name: str
    group: str
    interval: float
    ttl: float
    field: str | None
    breaches: Callable[[Any, Any], bool]
    op: str
    warning: float | None
    critical: float | None
    clear: float
    for_: float
    keep_firing_for: float
    no_data_policy: NoDataPolicy
    no_data_after: int
    no_data_severity: Severity
    host_tag: str
    service_parts: tuple[tuple[str, str | None], ...] | None
    labels: Mapping[str, str]
    tags: tuple[str, ...]
    summary: Template | None
    description: Template | None
    runbook_url: str | None
    _columns: dict[tuple[str, ...], int] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def value_index(self, columns: tuple[str, ...]) -> int:
        """Index of the value column in ``columns`` (cached per column layout).

        Raises :class:`EvaluationError` when ``field`` is missing or, without ``field``, when the
        result has more or fewer than one non-time column.
        """
        index = self._columns.get(columns)
        if index is None:
            index = self._columns[columns] = self._resolve(columns)
        return index

    def _resolve(self, columns: tuple[str, ...]) -> int:
        if self.field is not None:
            if self.field in columns:
                return columns.index(self.field)
            raise EvaluationError(
                f'rule "{self.name}" ({self.loaded.location}): field "{self.field}" is not in the '
                f"query result (columns: {', '.join(columns)})"
            )
        candidates = [i for i, c in enumerate(columns) if c != "time"]
        if len(candidates) == 1:
            return candidates[0]
        raise EvaluationError(
            f'rule "{self.name}" ({self.loaded.location}): the query returns '
            f"{len(candidates)} value columns ({', '.join(columns[i] for i in candidates) or 'none'}); "
            'set "field" to say which one holds the value'
        )

    def service_for(self, tags: Mapping[str, str]) -> str:
        """The event service: ``rule.service`` with ``{tag}`` placeholders filled, or the rule name.

        A placeholder naming a tag the series lacks becomes empty, so a missing tag never breaks
        the evaluation (the checker warns about it instead).
        """
        if self.service_parts is None:
            return self.name
        return "".join(text + ("" if key is None else tags.get(key, "")) for text, key in self.service_parts)


def compile_rule(loaded: LoadedRule) -> CompiledRule:
    """Prepare ``loaded`` for evaluation.

    Raises :class:`ConfigError` (located at the rule) when a template or the service format does
    not compile; the loader's checks normally catch these first.
    """
    rule = loaded.rule
    th = rule.thresholds
    problems: list[Problem] = []
    summary = _template(loaded, "summary", rule.summary, problems)
    description = _template(loaded, "description", rule.description, problems)
    service_parts = _service_parts(loaded, problems)
    if problems:
        raise ConfigError(problems)
    return CompiledRule(
        loaded=loaded,
        name=rule.name,
        group=loaded.group,
        interval=loaded.interval,
        ttl=loaded.ttl,
        field=rule.field,
        breaches=_COMPARE[th.operator],
        op=th.operator.value,
        warning=th.warning,
        critical=th.critical,
        clear=th.clear_threshold,
        for_=rule.for_,
        keep_firing_for=rule.keep_firing_for,
        no_data_policy=rule.no_data.policy,
        no_data_after=rule.no_data.after,
        no_data_severity=Severity(rule.no_data.severity),
        host_tag=rule.host_tag,
        service_parts=service_parts,
        labels=dict(loaded.labels),
        tags=tuple(rule.tags),
        summary=summary,
        description=description,
        runbook_url=rule.runbook_url,
    )


def _template(loaded: LoadedRule, what: str, source: str | None, problems: list[Problem]) -> Template | None:
    if source is None:
        return None
    try:
        return compile_template(source)
    except TemplateError as exc:
        loc = loaded.location
        problems.append(Problem(loc.path, loc.line, loc.col, f'rule "{loaded.name}": {what} template: {exc}'))
        return None


def _service_parts(loaded: LoadedRule, problems: list[Problem]) -> tuple[tuple[str, str | None], ...] | None:
    fmt = loaded.rule.service
    if fmt is None:
        return None
    try:
        parts = tuple((text, key or None) for text, key, _spec, _conv in Formatter().parse(fmt))
    except ValueError as exc:
        loc = loaded.location
        problems.append(Problem(loc.path, loc.line, loc.col, f'rule "{loaded.name}": service {fmt!r}: {exc}'))
        return None
    return parts
