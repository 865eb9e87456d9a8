"""check_rules beyond the schema: names across files, templates on a sample event, query shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerter.config.check import (
    SAMPLE_CONTEXT,
    check_rules,
    check_template,
    load_checked_rules,
    run_check,
    sample_context,
    service_placeholders,
    template_context_keys,
)
from alerter.config.influxql import analyze_query
from alerter.config.load import load_rules

GOOD = Path(__file__).parent / "good_rules"
QUERY = 'SELECT mean("v") FROM "m" WHERE time > now() - 1m GROUP BY "host", "env"'


def one_rule(tmp_path: Path, extra: str = "", query: str = QUERY) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(
        "groups:\n  - name: g\n    labels: {team: t}\n    rules:\n      - name: r\n"
        f"        query: '{query}'\n        thresholds: {{warning: 85, critical: 95}}\n{extra}",
        encoding="utf-8",
    )
    return path


def test_good_rules_check_clean() -> None:
    report = run_check([GOOD])
    assert report.problems == ()
    assert (report.rules, len(report.files)) == (6, 2)


def test_repository_example_rules_check_clean() -> None:
    rules_dir = Path(__file__).parents[3] / "rules"
    assert check_rules([rules_dir]) == []


def test_duplicate_name_in_one_file_is_reported_at_the_second(tmp_path: Path) -> None:
    path = one_rule(
        tmp_path, f"      - name: r\n        query: '{QUERY}'\n        thresholds: {{warning: 1}}\n"
    )
    assert [str(p) for p in check_rules([path])] == [
        f'{path}:8:9: rule "r": duplicate rule name (first defined at {path}:5:9)'
    ]


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    path = one_rule(
        tmp_path, '        service: "x {nope}"\n        summary: "{{ hots }}"\n', query="SELECT * FROM m"
    )
    messages = [p.message for p in check_rules([path])]
    assert len(messages) == 4, messages
    assert [m.split(": ")[1] for m in messages] == [
        'field "query"',
        'field "query"',
        'field "service"',
        'field "summary"',
    ]


def test_sample_context_has_the_documented_keys_and_the_rules_tags(tmp_path: Path) -> None:
    loaded = load_rules([one_rule(tmp_path, "        labels: {owner: o}\n")]).rules[0]
    ctx = sample_context(loaded, analyze_query(QUERY))
    assert set(ctx) == template_context_keys() == set(SAMPLE_CONTEXT)
    assert ctx["tags"] == {"host": "<host>", "env": "<env>"}
    assert ctx["labels"] == {"team": "t", "owner": "o", "host": "<host>", "env": "<env>"}
    assert (ctx["host"], ctx["service"], ctx["severity"], ctx["threshold"]) == (
        "<host>",
        "r",
        "critical",
        95.0,
    )
    assert ctx["value"] > ctx["threshold"] and ctx["interval"] == 30.0


@pytest.mark.parametrize(
    ("template", "extra", "expected"),
    [
        ("{{ host }} {{ value | round(1) }} {{ labels.team }} {{ tags.env }}", "", []),
        ("{% set x = 2 %}{% for k in tags %}{{ k }}{{ x }}{% endfor %}{{ range(2) | list }}", "", []),
        ("{{ hots }} {{ valu }}", "", ['unknown variable "hots"', 'unknown variable "valu"']),
        (
            "{{ value | round(1) }}",
            "        no_data: {policy: alert}\n",
            ["does not render when the series has no data"],
        ),
        ("{{ value | round(1) }}", "        no_data: {policy: keep}\n", []),
        (
            "{{ labels.nope }}",
            "",
            ["does not render on a sample event: 'dict object' has no attribute 'nope'"],
        ),
        (
            "{{ ''.__class__.__mro__ }}",
            "",
            ["does not render on a sample event: access to attribute '__class__'"],
        ),
        ("{% if %}", "", ["template syntax error on its line 1: Expected an expression"]),
    ],
)
def test_check_template(tmp_path: Path, template: str, extra: str, expected: list[str]) -> None:
    loaded = load_rules([one_rule(tmp_path, extra)]).rules[0]
    messages = check_template(template, loaded, analyze_query(QUERY))
    assert len(messages) == len(expected), messages
    for message, start in zip(messages, expected, strict=True):
        assert message.startswith(start), message


@pytest.mark.parametrize(
    ("service", "names", "error"),
    [
        ("disk {path} on {device}", ["path", "device"], None),
        ("plain", [], None),
        ("{{literal}} {path}", ["path"], None),
        ("disk {path", [], '"disk {path" is not a valid service template'),
        ("{0}", [], "placeholder {0} is not a tag name"),
        ("{path!r}", [], "placeholder {path} is not a tag name"),
    ],
)
def test_service_placeholders(service: str, names: list[str], error: str | None) -> None:
    got_names, got_error = service_placeholders(service)
    assert got_names == names
    assert (got_error or "").startswith(error or "") and (got_error is None) == (error is None)


@pytest.mark.parametrize(
    ("extra", "query", "problem"),
    [
        ("", 'SELECT mean("v") FROM "m" WHERE time > now() - 1m GROUP BY *', None),
        ("", 'SELECT mean("v") FROM "m" WHERE time > now() - 1m', None),
        (
            "        host_tag: node\n",
            'SELECT mean("v") FROM "m" WHERE time > now() - 1m',
            '"node" is not a GROUP BY tag',
        ),
        ("        host_tag: env\n", QUERY, None),
        (
            "",
            'SELECT mean("v") FROM "m" WHERE time > now() - 1m GROUP BY "env"',
            'GROUP BY has no "host" tag',
        ),
        (
            "        field: max\n",
            'SELECT mean("v"), max("v") FROM "m" WHERE time > now() - 1m GROUP BY host',
            None,
        ),
        ("        field: v\n", 'SELECT /v.*/ FROM "m" WHERE time > now() - 1m GROUP BY host', None),
        (
            "",
            'SELECT mean("v") FROM "m" WHERE time > now() - 1m GROUP BY host;',
            "must be a single statement",
        ),
        ("", 'SELECT mean("v") WHERE time > now() - 1m GROUP BY host', "has no FROM clause"),
        ("", "", None),
    ],
)
def test_query_tag_and_column_checks(tmp_path: Path, extra: str, query: str, problem: str | None) -> None:
    messages = [p.message for p in check_rules([one_rule(tmp_path, extra, query or QUERY)])]
    if problem is None:
        assert messages == []
    else:
        assert len(messages) == 1 and problem in messages[0], messages


def test_load_checked_rules_is_load_rules_plus_the_checks(tmp_path: Path) -> None:
    path = one_rule(tmp_path, '        summary: "{{ hots }}"\n')
    plain, checked = load_rules([path]), load_checked_rules([path])
    assert plain.rules == checked.rules and plain.files == checked.files
    assert plain.problems == () and [p.message.split(": ")[1] for p in checked.problems] == [
        'field "summary"'
    ]
