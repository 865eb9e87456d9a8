"""``alerter rules check``: everything :func:`~alerter.config.load.load_rules` finds, plus what
only a look across rules or into queries and templates can find.

Checks beyond the schema, each message naming the rule and what was expected:

* a rule name used twice (reported at the second, naming the first's location);
* ``summary``/``description`` compile, use only the template variables
  (:mod:`alerter.config.template_context`), and render on a sample event of the rule (tags = its
  GROUP BY tags); with ``no_data: {policy: alert}`` also with ``value`` None;
* ``query`` is ONE ``SELECT`` with ``FROM`` and a time lower bound relative to ``now()`` in WHERE
  (``time > now() - 5m``, ``time >= ...``, not under a top-level OR) so it never scans all history;
* the value column is unambiguous: ``SELECT *``, regex fields and ``mean(*)`` need ``field:``;
  more than one column needs ``field:``; ``field:`` must name a selected column when known;
* ``service`` ``{placeholders}`` name GROUP BY tags;
* ``host_tag``: when set explicitly it must be a GROUP BY tag; the default ``host`` must be a GROUP
  BY tag when the query groups by any tag (a per-cluster rule says ``host_tag: cluster``); a query
  without GROUP BY tags makes one series and events without a host.

Checks that need a known GROUP BY (``GROUP BY *`` or a regex) or known columns are skipped.
"""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from alerter.config.companions import check_companions, is_companion
from alerter.config.influxql import QueryShape, analyze_query
from alerter.config.load import LoadedFile, RuleSet, load_rule_file, rule_files
from alerter.config.rules import LoadedRule, Location, Rule
from alerter.config.template_context import SAMPLE_CONTEXT, template_context, template_context_keys
from alerter.config.templates import Template, compile_template
from alerter.config.yamlsource import Loc
from alerter.errors import Problem

TEMPLATE_FIELDS = ("summary", "description")
_PARSER = SandboxedEnvironment()  # parse-only: finds the names a template uses, renders nothing
_EXPECT_BOUND = "expected e.g. WHERE time > now() - 5m"


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What ``alerter rules check`` prints: the problems, and what was looked at."""

    problems: tuple[Problem, ...]
    rules: int
    files: tuple[str, ...]


def check_rules(paths: Sequence[Path | str]) -> list[Problem]:
    """Every problem in the rule files under ``paths``, sorted by file, line, column."""
    return list(run_check(paths).problems)


def run_check(paths: Sequence[Path | str]) -> CheckReport:
    """Load and check the rule files under ``paths`` (see the module docstring), and the config
    files beside them (:mod:`alerter.config.companions`: correlation, topology, on-call, routing,
    maintenance)."""
    rule_paths = [p for p in paths if Path(p).is_dir() or not is_companion(Path(p))]
    ruleset = load_checked_rules(rule_paths) if rule_paths else RuleSet((), ())
    companion_problems, companion_files = check_companions(paths)
    problems = tuple(sorted(set(ruleset.problems) | set(companion_problems)))
    return CheckReport(problems, len(ruleset.rules), (*ruleset.files, *companion_files))


def load_checked_rules(paths: Sequence[Path | str]) -> RuleSet:
    """:func:`~alerter.config.load.load_rules` with this module's checks added to ``problems``.

    Same signature, so a reloader can take it as its load function and refuse an edit whose
    template or query is broken, not only one whose schema is.
    """
    files, problems = rule_files(paths)
    loaded = [load_rule_file(f) for f in files]
    problems += [p for lf in loaded for p in lf.problems]
    problems += _duplicate_names(loaded)
    for lf in loaded:
        for rule, loc in lf.rules:
            problems += check_rule(lf, rule, loc)
    rules = tuple(rule for lf in loaded for rule, _ in lf.rules)
    return RuleSet(rules, tuple(sorted(set(problems))), tuple(str(f) for f in files))


def _duplicate_names(loaded: Sequence[LoadedFile]) -> list[Problem]:
    first: dict[str, Location] = {}
    problems = []
    for lf in loaded:
        for rule, _ in lf.rules:
            if rule.name in first:
                where = rule.location
                message = f"{_prefix(rule)}duplicate rule name (first defined at {first[rule.name]})"
                problems.append(Problem(where.path, where.line, where.col, message))
            else:
                first[rule.name] = rule.location
    return problems


def check_rule(lf: LoadedFile, loaded: LoadedRule, loc: Loc) -> list[Problem]:
    """Problems of one schema-valid rule: its query, service, host_tag, field and templates."""
    assert lf.positioned is not None  # a rule was loaded from it
    positioned = lf.positioned
    shape = analyze_query(loaded.rule.query)
    found = [*_query_findings(loaded.rule, shape)]
    if shape.statement == "SELECT":
        found += [*_column_findings(loaded.rule, shape), *_tag_findings(loaded.rule, shape)]
    found += _template_findings(loaded, shape)
    problems = []
    for field, message in found:
        line, col = positioned.position((*loc, field))
        problems.append(Problem(lf.path, line, col, f"{_prefix(loaded)}field {json.dumps(field)}: {message}"))
    return problems


def _prefix(loaded: LoadedRule) -> str:
    return f"rule {json.dumps(loaded.name)}: "


Finding = tuple[str, str]
"""(field the problem is in, message after ``field "X": ``)."""


def _query_findings(rule: Rule, shape: QueryShape) -> Iterator[Finding]:
    if shape.statement != "SELECT":
        got = shape.statement or "an empty statement"
        yield (
            "query",
            f"must be a SELECT statement, not {got} (expected SELECT ... FROM ... WHERE time > now() - 5m)",
        )
        return
    if shape.statements > 1:
        yield "query", 'must be a single statement (expected one SELECT without ";")'
    if not shape.has_from:
        yield "query", 'has no FROM clause (expected e.g. SELECT mean("usage") FROM "cpu" ...)'
    if not shape.has_where:
        yield "query", f"has no WHERE clause, so it would read all history ({_EXPECT_BOUND})"
    elif not shape.time_lower_bound:
        yield (
            "query",
            (
                "WHERE does not bound time from below relative to now(), so it would read all history "
                f"({_EXPECT_BOUND}, outside any OR)"
            ),
        )


def _column_findings(rule: Rule, shape: QueryShape) -> Iterator[Finding]:
    columns = shape.columns
    if rule.field is None:
        if columns is None:
            yield (
                "query",
                (
                    "SELECT * (or a regex or wildcard field) leaves the value column unknown "
                    '(expected a named field, e.g. SELECT mean("usage") ..., or set field: to the value column)'
                ),
            )
        elif len(columns) > 1:
            yield (
                "query",
                (
                    f"selects {len(columns)} columns ({', '.join(columns)}) and no field: says which is the value "
                    f"(expected field: set to one of: {', '.join(columns)})"
                ),
            )
    elif columns is not None and rule.field not in columns:
        yield (
            "field",
            f"{json.dumps(rule.field)} is not a column of the query (expected one of: {', '.join(columns)})",
        )


def _tag_findings(rule: Rule, shape: QueryShape) -> Iterator[Finding]:
    tags = shape.group_by_tags
    if tags is None:
        return
    known = f"expected one of: {', '.join(tags)}" if tags else "the query has no GROUP BY tags"
    if rule.service is not None:
        names, error = service_placeholders(rule.service)
        if error:
            yield "service", error
        for name in names:
            if name not in tags:
                yield "service", f"placeholder {{{name}}} is not a GROUP BY tag of the query ({known})"
    if rule.host_tag in tags:
        return
    if "host_tag" in rule.model_fields_set:
        yield "host_tag", f"{json.dumps(rule.host_tag)} is not a GROUP BY tag of the query ({known})"
    elif tags:
        yield (
            "query",
            (
                f'GROUP BY has no "{rule.host_tag}" tag, so events would have no host '
                f'(expected GROUP BY "{rule.host_tag}", or host_tag: set to one of: {", ".join(tags)})'
            ),
        )


def service_placeholders(service: str) -> tuple[list[str], str | None]:
    """The ``{tag}`` names in a ``service`` template, and an error message if it is malformed."""
    names: list[str] = []
    try:
        for _, name, spec, conversion in string.Formatter().parse(service):
            if name is None:
                continue
            if not name.isidentifier() or spec or conversion:
                return names, f'placeholder {{{name}}} is not a tag name (expected e.g. "disk {{path}}")'
            names.append(name)
    except ValueError as exc:
        return (
            names,
            f'{json.dumps(service)} is not a valid service template: {exc} (expected e.g. "disk {{path}}")',
        )
    return names, None


def sample_context(loaded: LoadedRule, shape: QueryShape, value: float | None = None) -> dict[str, Any]:
    """The context of a sample event of ``loaded``: GROUP BY tags mapped to sample strings."""
    rule = loaded.rule
    tags = {tag: f"<{tag}>" for tag in shape.group_by_tags or ()}
    severity = "critical" if rule.thresholds.critical is not None else "warning"
    threshold = rule.thresholds.critical if severity == "critical" else rule.thresholds.warning
    if value is None and threshold is not None:
        value = threshold + (1.0 if rule.thresholds.operator.higher_is_worse else -1.0)
    host = tags.get(rule.host_tag) if shape.group_by_tags is not None else SAMPLE_CONTEXT["host"]
    return template_context(
        rule=rule.name,
        group=loaded.group,
        host=host,
        service=_sample_service(rule, tags),
        severity=severity,
        value=value,
        threshold=threshold,
        labels={**loaded.labels, **tags},
        tags=tags,
        runbook_url=rule.runbook_url,
        interval=loaded.interval,
    )


def _sample_service(rule: Rule, tags: Mapping[str, str]) -> str:
    if rule.service is None:
        return rule.name
    try:
        return rule.service.format_map(_Missing(tags))
    except (ValueError, IndexError, AttributeError):
        return rule.service


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def _template_findings(loaded: LoadedRule, shape: QueryShape) -> Iterator[Finding]:
    for field in TEMPLATE_FIELDS:
        source = getattr(loaded.rule, field)
        if source is not None:
            yield from ((field, message) for message in check_template(source, loaded, shape))


def check_template(source: str, loaded: LoadedRule, shape: QueryShape) -> list[str]:
    """Messages for one template: syntax, unknown variables, then rendering on the sample event."""
    try:
        names, template = _compiled(source)
    except TemplateSyntaxError as exc:
        return [f"template syntax error on its line {exc.lineno}: {exc.message}"]
    allowed = template_context_keys()
    unknown = sorted(n for n in names if n not in allowed and n not in _PARSER.globals)
    if unknown:
        expected = ", ".join(sorted(allowed))
        return [f"unknown variable {json.dumps(n)} (expected one of: {expected})" for n in unknown]
    messages = []
    sample = sample_context(loaded, shape)
    error = _render_error(template, sample)
    if error:
        messages.append(
            f"does not render on a sample event: {error} (the sample has labels: "
            f"{', '.join(sorted(sample['labels'])) or 'none'}; tags: {', '.join(sorted(sample['tags'])) or 'none'})"
        )
    elif loaded.rule.no_data.policy == "alert":
        no_data = {**sample_context(loaded, shape), "value": None, "threshold": None}
        error = _render_error(template, no_data)
        if error:
            messages.append(
                f"does not render when the series has no data (value is none): {error} "
                '(expected e.g. {{ value | round(1) if value is not none else "no data" }})'
            )
    return messages


@functools.lru_cache(maxsize=1024)
def _compiled(source: str) -> tuple[frozenset[str], Template]:
    """Names the template reads, and the template; cached: rules often share their templates."""
    return frozenset(meta.find_undeclared_variables(_PARSER.parse(source))), compile_template(source)


def _render_error(template: Any, context: Mapping[str, Any]) -> str | None:
    try:
        template.render(context)
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        return str(exc) or type(exc).__name__
    return None


__all__ = [
    "SAMPLE_CONTEXT",
    "TEMPLATE_FIELDS",
    "CheckReport",
    "check_rule",
    "check_rules",
    "check_template",
    "load_checked_rules",
    "run_check",
    "sample_context",
    "service_placeholders",
    "template_context_keys",
]
