"""``alerter rules test [FILE...]``: run rule unit tests without a server (promtool-style).

Thin command over :func:`alerter.evaluate.ruletest.run_rule_tests`: prints every problem and
failure (expected vs got, per eval time), a one-line summary, and exits 1 when anything failed.
"""

from __future__ import annotations

from pathlib import Path

import click

from alerter.evaluate.ruletest import RuleTestReport, run_rule_tests

DEFAULT_PATH = Path("rules/tests")


@click.command("test")
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
def test(files: tuple[Path, ...]) -> None:
    """Run rule unit tests in FILES (files or directories; default: rules/tests)."""
    report = run_rule_tests(list(files) or [DEFAULT_PATH])
    _print(report)
    if not report.ok:
        raise SystemExit(1)


def _print(report: RuleTestReport) -> None:
    for problem in report.problems:
        click.echo(str(problem), err=True)
    for failure in report.failures:
        click.echo(f"FAILED {failure}", err=True)
    status = "ok" if report.ok else "FAILED"
    click.echo(
        f"{status}: {len(report.files)} files, {report.tests} tests, {report.checks} checks, "
        f"{len(report.failures)} failures, {len(report.problems)} problems"
    )
