"""``alerter outbox``: what is still to deliver and what was given up on, with the last error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerter.cli.outbox import outbox_command
from alerter.clock import FakeClock
from alerter.incidents.store import IncidentStore
from alerter.notify.outbox import Outbox, enqueue
from alerter.notify.pager import PageAction, PageRequest

T0 = 1_764_300_000.0  # 2025-11-28T03:20:00Z


@pytest.fixture
def db(tmp_path: Path) -> str:
    """An outbox with one row in each state: pending (retrying), failed, dead, delivered, pending."""
    url = f"sqlite:///{tmp_path / 'alerter.db'}"
    with IncidentStore(url) as store:
        with store.transaction() as tx:
            for key in ("inc-retry", "inc-bad", "inc-dead", "inc-ok"):
                page = PageRequest(PageAction.TRIGGER, key, summary=f"{key} down", source="db1")
                enqueue(tx.session, page, transition="opened#0", channel="pagerduty", now=T0)
            enqueue(
                tx.session,
                PageRequest(PageAction.RESOLVE, "inc-ok"),
                transition="resolved#0",
                channel="email",
                target="alice",
                now=T0,
            )
        box = Outbox(store)
        retry, bad, dead, ok = box.claim(T0, 4, lease=60)
        box.mark_retry(
            retry.id,
            T0,
            30,
            "pagerduty: trigger inc-retry (opened#0): 429: throttled; retry in 30s (attempt 1/25; next in 30s)",
        )
        box.mark_failed(
            bad.id,
            T0,
            "pagerduty: trigger inc-bad (opened#0): 400: Event object is invalid: payload.summary: required",
        )
        box.mark_dead(
            dead.id,
            T0,
            "pagerduty: trigger inc-dead (opened#0): 503: Service Unavailable; giving up (attempt 25/25)",
        )
        box.mark_delivered(ok.id, T0)
    return url


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(outbox_command(FakeClock(T0 + 10)), list(args))
    return result.exit_code, result.output


def test_table_lists_undelivered_pages_with_next_attempt_and_last_error(db: str) -> None:
    code, out = run("--db", db)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == [
        "ID",
        "STATUS",
        "CHANNEL",
        "TARGET",
        "INCIDENT",
        "TRANSITION",
        "ATTEMPTS",
        "NEXT",
        "LAST",
        "ERROR",
    ]
    assert lines[1].split()[:9] == [
        "1",
        "pending",
        "pagerduty",
        "-",
        "inc-retry",
        "opened#0",
        "1",
        "in",
        "20s",
    ]
    assert "429: throttled; retry in 30s (attempt 1/25; next in 30s)" in lines[1]
    assert lines[2].split()[:8] == ["2", "failed", "pagerduty", "-", "inc-bad", "opened#0", "1", "-"]
    assert "400: Event object is invalid: payload.summary: required" in lines[2]
    assert lines[3].split()[:2] == ["3", "dead"] and "giving up (attempt 25/25)" in lines[3]
    assert lines[4].split()[:8] == ["5", "pending", "email", "alice", "inc-ok", "resolved#0", "0", "due"]
    assert lines[5] == "(2 pending, 1 delivered, 1 failed, 1 dead)"
    assert "inc-ok  opened#0" not in out  # delivered rows only with --all


def test_all_adds_delivered_pages(db: str) -> None:
    code, out = run("--db", db, "--all")
    assert code == 0, out
    assert [line.split()[1] for line in out.splitlines()[1:-1]] == [
        "pending",
        "failed",
        "dead",
        "delivered",
        "pending",
    ]


def test_json_has_counts_and_every_field(db: str) -> None:
    code, out = run("--db", db, "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["counts"] == {"pending": 2, "sending": 0, "delivered": 1, "failed": 1, "dead": 1}
    failed = next(p for p in data["pages"] if p["status"] == "failed")
    assert failed == {
        "id": 2,
        "status": "failed",
        "channel": "pagerduty",
        "target": None,
        "incident_key": "inc-bad",
        "transition": "opened#0",
        "action": "trigger",
        "attempts": 1,
        "created_at": "2025-11-28T03:20:00+00:00",
        "next_attempt_at": None,
        "last_attempt_at": "2025-11-28T03:20:00+00:00",
        "delivered_at": None,
        "last_error": "pagerduty: trigger inc-bad (opened#0): 400: Event object is invalid: payload.summary: required",
    }
    retry = data["pages"][0]
    assert (retry["next_attempt_at"], retry["target"]) == ("2025-11-28T03:20:30+00:00", None)


def test_an_empty_outbox_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    IncidentStore(url).close()
    assert run("--db", url) == (0, "no undelivered pages (outbox empty)\n")


def test_a_database_without_an_outbox_is_a_one_line_error_without_the_password(tmp_path: Path) -> None:
    code, out = run("--db", "postgresql://alerter:s3cret@127.0.0.1:1/alerter")
    assert code == 1
    assert out.startswith(
        "Error: outbox: cannot read the outbox in postgresql://alerter:***@127.0.0.1:1/alerter: "
    )
    assert "s3cret" not in out and out.count("\n") == 1
    code, out = run("--db", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    assert code == 1 and "no such table: outbox" in out
