"""``alerter rules ...``: commands for people editing rule files (pre-commit hooks, rules repo CI).

Thin: the work is in :mod:`alerter.config.check`. ``alerter rules check`` prints one
``path:line:col: rule "NAME": what is wrong (expected ...)`` line per problem on stdout (editors and
CI annotate from it), then a one-line summary on stderr, and exits 1 if anything is wrong.
"""

from __future__ import annotations

from pathlib import Path

import click

from alerter.config.check import run_check
from alerter.errors import Problem

DEFAULT_RULES_PATH = "rules/"


@click.group(name="rules")
def rules() -> None:
    """Work with alert rule files."""


@rules.command(name="check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default="text",
    help="github: GitHub Actions ::error annotations, shown on the pull request's lines.",
)
def check(paths: tuple[Path, ...], output_format: str) -> None:
    """Check rule files (default: rules/); exit 1 if any problem is found.

    Directories are walked recursively (*.yaml, *.yml), skipping tests/ subfolders and the
    non-rule files correlation.yaml, topology.yaml, oncall.yaml and maintenance*.yaml. Check the
    whole rules directory, not single files: rule names must be unique across all of them.
    """
    report = run_check(paths or (Path(DEFAULT_RULES_PATH),))
    for problem in report.problems:
        click.echo(_github(problem) if output_format == "github" else str(problem))
    if report.problems:
        bad_files = len({p.path for p in report.problems})
        click.echo(f"{_count(len(report.problems), 'problem')} in {_count(bad_files, 'file')}", err=True)
        raise SystemExit(1)
    click.echo(f"ok: {_count(report.rules, 'rule')} in {_count(len(report.files), 'file')}", err=True)


def _github(problem: Problem) -> str:
    """A workflow command; see docs.github.com/actions/reference/workflow-commands-for-github-actions."""
    message = problem.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::error file={problem.path},line={problem.line},col={problem.col}::{message}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


__all__ = ["check", "rules"]
