"""``alerter oncall-sync`` through click's CliRunner against the fake PagerDuty over real HTTP,
with the time from a FakeClock: dry run, first and second run, routing timings, and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from alerter.cli.oncall_sync import oncall_sync_command
from alerter.clock import FakeClock
from integrations.pagerduty.fake import FakePagerDuty

TOKEN = "cli-sync-token"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TEAM = ("anna", "ben", "clara")
WRITES = ("POST", "PUT", "DELETE")


@pytest.fixture
def fake() -> Iterator[FakePagerDuty]:
    with FakePagerDuty(api_token=TOKEN) as pd:
        yield pd
        assert pd.violations == []


@pytest.fixture
def oncall_file(fake: FakePagerDuty, tmp_path: Path) -> Path:
    ids = {m: fake.rest.store.add_user(m.capitalize(), f"{m}@example.com")["id"] for m in TEAM}
    data: dict[str, Any] = {
        "rotation": {
            "name": "web",
            "start": "2026-01-05",
            "handoff": {"weekday": "monday", "time": "10:00", "timezone": "Europe/Berlin"},
            "order": list(TEAM),
        },
        "members": [
            {
                "id": m,
                "name": m.capitalize(),
                "email": f"{m}@example.com",
                "pagerduty_user_id": ids[m],
                "timezone": "Europe/Berlin",
            }
            for m in TEAM
        ],
        "swaps": [{"weeks": ["2026-03-09", "2026-03-16"], "members": ["anna", "ben"]}],
    }
    path = tmp_path / "oncall.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run(fake: FakePagerDuty, oncall_file: Path, *args: str, token: str | None = TOKEN) -> Result:
    env = {"PAGERDUTY_TOKEN": token} if token is not None else {"PAGERDUTY_TOKEN": ""}
    command = oncall_sync_command(FakeClock(NOW.timestamp()))
    return CliRunner().invoke(
        command,
        ["--file", str(oncall_file), "--api-url", fake.url, "--from-email", "bot@example.com", *args],
        env=env,
    )


def writes(fake: FakePagerDuty) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.received if r.method in WRITES]


def test_dry_run_prints_the_plan_and_writes_nothing(fake: FakePagerDuty, oncall_file: Path) -> None:
    result = run(fake, oncall_file, "--dry-run", "--weeks", "4")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "dry run: nothing written. The plan:",
        'create schedule primary: "alerter: web primary" does not exist',
        'create schedule sub: "alerter: web sub" does not exist',
    ]
    assert "    + clara (" in result.stdout
    assert result.stdout.splitlines()[-1] == 'create escalation policy: "alerter: web" does not exist'
    assert writes(fake) == []


def test_first_run_writes_second_run_is_up_to_date(fake: FakePagerDuty, oncall_file: Path) -> None:
    first = run(fake, oncall_file)
    assert first.exit_code == 0, first.output
    # 2 schedules, 4 overrides (the swapped weeks, both roles) in 2 POSTs, 1 policy
    assert sum(line.startswith("done: ") for line in first.stdout.splitlines()) == 7
    count = len(writes(fake))
    assert count == 5
    second = run(fake, oncall_file)
    assert (second.exit_code, second.stdout) == (0, "pagerduty is up to date: nothing to write\n")
    assert len(writes(fake)) == count


def test_routing_file_gives_the_policy_its_timings_and_final_member(
    fake: FakePagerDuty, oncall_file: Path, tmp_path: Path
) -> None:
    routing = tmp_path / "routing.yaml"
    routing.write_text(
        yaml.safe_dump(
            {
                "channels": {"pagerduty": {"type": "pagerduty"}},
                "escalation": {
                    "escalate_after": "5m",
                    "final": {"member": "anna"},
                    "final_after": "2m",
                    "renotify_every": "30m",
                    "max_renotify": 2,
                },
                "routing": {"rotations": {"web": "oncall.yaml"}, "default": "web"},
            }
        ),
        encoding="utf-8",
    )
    result = run(fake, oncall_file, "--routing", str(routing), "--num-loops", "3")
    assert result.exit_code == 0, result.output
    (policy,) = fake.rest.store.escalation_policies.values()
    assert [r["escalation_delay_in_minutes"] for r in policy["escalation_rules"]] == [5, 2, 30]
    assert policy["escalation_rules"][2]["targets"][0]["summary"] == "Anna"
    assert policy["num_loops"] == 3  # the option wins over max_renotify


def test_missing_token_is_an_error_naming_the_variable(fake: FakePagerDuty, oncall_file: Path) -> None:
    result = run(fake, oncall_file, token=None)
    assert result.exit_code == 1
    assert "$PAGERDUTY_TOKEN is not set" in result.stderr
    assert fake.received == []


def test_wrong_token_is_reported_without_the_token(fake: FakePagerDuty, oncall_file: Path) -> None:
    result = run(fake, oncall_file, token="not-the-right-one")
    assert result.exit_code == 1
    assert "pagerduty: GET /users: 401: Authentication failed (code 2006)" in result.stderr
    assert "not-the-right-one" not in result.output


def test_spec_with_problems_is_never_synced(fake: FakePagerDuty, tmp_path: Path) -> None:
    bad = tmp_path / "oncall.yaml"
    bad.write_text("rotation: {name: web}\n", encoding="utf-8")
    result = run(fake, bad)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}:1:")
    assert fake.received == []
