"""Restart safety with a real process: ``kill -9`` a writer mid-loop, then reopen the database.

Every incident whose commit the writer reported must be there, the database must open cleanly,
and a second writer replaying the same observations (as a restarted engine re-evaluates) must
join the existing incidents instead of opening duplicates.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from alerter.incidents.store import IncidentStore

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]

# The writer: observe series n in group g-n (a new incident each) and save its series state in
# the same transaction; print "n key" after the commit.
WRITER = """
import sys
from alerter.incidents.lifecycle import LifecyclePolicy
from alerter.incidents.records import AlertObservation
from alerter.incidents.store import IncidentStore
from alerter.model import Severity

url, stop = sys.argv[1], int(sys.argv[2])
store = IncidentStore(url)
policy = LifecyclePolicy(resolve_delay=60, reopen_window=600)
def step(tx, n):
    # the incident and the series state commit together, as one engine tick would
    tx.save_series_states("r", {f"fp-{n}": {"pending_since": 1000.0 + n}}, 1000.0 + n)
    return tx.observe(AlertObservation(
        fingerprint=f"fp-{n}", rule="r", state=Severity.CRITICAL, at=1000.0 + n,
        group_key=f"g-{n}", title=f"incident {n}"), policy)

for n in range(stop):
    applied = store.run(lambda tx: step(tx, n))
    print(n, applied.key, flush=True)
store.close()
"""

KILL_AFTER = 25  # committed incidents reported before the kill
FOREVER = 100_000


def _writer(url: str, stop: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(stop)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_mid_loop_loses_no_commit_and_replay_opens_no_duplicate(store_url: str) -> None:
    proc = _writer(store_url, FOREVER)
    assert proc.stdout is not None
    committed: dict[int, str] = {}
    try:
        for line in proc.stdout:
            n, key = line.split()
            committed[int(n)] = key
            if len(committed) == KILL_AFTER:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    assert len(committed) == KILL_AFTER, err

    with IncidentStore(store_url) as store:
        state = store.restart_state()
    opened = {r.incident.group_key: r.key for r in state.open_incidents}
    assert all(opened.get(f"g-{n}") == key for n, key in committed.items())
    # the writer may have committed a few more before the signal landed, never with a gap
    survivors = len(opened)
    assert survivors >= KILL_AFTER and set(opened) == {f"g-{n}" for n in range(survivors)}
    assert state.series_states["r"] == {f"fp-{n}": {"pending_since": 1000.0 + n} for n in range(survivors)}

    replay = _writer(store_url, survivors + 3)
    out, err = replay.communicate(timeout=30)
    assert replay.returncode == 0, err
    replayed = dict(line.split() for line in out.splitlines())
    assert all(replayed[str(n)] == key for n, key in committed.items())
    with IncidentStore(store_url) as store:
        groups = [r.incident.group_key for r in store.restart_state().open_incidents]
    assert sorted(groups) == sorted(f"g-{n}" for n in range(survivors + 3))
