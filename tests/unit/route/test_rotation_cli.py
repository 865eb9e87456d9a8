"""``alerter oncall`` through click's CliRunner on the example ``rules/oncall.yaml``, with the time
given by ``--at`` or by an injected FakeClock."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from rotation_specs import utc

from alerter.cli.oncall import oncall, oncall_command
from alerter.clock import FakeClock, from_datetime

EXAMPLE = str(Path(__file__).parents[3] / "rules" / "oncall.yaml")
DURING_OVERRIDE = "2026-03-03T19:00+01:00"  # week 8: david covers ben's evening, clara is sub


def run(*args: str, clock: FakeClock | None = None) -> tuple[int, str, str]:
    command = oncall_command(clock) if clock else oncall
    result = CliRunner().invoke(command, ["--file", EXAMPLE, *args])
    return result.exit_code, result.stdout, result.stderr


def test_table_shows_now_next_and_shifts_with_reasons() -> None:
    code, out, _ = run("--at", DURING_OVERRIDE, "--weeks", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == [
        "rotation platform: handoff Mondays 10:00 Europe/Berlin",
        "now  2026-03-03T19:00+01:00 (week 8)",
        "  primary  David Richter (david) <david.richter@example.com>  until 2026-03-04T08:00+01:00",
    ]
    assert (
        "           override 1: david replaces ben as primary from 2026-03-03T18:00+01:00 to 2026-03-04T08:00+01:00 (Ben at a school concert)"
        in lines
    )
    assert "next 2026-03-09T10:00+01:00 (week 9)" in lines
    rows = [line for line in lines if line[:1].isdigit()]
    assert len(rows) == 6  # week 8: primary in 3 pieces + sub; week 9: primary + sub


def test_table_shows_each_shift_in_the_members_own_time() -> None:
    code, out, _ = run("--at", "2026-02-17T12:00Z", "--weeks", "1")
    assert code == 0
    grace = [line for line in out.splitlines() if "Grace Miller (grace)" in line and line[:1].isdigit()]
    assert grace and grace[0].endswith("Mon 04:00 EST")


def test_json_report() -> None:
    code, out, _ = run("--at", DURING_OVERRIDE, "--weeks", "2", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["at"] == "2026-03-03T18:00:00Z"
    assert (report["now"]["primary"]["id"], report["now"]["sub"]["id"]) == ("david", "clara")
    assert report["now"]["primary"]["pagerduty_user_id"] == "PDAVID4"
    assert [r["why"] for r in report["now"]["reasons"]] == ["schedule", "override", "unavailable", "schedule"]
    assert (report["next"]["week"], report["next"]["primary"]["id"], report["next"]["sub"]["id"]) == (
        9,
        "clara",
        "david",
    )
    assert [(s["role"], s["member"]["id"], s["start"]) for s in report["shifts"][:3]] == [
        ("primary", "ben", "2026-03-02T09:00:00Z"),
        ("sub", "clara", "2026-03-02T09:00:00Z"),
        ("primary", "david", "2026-03-03T17:00:00Z"),
    ]


def test_swapped_weeks_show_the_effective_schedule() -> None:
    code, out, _ = run("--at", "2026-03-16T09:00Z", "--weeks", "3", "--format", "json")
    assert code == 0
    primaries = [(s["week"], s["member"]["id"]) for s in json.loads(out)["shifts"] if s["role"] == "primary"]
    assert primaries == [(10, "felix"), (11, "eva"), (12, "david")]


def test_ics_uses_the_clock_for_dtstamp_and_now() -> None:
    clock = FakeClock(from_datetime(utc("2026-03-10T12:00Z")))
    result = CliRunner().invoke(oncall_command(clock), ["--file", EXAMPLE, "--format", "ics", "--weeks", "1"])
    assert result.exit_code == 0
    out = result.stdout_bytes.decode("utf-8")
    assert out.startswith("BEGIN:VCALENDAR\r\n")
    assert out.endswith("END:VCALENDAR\r\n")
    assert out.count("BEGIN:VEVENT") == 2
    assert "DTSTAMP:20260310T120000Z\r\n" in out
    assert "UID:platform-primary-20260309T090000Z@alerter\r\n" in out


def test_a_file_with_problems_prints_them_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "oncall.yaml"
    bad.write_text(Path(EXAMPLE).read_text(encoding="utf-8").replace("replaces: ben", "replaces: anna"))
    result = CliRunner().invoke(oncall, ["--file", str(bad), "--at", DURING_OVERRIDE])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f'{bad}:27:15: override 1 (david): "anna" is not primary from 2026-03-03T18:00+01:00 '
        "to 2026-03-04T08:00+01:00 (ben is)\n"
    )


def test_at_needs_an_offset() -> None:
    code, _, err = run("--at", "2026-03-03T19:00")
    assert code == 2
    assert "'2026-03-03T19:00' has no timezone offset" in err


def test_before_the_rotation_starts_nobody_is_on_call() -> None:
    code, _, err = run("--at", "2025-12-01T00:00Z")
    assert code == 1
    assert 'rotation "platform" starts at 2026-01-05T10:00+01:00: nobody is on call' in err
