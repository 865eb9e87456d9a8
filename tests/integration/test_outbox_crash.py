"""``kill -9`` of a sender with pages in the outbox: a new process delivers every page, and each
transition takes effect at PagerDuty exactly once.

A real subprocess enqueues N incidents' trigger and resolve pages (one transaction) and delivers
them to the fake PagerDuty over HTTP with the real PagerDutyPager. After its K-th send has been
answered, and before that batch is settled, it announces the send and waits; the test kills it
with SIGKILL right there, the worst moment: pages PagerDuty accepted are still ``sending``. A
second process (the restarted engine's sender, :func:`alerter.notify.delivery.serve`) takes them
back and finishes.

Delivery is at least once: the pages sent in the killed batch are sent again (the same body,
same ``dedup_key``), at most one batch of them; PagerDuty treats a repeated trigger for an open
alert as a log entry and drops a repeated resolve, so the fake holds exactly N alerts, each
triggered once and resolved once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerter.clock import FakeClock
from alerter.incidents.outbox_tables import OutboxStatus
from alerter.incidents.store import IncidentStore
from alerter.notify.outbox import INTERRUPTED, Outbox
from integrations.pagerduty.fake import AlertStatus, FakePagerDuty
from integrations.pagerduty.fake.state import Applied

pytestmark = pytest.mark.timeout(90)

REPO = Path(__file__).resolve().parents[2]
ROUTING_KEY = "0123456789abcdef0123456789abcdef"
N = 24  # incidents: 48 pages
BATCH = 8  # the sender's batch size: the most pages that can be in flight at a kill
KILL_AT = 13  # the kill comes after the 13th answered send: the 2nd batch has 5 sent, 3 not yet

SENDER = """
import asyncio, sys
from pydantic import SecretStr
from alerter.clock import SystemClock
from alerter.incidents.outbox_tables import OutboxStatus
from alerter.incidents.store import IncidentStore
from alerter.notify.delivery import Deliverer, RetryPolicy, serve
from alerter.notify.outbox import Outbox, enqueue
from alerter.notify.pager import PageAction, PageRequest
from integrations.pagerduty import PagerDutyPager

url, base, routing_key, mode, n, batch, wait_after = sys.argv[1:8]
n, batch, wait_after = int(n), int(batch), int(wait_after)
clock = SystemClock()
store = IncidentStore(url)
box = Outbox(store)

if mode == "enqueue":
    with store.transaction() as tx:
        for i in range(n):
            key = f"inc-{i:02d}"
            enqueue(tx.session, PageRequest(PageAction.TRIGGER, key, summary=f"db{i} down", source=f"db{i}"),
                    transition="opened#0", channel="pagerduty", now=clock.now())
            enqueue(tx.session, PageRequest(PageAction.RESOLVE, key),
                    transition="resolved_auto#0", channel="pagerduty", now=clock.now())
    print("enqueued", flush=True)


class Announcing:
    # the real pager; after each answered send print it, and after the wait_after-th block
    # (on stdin, which the test never writes) so that the kill lands between send and settle
    def __init__(self, pager):
        self.pager, self.count = pager, 0

    async def send(self, page):
        delivery = await self.pager.send(page)
        self.count += 1
        print("sent", self.count, page.action.value, page.dedup_key, delivery.outcome.value, flush=True)
        if self.count == wait_after:
            sys.stdin.readline()
        return delivery


class WhenEmpty:
    def is_set(self):
        counts = box.counts()
        return counts[OutboxStatus.PENDING] + counts[OutboxStatus.SENDING] == 0


async def main():
    async with PagerDutyPager(SecretStr(routing_key), base_url=base, timeout=10.0) as pager:
        policy = RetryPolicy(batch_size=batch, lease=600.0)
        deliverer = Deliverer(box, {"pagerduty": Announcing(pager)}, clock, policy)
        failures = await serve(deliverer, clock, WhenEmpty(), tick=0.0)
    print("done", failures, flush=True)

asyncio.run(main())
store.close()
"""


def _sender(url: str, base: str, mode: str, wait_after: int) -> subprocess.Popen[str]:
    argv = [sys.executable, "-c", SENDER, url, base, ROUTING_KEY, mode, str(N), str(BATCH), str(wait_after)]
    return subprocess.Popen(
        argv, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture
def fake() -> Iterator[FakePagerDuty]:
    with FakePagerDuty(clock=FakeClock(0.0), rate_limit=10_000) as pd:
        yield pd
        assert pd.violations == []


def _kill_after_send(proc: subprocess.Popen[str], k: int) -> list[str]:
    """Read the sender's lines until its k-th send, then SIGKILL it; return what it printed."""
    assert proc.stdout is not None
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith(f"sent {k} "):
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    return lines


def test_kill_9_with_pages_in_flight_every_transition_takes_effect_once(
    store_url: str, fake: FakePagerDuty
) -> None:
    printed = _kill_after_send(_sender(store_url, fake.url, "enqueue", KILL_AT), KILL_AT)
    assert printed[0] == "enqueued" and len([p for p in printed if p.startswith("sent ")]) == KILL_AT
    before_restart = list(fake.received)
    assert len(before_restart) == KILL_AT

    with IncidentStore(store_url) as store:
        box = Outbox(store)
        in_flight = box.entries({OutboxStatus.SENDING})
        assert len(in_flight) == BATCH  # the killed batch: 5 sent and answered, 3 not yet sent
        assert box.counts()[OutboxStatus.DELIVERED] == KILL_AT - (KILL_AT % BATCH)

        restart = _sender(store_url, fake.url, "deliver", 0)
        out, err = restart.communicate(timeout=60)
        assert restart.returncode == 0, err
        assert out.splitlines()[-1] == "done 0"
        assert "were in flight when the last sender stopped; re-sending" in err

        assert box.counts() == {
            OutboxStatus.PENDING: 0,
            OutboxStatus.SENDING: 0,
            OutboxStatus.DELIVERED: 2 * N,
            OutboxStatus.FAILED: 0,
            OutboxStatus.DEAD: 0,
        }
        ids = {e.id for e in in_flight}
        resent = [e for e in box.entries() if e.id in ids]
        # the interrupted attempt is counted, and the reason kept, even though the retry succeeded
        assert [(e.attempts, e.last_error) for e in resent] == [(2, INTERRUPTED)] * BATCH

    bodies = [json.loads(r.body) for r in fake.received]
    requests = Counter((b["event_action"], b["dedup_key"]) for b in bodies)
    duplicates = {event: n for event, n in requests.items() if n > 1}
    # every duplicate request is a page of the killed batch that had been sent, sent once more
    sent_before_kill = [
        (b["event_action"], b["dedup_key"]) for b in map(json.loads, (r.body for r in before_restart))
    ]
    killed_batch_sent = set(sent_before_kill[KILL_AT - (KILL_AT % BATCH) :])
    assert set(duplicates) == killed_batch_sent and set(duplicates.values()) == {2}
    assert len(duplicates) == KILL_AT % BATCH <= BATCH
    for event in duplicates:  # dedup_key-identical: byte for byte the same event
        first, second = [b for b in bodies if (b["event_action"], b["dedup_key"]) == event]
        assert first == second
    assert len(requests) == 2 * N  # every transition reached PagerDuty

    # ... and took effect exactly once
    assert all(r.status == 202 for r in fake.received)
    assert len(fake.alerts) == N and {a.dedup_key for a in fake.alerts} == {f"inc-{i:02d}" for i in range(N)}
    assert all(a.status is AlertStatus.RESOLVED for a in fake.alerts)
    effects = Counter(r.applied for r in fake.received)
    assert (effects[Applied.OPENED], effects[Applied.RESOLVED]) == (N, N)
    assert effects[Applied.LOGGED] + effects[Applied.DROPPED] == len(duplicates)
    for key in {a.dedup_key for a in fake.alerts}:
        events = [b["event_action"] for b in bodies if b["dedup_key"] == key]
        assert events.index("trigger") < events.index("resolve")
