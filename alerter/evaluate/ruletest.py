"""Rule unit tests (``alerter rules test``), like ``promtool test rules``: no server needed.

Place in the flow: beside the engine, not in it. A test file names rule files, gives input series
in promtool's expanding notation (:mod:`alerter.evaluate.series_notation`), and says which alerts
must be firing at which evaluation times. The runner loads the rules with the real loader, puts
the samples in :class:`~alerter.source.static.StaticSource`, and runs the real
:func:`~alerter.evaluate.evaluate` at every tick of each tested rule's interval, so ``for:``,
``keep_firing_for`` and no-data behave exactly as in production::

    rule_files: [../host.yaml]        # relative to this file
    interval: 10s                     # spacing of input samples (default 10s)
    tests:
      - name: cpu saturation fires after for and clears
        input_series:
          - measurement: cpu
            tags: {host: web-1, role: api, env: prod}
            field: usage_user
            values: "40x5 97x30 30x20"
        alert_rule_test:
          - eval_time: 4m
            rule: host_cpu_high
            exp_alerts:
              - state: critical
                host: web-1
                labels: {role: api}
                summary: "CPU user 97.0% on web-1 (api, prod)"
          - eval_time: 9m
            rule: host_cpu_high
            exp_alerts: []

Sample ``i`` is at ``T0 + i * interval``; the rule is evaluated at ``T0 + k * rule interval`` and
an ``eval_time`` sees the last evaluation at or before it. ``exp_alerts`` lists every non-ok
series of the rule at that time (pending ones are ok); each expectation matches one alert on the
fields it gives (``labels`` as a subset of the event's attributes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import anyio
from pydantic import Field, ValidationError

from alerter.config.durations import Duration, format_duration
from alerter.config.load import load_rules
from alerter.config.rules import LoadedRule, StrictModel
from alerter.config.yamlsource import PositionedData, load_yaml, located_problems
from alerter.errors import EvaluationError, Problem
from alerter.evaluate.replay import replay_rule
from alerter.evaluate.series_notation import expand
from alerter.model import Event
from alerter.source.static import Point, StaticSource

T0 = 1_767_225_600.0
"""Time zero of every rule test: 2026-01-01T00:00:00Z (absolute, so rendered times are stable)."""


class ExpectedAlert(StrictModel):
    state: Literal["warning", "critical"]
    host: str | None = None
    service: str | None = None
    reason: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    summary: str | None = None
    description: str | None = None


class AlertTest(StrictModel):
    eval_time: Duration
    rule: str
    exp_alerts: list[ExpectedAlert] = Field(default_factory=list)


class InputSeries(StrictModel):
    measurement: str
    tags: dict[str, str] = Field(default_factory=dict)
    field: str = "value"
    values: str


class RuleTestCase(StrictModel):
    name: str
    interval: Duration | None = None
    input_series: list[InputSeries] = Field(min_length=1)
    alert_rule_test: list[AlertTest] = Field(min_length=1)


class RuleTestFile(StrictModel):
    rule_files: list[str] = Field(min_length=1)
    interval: Duration = 10.0
    tests: list[RuleTestCase] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Failure:
    """One eval time whose alerts differ from the expectation (or could not be computed)."""

    location: str
    test: str
    message: str

    def __str__(self) -> str:
        return f'{self.location}: test "{self.test}": {self.message}'


@dataclass(slots=True)
class RuleTestReport:
    """What a run found: problems (files that could not be used), failures, and coverage."""

    files: list[str] = field(default_factory=list)
    tests: int = 0
    checks: int = 0
    problems: list[Problem] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    """Rules some passing check expected firing."""
    cleared: set[str] = field(default_factory=set)
    """Rules some passing check expected silent (``exp_alerts: []``)."""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.failures


def rule_test_files(paths: Sequence[Path | str]) -> list[Path]:
    """Expand ``paths``: files as given, directories to their ``*.yaml``/``*.yml`` (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml")) if p.is_dir() else [p])
    return out


def run_rule_tests(paths: Sequence[Path | str]) -> RuleTestReport:
    """Run every rule test file under ``paths``; never raises for a bad file (see the report)."""
    report = RuleTestReport()
    for path in rule_test_files(paths):
        report.files.append(str(path))
        spec, positioned = _load(path, report.problems)
        if spec is None or positioned is None:
            continue
        rules = _rules(path, spec, positioned, report.problems)
        if rules is None:
            continue
        for i, case in enumerate(spec.tests):
            report.tests += 1
            _run_case(case, spec.interval, rules, _CaseText(positioned, i), report)
    return report


def _load(path: Path, problems: list[Problem]) -> tuple[RuleTestFile | None, PositionedData | None]:
    positioned, found = load_yaml(path)
    problems.extend(found)
    if positioned is None or found:
        return None, None
    try:
        return RuleTestFile.model_validate(positioned.data), positioned
    except ValidationError as exc:
        problems.extend(located_problems(RuleTestFile, positioned, exc))
        return None, None


def _rules(
    path: Path, spec: RuleTestFile, positioned: PositionedData, problems: list[Problem]
) -> dict[str, LoadedRule] | None:
    rule_set = load_rules([path.parent / f for f in spec.rule_files])
    if rule_set.problems:
        where = positioned.problem(("rule_files",), "rule files have problems:")
        problems.append(where)
        problems.extend(rule_set.problems)
        return None
    return {r.name: r for r in rule_set.rules}


@dataclass(frozen=True, slots=True)
class _CaseText:
    """Locates a case's parts in its file, for failure messages."""

    positioned: PositionedData
    index: int

    def where(self, *loc: str | int) -> str:
        line, col = self.positioned.position(("tests", self.index, *loc))
        return f"{self.positioned.path}:{line}:{col}"


def _run_case(
    case: RuleTestCase,
    default_interval: float,
    rules: dict[str, LoadedRule],
    text: _CaseText,
    report: RuleTestReport,
) -> None:
    points = _points(case, case.interval or default_interval, text, report)
    if points is None:
        return
    source = StaticSource(points)
    names = list(dict.fromkeys(t.rule for t in case.alert_rule_test))
    timelines: dict[str, list[list[Event]] | str] = {}
    for name in names:
        if name in rules:
            horizon = max(t.eval_time for t in case.alert_rule_test if t.rule == name)
            timelines[name] = _timeline(rules[name], source, horizon)
    for j, check in enumerate(case.alert_rule_test):
        report.checks += 1
        where = text.where("alert_rule_test", j)
        timeline = timelines.get(check.rule)
        if timeline is None:
            known = ", ".join(sorted(rules)) or "none"
            report.failures.append(Failure(where, case.name, f'unknown rule "{check.rule}" (rules: {known})'))
            continue
        message = _compare(check, rules[check.rule], timeline)
        if message:
            report.failures.append(Failure(where, case.name, message))
        else:
            (report.fired if check.exp_alerts else report.cleared).add(check.rule)


def _points(
    case: RuleTestCase, interval: float, text: _CaseText, report: RuleTestReport
) -> list[Point] | None:
    points: list[Point] = []
    for k, series in enumerate(case.input_series):
        try:
            values = expand(series.values)
        except ValueError as exc:
            report.failures.append(Failure(text.where("input_series", k, "values"), case.name, str(exc)))
            return None
        for i, value in enumerate(values):
            if value is not None:
                points.append(
                    Point(series.measurement, series.tags, {series.field: value}, T0 + i * interval)
                )
    return points


def _timeline(loaded: LoadedRule, source: StaticSource, horizon: float) -> list[list[Event]] | str:
    """Events of every evaluation tick (k-th = at k * interval) up to ``horizon``, or an error text."""
    try:
        ticks = anyio.run(replay_rule, loaded, source, T0, T0 + horizon)
    except EvaluationError as exc:
        return str(exc)
    return [tick.events for tick in ticks]


def _compare(check: AlertTest, loaded: LoadedRule, timeline: list[list[Event]] | str) -> str:
    at = format_duration(check.eval_time)
    if isinstance(timeline, str):
        return f"eval_time {at}, rule {check.rule}: evaluation failed: {timeline}"
    events = timeline[math.floor(check.eval_time / loaded.interval)]
    alerts = [e for e in events if e.state != "ok"]
    unmatched = list(alerts)
    missing = []
    for exp in check.exp_alerts:
        hit = next((a for a in unmatched if _matches(exp, a)), None)
        if hit is None:
            missing.append(exp)
        else:
            unmatched.remove(hit)
    if not missing and not unmatched:
        return ""
    lines = [f"eval_time {at}, rule {check.rule}: alerts differ"]
    lines.append("    expected:" + ("" if check.exp_alerts else " no alerts"))
    lines += [f"      {'MISSING ' if e in missing else ''}{_describe_expected(e)}" for e in check.exp_alerts]
    lines.append("    got:" + ("" if alerts else " no alerts"))
    lines += [f"      {'UNEXPECTED ' if a in unmatched else ''}{_describe_event(a)}" for a in alerts]
    pending = [e for e in events if e.attributes.get("reason") == "pending"]
    if pending:
        lines.append(
            "    pending (for: not yet elapsed): " + ", ".join(str(e.host or e.service) for e in pending)
        )
    return "\n".join(lines)


def _matches(exp: ExpectedAlert, event: Event) -> bool:
    attrs = event.attributes
    return (
        exp.state == event.state
        and (exp.host is None or exp.host == event.host)
        and (exp.service is None or exp.service == event.service)
        and (exp.reason is None or exp.reason == attrs.get("reason"))
        and (exp.summary is None or exp.summary == attrs.get("summary"))
        and (exp.description is None or exp.description == event.description)
        and all(attrs.get(k) == v for k, v in exp.labels.items())
    )


def _describe_expected(exp: ExpectedAlert) -> str:
    parts = [f"state={exp.state}"]
    parts += [
        f"{k}={getattr(exp, k)!r}" for k in ("host", "service", "reason") if getattr(exp, k) is not None
    ]
    if exp.labels:
        parts.append(f"labels={exp.labels}")
    parts += [f"{k}={getattr(exp, k)!r}" for k in ("summary", "description") if getattr(exp, k) is not None]
    return " ".join(parts)


def _describe_event(event: Event) -> str:
    attrs = event.attributes
    hidden = {"rule", "fingerprint", "summary", "runbook_url", "reason", "threshold"}
    labels = {k: v for k, v in attrs.items() if k not in hidden}
    return (
        f"state={event.state} host={event.host!r} service={event.service!r} reason={attrs.get('reason')!r} "
        f"value={event.metric!r} labels={labels} summary={attrs.get('summary')!r}"
    )
