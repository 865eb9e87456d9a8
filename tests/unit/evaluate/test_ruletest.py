"""``alerter rules test``: the runner over StaticSource, its failure output and exit codes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from alerter.cli.rules_test import test as rules_test_command
from alerter.evaluate.ruletest import run_rule_tests

RULES = """\
groups:
  - name: host
    interval: 30s
    labels: {team: platform}
    rules:
      - name: cpu_high
        query: SELECT last("usage_user") FROM "cpu" WHERE time > now() - 1m GROUP BY "host", "env"
        thresholds: {operator: ">", warning: 80, critical: 90}
        for: 1m
        summary: "cpu {{ value }} on {{ host }}"
"""

PASSING = """\
rule_files: [rules.yaml]
interval: 10s
tests:
  - name: fires and clears
    input_series:
      - measurement: cpu
        tags: {host: a, env: prod}
        field: usage_user
        values: "10x5 95x14 10x10"
    alert_rule_test:
      - eval_time: 1m
        rule: cpu_high
        exp_alerts: []
      - eval_time: 2m30s
        rule: cpu_high
        exp_alerts:
          - state: critical
            host: a
            labels: {env: prod, team: platform}
            summary: "cpu 95 on a"
      - eval_time: 4m
        rule: cpu_high
        exp_alerts: []
"""


def write(tmp_path: Path, test_text: str) -> Path:
    (tmp_path / "rules.yaml").write_text(RULES)
    (tmp_path / "tests").mkdir(exist_ok=True)
    path = tmp_path / "tests" / "cpu_test.yaml"
    path.write_text(test_text.replace("rule_files: [rules.yaml]", "rule_files: [../rules.yaml]"))
    return path


def test_passing_file_reports_coverage(tmp_path: Path) -> None:
    report = run_rule_tests([write(tmp_path, PASSING)])
    assert report.ok
    assert (report.tests, report.checks, report.fired, report.cleared) == (1, 3, {"cpu_high"}, {"cpu_high"})


def test_mismatch_shows_expected_and_got_per_eval_time(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        PASSING.replace("state: critical", "state: warning").replace("eval_time: 4m", "eval_time: 2m"),
    )
    report = run_rule_tests([path])
    assert not report.ok
    assert [str(f).splitlines() for f in report.failures] == [
        [
            f'{path}:14:9: test "fires and clears": eval_time 2m30s, rule cpu_high: alerts differ',
            "    expected:",
            "      MISSING state=warning host='a' labels={'env': 'prod', 'team': 'platform'} summary='cpu 95 on a'",
            "    got:",
            "      UNEXPECTED state=critical host='a' service='cpu_high' reason='threshold' value=95 "
            "labels={'team': 'platform', 'env': 'prod', 'host': 'a'} summary='cpu 95 on a'",
        ],
        [
            f'{path}:21:9: test "fires and clears": eval_time 2m, rule cpu_high: alerts differ',
            "    expected: no alerts",
            "    got:",
            "      UNEXPECTED state=critical host='a' service='cpu_high' reason='threshold' value=95 "
            "labels={'team': 'platform', 'env': 'prod', 'host': 'a'} summary='cpu 95 on a'",
        ],
    ]


def test_pending_series_are_named_when_an_alert_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path, PASSING.replace("eval_time: 2m30s", "eval_time: 1m30s"))
    (failure,) = run_rule_tests([path]).failures
    assert failure.message.splitlines()[-2:] == [
        "    got: no alerts",
        "    pending (for: not yet elapsed): a",
    ]


def test_unknown_rule_and_bad_values_are_failures(tmp_path: Path) -> None:
    text = PASSING.replace(
        "rule: cpu_high\n        exp_alerts: []\n      - eval_time: 2m30s",
        "rule: cpu_hgih\n        exp_alerts: []\n      - eval_time: 2m30s",
    )
    report = run_rule_tests([write(tmp_path, text)])
    assert [f.message for f in report.failures] == ['unknown rule "cpu_hgih" (rules: cpu_high)']
    report = run_rule_tests([write(tmp_path, PASSING.replace("10x5 95x14", "10x5 9z5"))])
    assert [f.message for f in report.failures] == [
        "'9z5' is not a value (expected e.g. 42, 1.5, _, 90x10, 1+2x5, 100-10x3 or _x4)"
    ]
    assert report.failures[0].location.endswith("cpu_test.yaml:9:17")


def test_schema_errors_are_located_problems(tmp_path: Path) -> None:
    report = run_rule_tests([write(tmp_path, PASSING.replace("interval: 10s", "intervall: 10s"))])
    assert [str(p) for p in report.problems] == [
        f'{tmp_path / "tests" / "cpu_test.yaml"}:2:1: unknown field "intervall" (expected one of: interval, rule_files, tests)'
    ]
    assert report.tests == 0


def test_broken_rule_file_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, PASSING)
    (tmp_path / "rules.yaml").write_text(RULES.replace("for: 1m", "for: 1 minute"))
    report = run_rule_tests([path])
    assert not report.ok and report.tests == 0
    assert str(report.problems[0]) == f"{path}:1:13: rule files have problems:"
    assert any("rules.yaml:" in str(p) and "1 minute" in str(p) for p in report.problems[1:])


def test_cli_exit_codes_and_summary(tmp_path: Path) -> None:
    good = write(tmp_path, PASSING)
    result = CliRunner().invoke(rules_test_command, [str(good)])
    assert (result.exit_code, result.output) == (
        0,
        "ok: 1 files, 1 tests, 3 checks, 0 failures, 0 problems\n",
    )
    write(tmp_path, PASSING.replace('summary: "cpu 95 on a"', 'summary: "cpu 96 on a"'))
    result = CliRunner().invoke(rules_test_command, [str(tmp_path / "tests")])
    assert result.exit_code == 1
    assert "FAILED " in result.output and "summary='cpu 96 on a'" in result.output
    assert result.output.endswith("FAILED: 1 files, 1 tests, 3 checks, 1 failures, 0 problems\n")
