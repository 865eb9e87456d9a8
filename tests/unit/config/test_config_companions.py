"""``alerter rules check`` covers the config files beside the rules, not only the rule files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerter.cli.rules import rules
from alerter.config.check import run_check

RULES = Path(__file__).resolve().parents[3] / "rules"


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("tests"))
    return target


def test_the_shipped_directory_checks_clean_including_its_companions() -> None:
    report = run_check([RULES])
    assert report.problems == ()
    checked = {Path(f).name for f in report.files}
    assert {"oncall.yaml", "routing.yaml", "correlation.yaml", "topology.yaml", "maintenance.yaml"} <= checked


@pytest.mark.parametrize(
    ("name", "append", "expected"),
    [
        ("oncall.yaml", "\nbogus: 1\n", 'unknown field "bogus"'),
        ("routing.yaml", "\nbogus: 1\n", 'unknown field "bogus"'),
        ("correlation.yaml", "\nbogus: 1\n", 'unknown field "bogus"'),
        ("topology.yaml", "\nbogus: 1\n", 'unknown field "bogus"'),
        ("maintenance.yaml", "\nbogus: 1\n", 'unknown field "bogus"'),
    ],
)
def test_a_broken_companion_file_is_a_located_problem(
    rules_copy: Path, name: str, append: str, expected: str
) -> None:
    path = rules_copy / name
    lines_before = path.read_text().count("\n")
    path.write_text(path.read_text() + append)
    report = run_check([rules_copy])
    mine = [p for p in report.problems if p.path == str(path)]
    assert mine, report.problems
    assert any(expected in p.message and p.line == lines_before + 2 for p in mine), mine


def test_cli_exit_code_follows_companion_problems(rules_copy: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(rules, ["check", str(rules_copy)]).exit_code == 0
    (rules_copy / "oncall.yaml").write_text("rotation: [\n")
    result = runner.invoke(rules, ["check", str(rules_copy)])
    assert result.exit_code == 1
    assert f"{rules_copy / 'oncall.yaml'}:" in result.output and "YAML syntax error" in result.output


def test_an_explicitly_named_companion_file_is_checked_as_what_it_is(rules_copy: Path) -> None:
    report = run_check([rules_copy / "oncall.yaml"])
    assert report.problems == () and report.rules == 0
