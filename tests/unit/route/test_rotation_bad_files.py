"""Each known on-call file mistake in ``tests/oncall_bad`` gives exactly the messages it expects,
and the example ``rules/oncall.yaml`` has none.

A case is a ``NAME.bad.yaml`` whose ``# expect: ...`` lines are the complete, exact problems
:func:`check_oncall` reports for it, run from ``tests/oncall_bad``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alerter.config.oncall import check_oncall, load_oncall

ROOT = Path(__file__).parents[3]
ONCALL_BAD = ROOT / "tests" / "oncall_bad"
CASES = sorted(p.name for p in ONCALL_BAD.glob("*.bad.yaml"))


def expected_messages(case: Path) -> list[str]:
    lines = case.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


def test_there_is_a_case_for_each_known_mistake() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_bad_oncall_file_gives_exactly_its_expected_messages(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = expected_messages(ONCALL_BAD / case)
    assert expected, f"{case} has no '# expect: ' lines"
    monkeypatch.chdir(ONCALL_BAD)
    assert [str(p) for p in check_oncall(case)] == expected


def test_a_file_with_problems_gives_no_spec() -> None:
    spec, problems = load_oncall(ONCALL_BAD / "unavailable_uncovered.bad.yaml")
    assert spec is None
    assert len(problems) == 2


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    [problem] = check_oncall(tmp_path / "oncall.yaml")
    assert (problem.line, problem.col) == (1, 1)
    assert problem.message.startswith("cannot read file: ")


def test_the_example_rotation_is_valid_and_has_each_kind_of_entry() -> None:
    spec, problems = load_oncall(ROOT / "rules" / "oncall.yaml")
    assert problems == []
    assert spec is not None
    assert len(spec.members) == 7
    assert sorted({m.timezone for m in spec.members}) == ["America/New_York", "Europe/Berlin"]
    assert (len(spec.overrides), len(spec.swaps), len(spec.unavailability)) == (1, 1, 1)
