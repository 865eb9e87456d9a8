"""``kill -9`` of the ENGINE with pages in its outbox: after a restart on the same database every
page is delivered, and PagerDuty sees each transition's effect exactly once.

A real process (``tests/acceptance/engine_process.py``) runs the whole composed engine on a
virtual clock and pages the fake PagerDuty over HTTP: six incidents page and later resolve,
twelve more page in one batch. It is SIGKILLed after its K-th answered request, before that
batch is settled: the batch's rows are all ``sending``, some already accepted by PagerDuty, the
rest not yet sent. Started again on the same database, the live sender takes them back and
sends them; evaluation and escalation carry on from the kill's virtual time.

Delivery is at least once, effectively once: only the requests of the killed batch that
PagerDuty had already answered are repeated (byte-identical, same ``dedup_key``; counted here);
PagerDuty logs a repeated trigger on the open alert and drops a repeated resolve, so the fake
holds exactly one alert per incident, each resolved once."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from alerter.clock import FakeClock
from alerter.incidents.outbox_tables import OutboxStatus
from alerter.incidents.store import IncidentStore
from alerter.notify.delivery import RetryPolicy
from alerter.notify.outbox import INTERRUPTED, Outbox
from integrations.pagerduty.fake import AlertStatus, FakePagerDuty
from integrations.pagerduty.fake.state import Applied
from tests.acceptance.paging_world import REPO, T0

pytestmark = pytest.mark.timeout(60)

END = T0 + 900
INCIDENTS, RESOLVED = 18, 6


def engine(db: Path, url: str, start: float, hold_after: int | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "tests.acceptance.engine_process", str(db), url, repr(start), repr(END)]
    if hold_after is not None:
        args.append(str(hold_after))
    return subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_until_holding(proc: subprocess.Popen[str]) -> list[str]:
    """Read progress lines until the process holds (then it waits mid-batch for the kill)."""
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line.strip())
        if lines[-1] == "holding":
            return lines
    raise AssertionError(
        f"the engine ended without holding: {lines[-5:]}; stderr: {proc.communicate()[1][-2000:]}"
    )


def in_flight(lines: list[str]) -> list[tuple[str, str]]:
    """``(action, dedup_key)`` sent in the killed run: the sends after its last tick line."""
    last_tick = max(i for i, line in enumerate(lines) if line.startswith("t "))
    return [(w[2], w[3]) for w in (line.split() for line in lines[last_tick + 1 :]) if w[0] == "sent"]


@pytest.mark.parametrize(
    ("hold_after", "batch", "answered", "repeat_did"),
    [
        # 6 triggers delivered; killed after 4 of the batch of 12 triggers were answered
        (10, 12, 4, Applied.LOGGED),  # a repeated trigger: a log entry on the open alert
        # 18 triggers delivered; killed after 2 of the batch of 6 resolves were answered
        (20, 6, 2, Applied.DROPPED),  # a repeated resolve: no open alert, dropped
    ],
    ids=["mid-trigger-batch", "mid-resolve-batch"],
)
def test_kill_9_of_the_engine_with_pages_in_flight_delivers_each_transition_once(
    tmp_path: Path, hold_after: int, batch: int, answered: int, repeat_did: Applied
) -> None:
    db = tmp_path / "alerter.db"
    with FakePagerDuty(clock=FakeClock(T0), rate_limit=10_000) as fake:  # the fake's clock stands still
        first = engine(db, fake.url, T0, hold_after)
        lines = run_until_holding(first)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        assert first.returncode == -signal.SIGKILL
        killed_at = float(next(line for line in reversed(lines) if line.startswith("t ")).split()[1])
        repeated = in_flight(lines)
        answered_before_kill = len(fake.received)
        assert answered_before_kill == hold_after

        second = engine(db, fake.url, T0 + killed_at)
        out, err = second.communicate(timeout=40)
        assert second.returncode == 0, err[-3000:]
        restart = out.splitlines()
        assert restart[0] == f"start {killed_at:.0f} sending {batch}" and restart[-1] == "done"
        received = list(fake.received)
        alerts = fake.alerts
        assert fake.violations == []

    assert len(repeated) == answered < batch <= RetryPolicy().batch_size  # bounded by one batch
    events = [(r.json()["event_action"], r.json()["dedup_key"]) for r in received]
    assert all(r.status == 202 for r in received)
    duplicates = Counter(e for e, n in Counter(events).items() for _ in range(n - 1))
    assert duplicates == Counter(repeated)  # only the killed batch's answered requests, once more each
    for action, key in repeated:
        bodies = {r.body for r, e in zip(received, events, strict=True) if e == (action, key)}
        assert len(bodies) == 1  # byte-identical: the same stored page
    triggers = {k for a, k in events if a == "trigger"}
    resolves = {k for a, k in events if a == "resolve"}
    assert len(triggers) == INCIDENTS and len(resolves) == RESOLVED
    for key in resolves:
        assert events.index(("trigger", key)) < events.index(("resolve", key))
    assert sorted(a.dedup_key for a in alerts) == sorted(triggers)  # one alert per incident
    assert Counter(a.status for a in alerts) == {AlertStatus.TRIGGERED: 12, AlertStatus.RESOLVED: 6}
    assert Counter(r.applied for r in received) == {
        Applied.OPENED: INCIDENTS,
        Applied.RESOLVED: RESOLVED,
        repeat_did: answered,
    }

    store = IncidentStore(f"sqlite:///{db}")
    try:
        rows = Outbox(store).entries()
    finally:
        store.close()
    assert {r.status for r in rows} == {OutboxStatus.DELIVERED} and len(rows) == INCIDENTS + RESOLVED
    interrupted = [r for r in rows if r.last_error == INTERRUPTED]
    assert len(interrupted) == batch and {r.attempts for r in interrupted} == {2}
