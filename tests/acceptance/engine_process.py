"""The composed engine as a real process, for the ``kill -9`` acceptance test.

Place in the flow: test-only; ``tests/acceptance/test_paging_kill.py`` starts it, kills it with
SIGKILL mid-delivery and starts it again on the same database. It composes the whole engine with
:func:`alerter.app.compose` (the shipped rules, a SQLite file, :class:`PagerDutyPager` to the
fake PagerDuty's URL) on a virtual clock, with a StaticSource of generated samples (the same
plan in every run, so a restarted process sees the same history), and drives it the way
``run_live`` does: the live sender :func:`alerter.notify.delivery.serve` (which first takes back
the rows a killed sender left in flight), whose sleep between runs moves the virtual clock one
tick and runs the evaluations and escalation ticks due. Usage::

    python -m tests.acceptance.engine_process DB FAKE_URL START END [HOLD_AFTER]

Progress lines on stdout, flushed at once: ``start <t> sending <n>`` (rows a killed run left in
flight), ``t <t> open <n> pending <n> sending <n> delivered <n>`` after each tick,
``sent <n> <action> <dedup_key> <outcome>`` after each answered PagerDuty request, ``holding``
when the ``HOLD_AFTER``-th request has been answered: the process then waits forever before that
batch is settled (pages PagerDuty accepted are still ``sending``), the worst moment for a kill.
``done`` when ``END`` is passed and nothing is left to deliver to PagerDuty.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from pydantic import SecretStr

from alerter.app import Engine, compose
from alerter.clock import FakeClock
from alerter.evaluate.timing import Timing
from alerter.evaluate.virtual import VirtualScheduler
from alerter.incidents.outbox_tables import OutboxStatus
from alerter.notify.delivery import serve
from alerter.notify.pager import Delivery, PageRequest
from integrations.pagerduty import PagerDutyPager
from tests.acceptance.paging_world import HOT, ROUTING_KEY, T0, Fleet, settings_for

TICK = 30.0
WAVE_A = [f"web-prod-{i:02d}" for i in range(1, 7)]
"""Hot from T0 (paged at about T0+3m), cool from T0+4m: resolved at about T0+10m."""
WAVE_B = [f"web-prod-{i:02d}" for i in range(7, 19)]
"""Hot from T0+6m: twelve incidents paged in one batch at about T0+9m."""
PLAN = (
    [(h, HOT, T0 + 5) for h in WAVE_A]
    + [(h, 20.0, T0 + 245) for h in WAVE_A]
    + [(h, HOT, T0 + 365) for h in WAVE_B]
)


def say(*words: object) -> None:
    print(*words, flush=True)


class AnnouncingPager:
    """The real PagerDutyPager; announces each answered send, and holds after the n-th."""

    def __init__(self, pager: PagerDutyPager, hold_after: int | None) -> None:
        self._pager = pager
        self._hold_after = hold_after
        self.count = 0

    async def send(self, page: PageRequest) -> Delivery:
        delivery = await self._pager.send(page)
        self.count += 1
        say("sent", self.count, page.action.value, page.dedup_key, delivery.outcome.value)
        if self.count == self._hold_after:
            say("holding")
            await asyncio.Event().wait()  # never set: the test kills the process here
        return delivery


def progress(engine: Engine, now: float) -> tuple[int, dict[OutboxStatus, int]]:
    counts = engine.outbox.counts()
    with engine.store.transaction() as tx:
        incidents = len(tx.open_incidents())
    say(
        "t",
        f"{now - T0:.0f}",
        "open",
        incidents,
        "pending",
        counts[OutboxStatus.PENDING],
        "sending",
        counts[OutboxStatus.SENDING],
        "delivered",
        counts[OutboxStatus.DELIVERED],
    )
    return incidents, counts


def pagerduty_undelivered(engine: Engine) -> int:
    return sum(1 for e in engine.outbox.pending() if e.channel == "pagerduty")


async def main(db: Path, fake_url: str, start: float, end: float, hold_after: int | None) -> None:
    clock = FakeClock(start)
    fleet = Fleet(dict.fromkeys(WAVE_A + WAVE_B, "prod"), start, plan=PLAN)
    pager = PagerDutyPager(SecretStr(ROUTING_KEY), base_url=fake_url, timeout=5.0)
    engine = compose(settings_for(db), clock, fleet.source, {"pagerduty": AnnouncingPager(pager, hold_after)})
    scheduler = VirtualScheduler(engine.rules, clock, Timing(max_jitter=0))
    scheduler.every("escalation", 15.0, engine.escalate)
    stop = asyncio.Event()
    say("start", f"{start - T0:.0f}", "sending", engine.outbox.counts()[OutboxStatus.SENDING])

    async def virtual_sleep(_seconds: float) -> None:
        """The live sender's pause between runs: one tick of virtual time and what is due in it."""
        step = clock.now() + TICK
        fleet.emit_until(step)
        await scheduler.run_until(step)
        progress(engine, step)
        if step >= end and pagerduty_undelivered(engine) == 0:
            stop.set()

    try:
        await serve(engine.deliverer, clock, stop, TICK, sleep=virtual_sleep)
    finally:
        engine.close()
        await pager.aclose()
    say("done")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    args = sys.argv[1:]
    asyncio.run(
        main(Path(args[0]), args[1], float(args[2]), float(args[3]), int(args[4]) if len(args) > 4 else None)
    )
