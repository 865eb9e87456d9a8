"""The pure evaluation step: one rule's query result -> one event per known series.

Place in the flow: scheduler -> MetricSource.query -> **evaluate** -> streams. ``evaluate`` does no
I/O and reads no clock: ``now`` is passed in and only ``state`` is mutated, so tests are tables of
(result, now) -> events and replay is exact.

Semantics
---------
* **Value**: the last non-null value, in row order, of the rule's column in each series (the
  column named by ``rule.field``, else the only non-time column). Booleans count as 1/0; a string
  value raises :class:`~alerter.errors.EvaluationError`.
* **Identity**: ``fingerprint(rule name, static labels + the series' GROUP BY tags)``; a GROUP BY
  tag overrides a static label of the same name.
* **Raw level**: critical is checked first, then warning (``value <operator> threshold``).
  Hysteresis: while a series is firing, a value that no longer breaches warning but still breaches
  ``clear`` keeps it firing at warning (or at critical if the rule has no warning threshold), so a
  critical series goes down to warning below critical and to ok only past ``clear``.
* **for:** a raw level worse than the current state must persist ``for`` seconds (from the first
  evaluation that saw it) before the state changes; meanwhile the state stays and the event's
  reason is ``pending``. Improvements (critical -> warning, -> ok) are immediate, except:
* **keep_firing_for:** when the condition clears (raw ok) the series keeps its firing state for
  that long (reason ``keep_firing``); a new breach inside the window cancels the countdown.
* **No data**: a known series absent from the result, or whose column is all null, counts one
  miss per evaluation (an empty result counts for every known series). Before ``no_data.after``
  misses it keeps its state with ``metric=None``; from then on the policy applies: ``ok`` resolves
  it (reason ``no_data``) and forgets it :data:`FORGET_AFTER` evaluations later; ``alert`` sets
  ``no_data.severity`` (reason ``no_data``, description "no data ... since T"); ``keep`` keeps the
  last state (an ok one is forgotten like ``ok``). A partial (truncated) result counts no misses,
  because absence there proves nothing. When data returns, the series is evaluated normally; a
  no-data alert resolves at once (no keep_firing: the condition that cleared was silence).
* **Events**: every evaluation emits one event per known series, ok ones too: host =
  ``tags[host_tag]`` (None if absent), service = ``rule.service`` with ``{tag}`` filled (or the
  rule name), state, metric = value, time = now, ttl = the rule's ttl, description, tags = rule
  tags, attributes = labels + GROUP BY tags + rule, fingerprint, runbook_url, reason, and for
  non-ok or changed events summary and threshold.
* **Templates** (summary, description) render only for non-ok or changed events: the steady ok
  series, almost all of them, reuse a per-series cached attribute dict (events are immutable by
  convention, so sharing it is safe). The context is
  :func:`alerter.config.template_context.template_context`, shared with ``rules check``.
* A result carrying a server ``error`` raises :class:`~alerter.errors.EvaluationError` naming the
  rule and the server's message; the scheduler turns it into an engine event. ``state`` is
  untouched in that case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alerter.clock import to_datetime
from alerter.config.rules import NoDataPolicy
from alerter.config.template_context import template_context
from alerter.config.templates import Template, TemplateError
from alerter.errors import EvaluationError
from alerter.evaluate.compiled import CompiledRule
from alerter.evaluate.state import RuleState, SeriesState
from alerter.model import (
    ATTR_FINGERPRINT,
    ATTR_REASON,
    ATTR_RULE,
    ATTR_RUNBOOK,
    ATTR_SUMMARY,
    Event,
    Severity,
    fingerprint,
)
from alerter.source import StatementResult

ATTR_THRESHOLD = "threshold"
"""Attribute: the threshold behind a non-ok state (as text), absent when ok or no data."""

FORGET_AFTER = 10
"""Evaluations an absent, resolved series is still reported (ok) before it is forgotten."""

REASON_THRESHOLD = "threshold"
REASON_PENDING = "pending"
REASON_KEEP_FIRING = "keep_firing"
REASON_NO_DATA = "no_data"

_OK = Severity.OK
_WARNING = Severity.WARNING
_CRITICAL = Severity.CRITICAL


@dataclass(slots=True)
class _Derived:
    """Per-series values that depend only on the rule and the tags: computed once, cached."""

    host: str | None
    service: str
    labels: dict[str, str]
    base: dict[str, str]
    ok_attrs: dict[str, str]
    ok_description: str


def evaluate(rule: CompiledRule, result: StatementResult, state: RuleState, now: float) -> list[Event]:
    """Evaluate ``result`` for ``rule`` at ``now``; return one event per known series.

    Mutates only ``state``. Raises :class:`EvaluationError` on a result error, a missing value
    column or a non-numeric value (see the module docstring for the semantics).
    """
    if result.error is not None:
        raise EvaluationError(f'rule "{rule.name}" ({rule.loaded.location}): query failed: {result.error}')
    known = state.series
    index = state.index
    seen: set[str] = set()
    events: list[Event] = []
    append, see, lookup, find = events.append, seen.add, index.get, known.get  # bound once: hot loop
    ttl, tags = rule.ttl, rule.tags
    breaches = rule.breaches
    first = rule.warning if rule.warning is not None else rule.critical  # crossed first
    last_columns: Sequence[str] | None = None
    column = 0
    for series in result.series:
        if series.columns is not last_columns:
            last_columns, column = series.columns, rule.value_index(tuple(series.columns))
        rows = series.values
        value = rows[-1][column] if rows else None
        if type(value) is not float and type(value) is not int:
            value = _last_value(rule, rows, column)
        # Keyed by tag VALUES: every series of one statement's result has the same tag names (its
        # GROUP BY list; influxd fills a missing tag with ""), and values-only hashing is ~3x cheaper.
        key = tuple(series.tags.values())
        fp = lookup(key)
        if fp is None:
            fp = index[key] = fingerprint(rule.name, {**rule.labels, **series.tags})
        ss = find(fp)
        if ss is None:
            if value is None:
                continue  # never seen with data: nothing to report yet
            ss = known[fp] = SeriesState(level=_OK, tags=dict(series.tags))
        see(fp)
        if value is None:
            event = _absent(rule, fp, ss, now, result.partial, known)
            if event is not None:
                append(event)
            continue
        ss.value, ss.seen_at, ss.missing = value, now, 0
        if ss.level is _OK and ss.reason == REASON_THRESHOLD and not breaches(value, first):
            # The steady ok series (almost all of them): nothing to decide, nothing to render.
            d = ss.cache or _derive(rule, fp, ss)
            append(Event(d.host, d.service, "ok", d.ok_description, value, now, ttl, tags, d.ok_attrs))
            continue
        previous = ss.level
        _step(rule, ss, value, now)
        append(_event(rule, fp, ss, value, now, changed=ss.level is not previous))
    if len(seen) < len(known):
        for fp in [fp for fp in known if fp not in seen]:
            event = _absent(rule, fp, known[fp], now, result.partial, known)
            if event is not None:
                events.append(event)
    if len(index) > 2 * len(known) + 64:
        index.clear()  # forgotten series left their keys behind; rebuilt on demand
    return events


def _last_value(rule: CompiledRule, rows: Sequence[Sequence[Any]], column: int) -> float | None:
    for i in range(len(rows) - 1, -1, -1):
        value = rows[i][column]
        if value is not None:
            kind = type(value)
            if kind is float or kind is int:
                return value
            if kind is bool:
                return int(value)
            if isinstance(value, int | float):
                return float(value)
            raise EvaluationError(
                f'rule "{rule.name}" ({rule.loaded.location}): value {value!r} is not a number '
                f"(column {column} of the query result)"
            )
    return None


def _raw_level(rule: CompiledRule, value: float, current: Severity) -> tuple[Severity, float | None]:
    """The level ``value`` asks for, hysteresis included, and the threshold behind it."""
    breaches = rule.breaches
    if rule.critical is not None and breaches(value, rule.critical):
        return _CRITICAL, rule.critical
    if rule.warning is not None and breaches(value, rule.warning):
        return _WARNING, rule.warning
    if current is not _OK and breaches(value, rule.clear):
        return (_WARNING, rule.warning) if rule.warning is not None else (_CRITICAL, rule.critical)
    return _OK, None


def _step(rule: CompiledRule, ss: SeriesState, value: float, now: float) -> None:
    """Apply one observed value to ``ss``: thresholds, ``for:`` and ``keep_firing_for``."""
    raw, threshold = _raw_level(rule, value, ss.level)
    current = ss.level
    if raw.rank > current.rank:
        ss.cleared_since = None
        if rule.for_ > 0:
            if ss.pending_since is None:
                ss.pending_since = now
            if now - ss.pending_since < rule.for_:
                ss.reason = REASON_PENDING
                return
    elif raw is _OK and current is not _OK and rule.keep_firing_for > 0 and ss.reason != REASON_NO_DATA:
        ss.pending_since = None
        if ss.cleared_since is None:
            ss.cleared_since = now
        if now - ss.cleared_since < rule.keep_firing_for:
            ss.reason = REASON_KEEP_FIRING
            return
    ss.pending_since = ss.cleared_since = None
    ss.level, ss.threshold, ss.reason = raw, threshold, REASON_THRESHOLD


def _absent(
    rule: CompiledRule, fp: str, ss: SeriesState, now: float, partial: bool, known: dict[str, SeriesState]
) -> Event | None:
    """One miss for a known series; returns its event, or None once it is forgotten."""
    previous = ss.level
    if not partial:
        ss.missing += 1
        ss.pending_since = None
    if ss.missing >= rule.no_data_after:
        policy = rule.no_data_policy
        if policy is NoDataPolicy.ALERT:
            ss.level, ss.threshold = rule.no_data_severity, None
        elif policy is NoDataPolicy.OK:
            ss.level, ss.threshold = _OK, None
        ss.cleared_since = None
        ss.reason = REASON_NO_DATA
        if ss.level is _OK and ss.missing >= rule.no_data_after + FORGET_AFTER:
            del known[fp]
            return None
    return _event(rule, fp, ss, None, now, changed=ss.level is not previous)


def _derive(rule: CompiledRule, fp: str, ss: SeriesState) -> _Derived:
    labels = {**rule.labels, **ss.tags}
    base = dict(labels)
    base[ATTR_RULE] = rule.name
    base[ATTR_FINGERPRINT] = fp
    if rule.runbook_url is not None:
        base[ATTR_RUNBOOK] = rule.runbook_url
    host = ss.tags.get(rule.host_tag)
    service = rule.service_for(ss.tags)
    ok_attrs = {**base, ATTR_REASON: REASON_THRESHOLD}
    d = _Derived(host, service, labels, base, ok_attrs, f"{rule.name}: ok")
    ss.cache = d
    return d


def _event(
    rule: CompiledRule, fp: str, ss: SeriesState, value: float | None, now: float, *, changed: bool
) -> Event:
    """The full event for a series whose state is not a steady ok: texts rendered as needed."""
    d = ss.cache or _derive(rule, fp, ss)
    attrs = dict(d.base)
    attrs[ATTR_REASON] = ss.reason
    description = d.ok_description
    if ss.level is not _OK or changed:
        summary, description = _texts(rule, d, ss, value)
        attrs[ATTR_SUMMARY] = summary
        if ss.threshold is not None:
            attrs[ATTR_THRESHOLD] = f"{ss.threshold:g}"
    return Event(d.host, d.service, ss.level.value, description, value, now, rule.ttl, rule.tags, attrs)


def _texts(rule: CompiledRule, d: _Derived, ss: SeriesState, value: float | None) -> tuple[str, str]:
    """(summary, description) for a non-ok or changed event."""
    who = d.host or d.service
    if value is None:
        since = "the start" if ss.seen_at is None else to_datetime(ss.seen_at).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = f"{rule.name}: no data from {who} since {since}"
        return text, text
    context = template_context(
        rule=rule.name,
        group=rule.group,
        host=d.host,
        service=d.service,
        severity=ss.level.value,
        value=value,
        threshold=ss.threshold,
        labels=d.labels,
        tags=ss.tags,
        runbook_url=rule.runbook_url,
        interval=rule.interval,
    )
    if ss.level is _OK:
        default = f"{rule.name} ok on {who}: value {value:g}"
    else:
        default = f"{rule.name} {ss.level.value} on {who}: value {value:g} {rule.op} {ss.threshold:g}"
    summary = default if rule.summary is None else _render(rule.summary, context)
    description = default if rule.description is None else _render(rule.description, context)
    return summary, description


def _render(template: Template, context: Mapping[str, Any]) -> str:
    """Render, never raise: a page must go out even when its text cannot be made."""
    try:
        return template.render(context)
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        return f"[template error: {exc}] {template.source}"
