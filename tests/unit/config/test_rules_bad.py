"""Each known rule-file mistake in ``tests/rules_bad`` gives exactly the messages its file expects.

A case is a ``NAME.bad.yaml`` file, or a ``NAME.bad/`` folder of rule files (for mistakes across
files). Its ``# expect: ...`` comment lines are the complete, exact output of ``rules check`` run
from ``tests/rules_bad`` on that case. To add a case: write the file with a ``# why`` line and one
``# expect: ?`` line, run ``alerter rules check NAME.bad.yaml`` there, and paste the messages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alerter.config.check import check_rules

RULES_BAD = Path(__file__).parents[2] / "rules_bad"
CASES = sorted(p.name for p in RULES_BAD.iterdir() if p.name.endswith((".bad.yaml", ".bad")))


def expected_messages(case: Path) -> list[str]:
    files = sorted(case.rglob("*.yaml")) if case.is_dir() else [case]
    return [
        line.removeprefix("# expect: ")
        for f in files
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


def test_there_is_a_case_for_each_known_mistake() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_bad_rule_file_gives_exactly_its_expected_messages(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = expected_messages(RULES_BAD / case)
    assert expected, f"{case} has no '# expect: ' lines"
    monkeypatch.chdir(RULES_BAD)
    assert [str(p) for p in check_rules([case])] == expected
