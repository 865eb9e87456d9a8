"""Files of maintenance windows (``rules/maintenance.yaml``, ``replay --maintenance FILE``).

Each known mistake is a ``tests/maintenance_bad/NAME.bad.yaml`` whose ``# expect: ...`` lines are
the complete, exact problems :func:`load_maintenance` reports for it, run from that folder.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerter.config.maintenance import (
    MaintenanceWindow,
    Matcher,
    Recurrence,
    load_maintenance,
    parse_maintenance,
)
from alerter.route.maintenance import MaintenanceBook

ROOT = Path(__file__).parents[3]
BAD = ROOT / "tests" / "maintenance_bad"
CASES = sorted(p.name for p in BAD.glob("*.bad.yaml"))
BERLIN = ZoneInfo("Europe/Berlin")


def expected_messages(case: Path) -> list[str]:
    lines = case.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


def test_there_is_a_case_for_each_known_mistake() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_bad_file_gives_exactly_its_expected_messages_and_no_windows(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = expected_messages(BAD / case)
    assert expected, f"{case} has no '# expect: ' lines"
    monkeypatch.chdir(BAD)
    windows, problems = load_maintenance(case)
    assert [str(p) for p in problems] == expected
    assert windows == ()


def test_every_problem_of_a_file_is_reported_sorted() -> None:
    text = """\
windows:
  - id: a
    hosts: [web1]
    start: 2026-11-20T10:00:00
    end: 2026-11-20T10:30:00+01:00
    owner: web
    reason: r
  - id: b
    start: 2026-11-20T10:00:00+01:00
    end: 2026-11-20T10:30:00+01:00
    owner: web
    reason: r
    colour: red
"""
    _, problems = parse_maintenance(text, "m.yaml")
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (4, 'window "a"'),
        (13, 'window "b"'),
    ]


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    windows, [problem] = load_maintenance(tmp_path / "maintenance.yaml")
    assert windows == ()
    assert (problem.line, problem.col) == (1, 1)
    assert problem.message.startswith("cannot read file: ")


def test_the_example_file_is_a_weekly_dev_patch_window_in_berlin() -> None:
    windows, problems = load_maintenance(ROOT / "rules" / "maintenance.yaml")
    assert problems == []
    [w] = windows
    assert w.recurrence == Recurrence("0 2 * * SUN", 7200.0, "Europe/Berlin")
    assert w.matchers == (Matcher.parse('env="dev"'),)
    assert (w.owner, w.expires_at) == ("platform", datetime(2027, 6, 30, tzinfo=BERLIN).timestamp())
    book = MaintenanceBook(windows)
    sunday = datetime(2026, 11, 22, 2, 30, tzinfo=BERLIN).timestamp()
    assert book.reason({"env": "dev", "host": "dev-web1"}, sunday) is not None
    assert book.reason({"env": "prod", "host": "web1"}, sunday) is None


def test_a_replay_file_of_past_windows_of_both_kinds() -> None:
    text = """\
windows:
  - id: release-42
    hosts: [web1, web2]
    match: ['role=~"web|api"']
    start: "2026-11-20T10:00:00+01:00"
    end: 2026-11-20T10:30:00Z
    owner: web
    reason: release 42
    created_by: deploy-bot
  - id: nightly
    match: [env=dev]
    cron: "30 1 * * *"
    duration: 45m
    timezone: America/New_York
    start: 2026-11-01T00:00:00-04:00  # still EDT until 02:00
    owner: qa
    reason: nightly reset
    expires: 2026-12-01T00:00:00-05:00
"""
    windows, problems = parse_maintenance(text, "past.yaml")
    assert problems == []
    assert windows == (
        MaintenanceWindow(
            id="release-42",
            hosts=("web1", "web2"),
            matchers=(Matcher.parse("role=~web|api"),),
            start=datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("UTC")).timestamp(),
            end=datetime(2026, 11, 20, 10, 30, tzinfo=ZoneInfo("UTC")).timestamp(),
            owner="web",
            reason="release 42",
            created_by="deploy-bot",
        ),
        MaintenanceWindow(
            id="nightly",
            matchers=(Matcher.parse("env=dev"),),
            start=datetime(2026, 11, 1, tzinfo=ZoneInfo("America/New_York")).timestamp(),
            recurrence=Recurrence("30 1 * * *", 2700.0, "America/New_York"),
            owner="qa",
            reason="nightly reset",
            expires_at=datetime(2026, 12, 1, tzinfo=ZoneInfo("America/New_York")).timestamp(),
        ),
    )
