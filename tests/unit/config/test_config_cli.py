"""`alerter rules check` through click: problems on stdout, a summary on stderr, exit status."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerter.cli.rules import rules

GOOD = Path(__file__).parent / "good_rules"
BAD = Path(__file__).parents[2] / "rules_bad"


def test_clean_rules_exit_0_with_a_summary_on_stderr() -> None:
    result = CliRunner().invoke(rules, ["check", str(GOOD)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "ok: 6 rules in 2 files\n")


def test_problems_are_printed_one_per_line_and_exit_1() -> None:
    result = CliRunner().invoke(
        rules, ["check", str(BAD / "bad_duration.bad.yaml"), str(BAD / "empty.bad.yaml")]
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        str(BAD / n) for n in ("bad_duration.bad.yaml",) * 2 + ("empty.bad.yaml",)
    ]
    assert result.stderr == "3 problems in 2 files\n"


def test_default_path_is_rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(GOOD, tmp_path / "rules")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(rules, ["check"])
    assert (result.exit_code, result.stderr) == (0, "ok: 6 rules in 2 files\n")


def test_a_missing_rules_dir_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(rules, ["check"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "rules:1:1: no such file or directory\n",
        "1 problem in 1 file\n",
    )


def test_github_format_annotates_the_line() -> None:
    case = BAD / "unknown_key.bad.yaml"
    result = CliRunner().invoke(rules, ["check", "--format", "github", str(case)])
    assert result.exit_code == 1
    assert result.stdout.startswith(
        f'::error file={case},line=9,col=9::rule "cpu_high": unknown field "fro" (expected'
    )
