"""``alerter route`` through click's CliRunner on the example ``rules/routing.yaml`` and
``rules/oncall.yaml``, with the time given by ``--at`` or an injected FakeClock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rotation_specs import utc

from alerter.cli.route import parse_labels, route_cmd, route_command
from alerter.clock import FakeClock, from_datetime

RULES = Path(__file__).parents[3] / "rules"
ROUTING = str(RULES / "routing.yaml")
DURING_OVERRIDE = "2026-03-03T19:00+01:00"  # week 8: david covers ben's evening, clara is sub


def run(*args: str, clock: FakeClock | None = None) -> tuple[int, str, str]:
    command = route_command(clock) if clock else route_cmd
    result = CliRunner().invoke(command, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_prints_who_is_paged_why_and_the_escalation_timeline() -> None:
    code, out, _ = run("--labels", "team=data,env=prod", "--at", DURING_OVERRIDE, "--routing", ROUTING)
    assert code == 0, out
    assert out.splitlines() == [
        "labels   env=prod, team=data",
        "at       2026-03-03T19:00+01:00",
        "rotation platform",
        "primary  David Richter (david) <david.richter@example.com>",
        "sub      Clara Wolf (clara) <clara.wolf@example.com>",
        "final    Anna Becker (anna) <anna.becker@example.com>",
        "why",
        "  route 1 matches {team: data, env: prod}: rotation platform",
        "  primary of week 8 from 2026-03-02T10:00+01:00 to 2026-03-09T10:00+01:00: ben by the order",
        "  override 1: david replaces ben as primary from 2026-03-03T18:00+01:00 to 2026-03-04T08:00+01:00 (Ben at a school concert)",
        "  ben is unavailable from 2026-03-03T18:00+01:00 to 2026-03-04T08:00+01:00 (school concert)",
        "  sub of week 8 from 2026-03-02T10:00+01:00 to 2026-03-09T10:00+01:00: clara by the order",
        "  final target Anna Becker (anna) (escalation.final)",
        "escalation if nobody acknowledges (an ack or resolve stops it)",
        "  2026-03-03T19:00+01:00  +0s     primary  L1 David Richter (david) via pagerduty",
        "  2026-03-03T19:05+01:00  +5m     sub      L2 Clara Wolf (clara) via pagerduty  (recorded: PagerDuty escalates)",
        "  2026-03-03T19:15+01:00  +15m    final    L3 Anna Becker (anna) via pagerduty  (recorded: PagerDuty escalates)",
        "  2026-03-03T19:45+01:00  +45m    renotify L1 David Richter (david) via pagerduty  (recorded: PagerDuty escalates)",
        "  2026-03-03T19:45+01:00  +45m    renotify L2 Clara Wolf (clara) via pagerduty  (recorded: PagerDuty escalates)",
        "  2026-03-03T19:45+01:00  +45m    renotify L3 Anna Becker (anna) via pagerduty  (recorded: PagerDuty escalates)",
        "  2026-03-03T20:15+01:00  +1h15m  renotify L1 David Richter (david) via pagerduty  (recorded: PagerDuty escalates)",
        "  2026-03-03T20:15+01:00  +1h15m  renotify L2 Clara Wolf (clara) via pagerduty  (recorded: PagerDuty escalates)",
        "  2026-03-03T20:15+01:00  +1h15m  renotify L3 Anna Becker (anna) via pagerduty  (recorded: PagerDuty escalates)",
    ]


def test_staging_labels_take_the_staging_route_and_page_channels_alerter_escalates() -> None:
    code, out, _ = run("--labels", "env=stg", "--at", "2026-03-05T12:00Z", "--routing", ROUTING)
    assert code == 0, out
    assert "  route 2 matches {env: [stg, dev]}: rotation platform" in out
    assert "final    channel ops-slack (webhook)" in out
    assert (
        "  2026-03-05T13:30+01:00  +30m    sub      L2 Clara Wolf (clara) via ops-slack" in out.splitlines()
    )
    assert "renotify" not in out  # max_renotify: 0 on that route


def test_now_comes_from_the_clock() -> None:
    clock = FakeClock(from_datetime(utc(DURING_OVERRIDE)))
    code, out, _ = run("--labels", "team=edge", "--routing", ROUTING, clock=clock)
    assert code == 0, out
    assert "at       2026-03-03T19:00+01:00" in out
    assert "  no route matches team=edge: the default rotation platform" in out


def test_without_a_routing_file_the_oncall_file_alone_routes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rules").mkdir()
    shutil.copy(RULES / "oncall.yaml", tmp_path / "rules" / "oncall.yaml")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("--labels", "team=data", "--at", DURING_OVERRIDE)
    assert code == 0, out
    assert "final    (none: no final level)" in out
    assert (
        "  2026-03-03T19:10+01:00  +10m    sub      L2 Clara Wolf (clara) via pagerduty  (recorded: PagerDuty escalates)"
        in out
    )


def test_oncall_option_replaces_the_rotation_file(tmp_path: Path) -> None:
    other = tmp_path / "oncall.yaml"
    other.write_text(
        (RULES / "oncall.yaml")
        .read_text(encoding="utf-8")
        .replace("name: Ben Schulz", "name: Benjamin Schulz"),
        encoding="utf-8",
    )
    code, out, _ = run(
        "--labels", "team=edge", "--at", "2026-01-13T12:00Z", "--routing", ROUTING, "--oncall", str(other)
    )
    assert code == 0, out
    assert "primary  Benjamin Schulz (ben) <ben.schulz@example.com>" in out


def test_a_routing_file_with_problems_is_not_used() -> None:
    bad = Path(__file__).parents[3] / "tests" / "routing_bad" / "bare_duration.bad.yaml"
    code, out, err = run("--labels", "team=data", "--at", DURING_OVERRIDE, "--routing", str(bad))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f'{bad}:7:19: field "escalation.escalate_after": 10 has no unit (expected a duration such as 10s or 10m)'
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--labels", "team"], "'team' is not k=v"),
        (["--labels", "team=data", "--at", "2026-03-03T19:00"], "has no timezone offset"),
        (["--labels", "team=data", "--at", "yesterday"], "is not an ISO 8601 time"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], message: str) -> None:
    code, _, err = run(*args, "--routing", ROUTING)
    assert code == 2
    assert message in err


def test_before_the_rotation_starts_is_an_error() -> None:
    code, _, err = run("--labels", "team=data", "--at", "2025-12-01T00:00Z", "--routing", ROUTING)
    assert code == 1
    assert "nobody is on call" in err


def test_parse_labels() -> None:
    assert parse_labels(" team = data , env=prod,,") == {"team": "data", "env": "prod"}
    assert parse_labels("") == {}
