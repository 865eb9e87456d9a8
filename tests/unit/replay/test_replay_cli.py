"""``alerter replay`` end to end through click: inputs, outputs, and errors for the person at the terminal."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from replay_world import RULE_FILES, RULES_DIR, T0

from alerter.cli.replay import progress_bar, replay
from alerter.incidents.store import IncidentStore
from alerter.replay import iso

POLICY = [
    "--correlation", str(RULES_DIR / "correlation.yaml"),
    "--topology", str(RULES_DIR / "topology.yaml"),
    "--oncall", str(RULES_DIR / "oncall.yaml"),
    "--maintenance", str(RULES_DIR / "maintenance.yaml"),
]  # fmt: skip
RULES = [arg for path in RULE_FILES for arg in ("--rules", str(path))]


def line(host: str, env: str, state: str, t: float) -> str:
    return json.dumps(
        {"host": host, "service": "disk /", "state": state, "time": t, "attributes": {"env": env}}
    )


def export(tmp_path: Path) -> Path:
    """web-1 (prod) critical from +60 to +300 (the rotation's first handoff is at +3600), a bad line 3."""
    path = tmp_path / "export.jsonl"
    rows = [line("web-1", "prod", "ok", T0), line("web-1", "prod", "critical", T0 + 60), "{oops"]
    rows += [line("web-1", "prod", "critical", T0 + 3660), line("web-1", "prod", "ok", T0 + 3700)]
    path.write_text("\n".join(rows) + "\n")
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(replay, list(args))


def test_an_event_history_is_replayed_and_a_bad_line_is_reported_and_skipped(tmp_path: Path) -> None:
    path, pages, incidents = export(tmp_path), tmp_path / "pages.jsonl", tmp_path / "incidents.jsonl"

    result = invoke("--events", str(path), *POLICY, "--out", str(pages), "--incidents", str(incidents))

    assert result.exit_code == 0, result.output
    assert (
        f"{path}:3:1: not JSON: Expecting property name enclosed in double quotes (column 2) (line skipped)"
        in (result.stderr)
    )
    assert f"{path}: 1 bad lines skipped" in result.stderr
    assert "replaying" not in result.stderr  # no progress bar when stderr is not a terminal
    assert "alerts 1  incidents 1  pages 1" in result.stdout
    [page] = [json.loads(x) for x in pages.read_text().splitlines()]
    assert (page["time"], page["hosts"], page["target"]) == (iso(T0 + 60), ["web-1"], None)
    [incident] = [json.loads(x) for x in incidents.read_text().splitlines()]
    assert [(a["host"], a["first"], a["last"]) for a in incident["alerts"]] == [
        ("web-1", iso(T0 + 60), iso(T0 + 3700))
    ]


def test_the_target_is_the_rotations_primary_at_the_page_time(tmp_path: Path) -> None:
    path = tmp_path / "late.jsonl"
    path.write_text(line("web-1", "prod", "critical", T0 + 3660) + "\n")
    result = invoke("--events", str(path), *POLICY, "--out", "-")
    assert result.exit_code == 0, result.output
    [page] = [json.loads(x) for x in result.stdout.splitlines()]
    assert page["target"] == "anna"  # the shipped rotation's first primary, from 09:00Z
    assert "pages 1" in result.stderr  # the summary moves to stderr when pages go to stdout


def test_without_a_correlation_policy_nothing_pages_and_it_says_so(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    result = invoke("--events", str(export(tmp_path)), "--rules", str(rules))
    assert result.exit_code == 0, result.output
    assert (
        f"{rules / 'correlation.yaml'}: not found; default policy (one incident per alert, nothing pages)"
        in (result.stderr)
    )
    assert "incidents 1  pages 0" in result.stdout


def test_the_demo_data_set_replays_over_a_chosen_window(tmp_path: Path) -> None:
    result = invoke("--demo", *RULES, "--start", "2026-01-05T08:20:00Z",
                    "--end", "2026-01-05T09:40:00+01:00", "--out", "-")  # fmt: skip
    assert result.exit_code == 0, result.output
    pages = [json.loads(x) for x in result.stdout.splitlines()]
    # cpu_saturation (api-prod-03) opens and pages; memory_leak (runner-prod-05) pages on escalation
    assert [p["hosts"] for p in pages] == [["api-prod-03"], ["runner-prod-05"]]
    assert "replay 2026-01-05T08:20:00Z .. 2026-01-05T08:40:00Z: 0.33 h simulated" in result.stderr


def test_a_bad_time_is_refused_with_the_accepted_forms(tmp_path: Path) -> None:
    result = invoke("--events", str(export(tmp_path)), *POLICY, "--start", "yesterday")
    assert result.exit_code == 2
    assert "time 'yesterday' is not a time (expected ISO-8601 with an offset" in result.stderr


def test_an_end_before_the_start_is_refused(tmp_path: Path) -> None:
    result = invoke("--events", str(export(tmp_path)), *POLICY, "--start", "now", "--end", "now-1h")
    assert result.exit_code == 2
    assert "--end (now-1h) is before --start (now)" in result.stderr


def test_rules_with_problems_are_listed_and_nothing_runs(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text("groups:\n  - name: g\n    rules:\n      - name: r\n")
    result = invoke("--demo", "--rules", str(rules), *POLICY)
    assert result.exit_code == 1
    assert "rules do not load:" in result.stderr
    assert f"{rules / 'bad.yaml'}:4:" in result.stderr


def test_a_store_that_already_holds_incidents_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'used.db'}"
    first = invoke("--events", str(export(tmp_path)), *POLICY, "--db-url", url)
    assert first.exit_code == 0, first.output
    with IncidentStore(url) as store:
        assert store.dialect == "sqlite"
    again = invoke("--events", str(export(tmp_path)), *POLICY, "--db-url", url)
    assert again.exit_code == 1
    assert f"incident store {url} already holds 1 incident(s); a replay needs an empty one" in again.stderr


def test_events_and_demo_are_two_inputs_not_one(tmp_path: Path) -> None:
    result = invoke("--events", str(export(tmp_path)), "--demo")
    assert result.exit_code == 2
    assert "--events and --demo are two different inputs: give one" in result.stderr


def test_an_export_without_a_usable_event_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text('{"host": "a"}\n')
    result = invoke("--events", str(path), *POLICY)
    assert result.exit_code == 1
    assert f"{path}:1:1: event lacks service, state, time" in result.stderr
    assert f"{path}: no usable events" in result.stderr


def test_a_file_of_past_maintenance_windows_keeps_their_alerts_from_paging(tmp_path: Path) -> None:
    windows = tmp_path / "windows.yaml"
    windows.write_text(
        "windows:\n"
        "  - id: web-1-reboot\n"
        "    hosts: [web-1]\n"
        "    start: 2026-01-05T08:00:00Z\n"
        "    end: 2026-01-05T08:30:00Z\n"
        "    owner: platform\n"
        "    reason: kernel update\n"
    )
    result = invoke("--events", str(export(tmp_path)), *POLICY[:4], "--maintenance", str(windows))
    assert result.exit_code == 0, result.output
    # the +60 alert opens nothing; firing again at +3660, after the window, it pages
    assert "incidents 1  pages 1" in result.stdout
    assert "suppressed: maintenance 1" in result.stdout


def test_a_broken_maintenance_file_stops_the_replay_with_located_problems(tmp_path: Path) -> None:
    windows = tmp_path / "windows.yaml"
    windows.write_text("windows:\n  - id: x\n    hosts: [web-1]\n")
    result = invoke("--events", str(export(tmp_path)), *POLICY[:4], "--maintenance", str(windows))
    assert result.exit_code == 1
    assert "policy files do not load:" in result.stderr
    assert f"{windows}:2:" in result.stderr


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_progress_bar_over_simulated_time_is_drawn_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar(T0, T0 + 3600) as tell:
        assert tell is not None
        tell(T0 + 1800)
        tell(T0 + 3600)
    assert "replaying" in terminal.getvalue() and "100%" in terminal.getvalue()

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with progress_bar(T0, T0 + 3600) as tell:
        assert tell is None
