"""Each known routing-file mistake in ``tests/routing_bad`` gives exactly the messages it expects,
and the example ``rules/routing.yaml`` has none.

A case is a ``NAME.bad.yaml`` whose ``# expect: ...`` lines are the complete, exact problems
:func:`check_routing` reports for it, run from ``tests/routing_bad`` (rotation files it names are
relative to it, e.g. ``../../rules/oncall.yaml``).
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

import alerter.config.routing as routing_module
from alerter.config.oncall import load_oncall
from alerter.config.routing import check_routing, load_routing, load_routing_config, parse_routing

ROOT = Path(__file__).parents[3]
ROUTING_BAD = ROOT / "tests" / "routing_bad"
CASES = sorted(p.name for p in ROUTING_BAD.glob("*.bad.yaml"))
EXAMPLE = ROOT / "rules" / "routing.yaml"


def expected_messages(case: Path) -> list[str]:
    lines = case.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


def test_there_is_a_case_for_each_known_mistake() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES)
def test_bad_routing_file_gives_exactly_its_expected_messages(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = expected_messages(ROUTING_BAD / case)
    assert expected, f"{case} has no '# expect: ' lines"
    monkeypatch.chdir(ROUTING_BAD)
    assert [str(p) for p in check_routing(case)] == expected


def test_the_example_is_valid_with_its_rotation_file() -> None:
    config, problems = load_routing_config(EXAMPLE)
    assert problems == []
    assert config is not None
    assert list(config.rotations) == ["platform"]
    assert len(config.policy.routing.routes) == 2


def test_a_spec_already_loaded_is_used_instead_of_reading_the_file(tmp_path: Path) -> None:
    spec, _ = load_oncall(ROOT / "rules" / "oncall.yaml")
    assert spec is not None
    moved = tmp_path / "routing.yaml"
    moved.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")  # oncall.yaml is not beside it
    assert check_routing(moved, spec) == []
    assert [p.message for p in check_routing(moved)] == [
        f'routing.rotations: rotation "platform": no such file {tmp_path / "oncall.yaml"}'
    ]


def test_load_routing_checks_the_file_alone() -> None:
    policy, problems = load_routing(ROUTING_BAD / "final_unknown_member.bad.yaml")
    assert problems == []  # members are only known with the rotation files
    assert policy is not None and policy.escalation.final is not None


def test_a_broken_rotation_file_reports_its_own_problems(tmp_path: Path) -> None:
    (tmp_path / "oncall.yaml").write_text("rotation: {}\n", encoding="utf-8")
    (tmp_path / "routing.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    problems = check_routing(tmp_path / "routing.yaml")
    assert problems and {p.path for p in problems} == {str(tmp_path / "oncall.yaml")}


def test_the_module_docstring_example_passes_the_schema_and_name_checks() -> None:
    doc = routing_module.__doc__ or ""
    example = dedent(doc.split("::\n", 1)[1].split("\nSemantics", 1)[0])
    policy, problems = parse_routing(example, "doc.yaml")
    assert problems == []
    assert policy is not None and [r.rotation for r in policy.routing.routes] == ["data"]
