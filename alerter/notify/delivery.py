"""The sender: takes due pages from the :class:`~alerter.notify.outbox.Outbox` and hands each to its
channel's :class:`~alerter.notify.pager.Pager`, with bounded retries and backoff.

Place in the flow: ``pipeline`` -> outbox (committed with the incident change) -> **delivery** ->
``Pager`` (PagerDuty, e-mail, webhook; adapters in ``integrations/``). :func:`serve` runs
:meth:`Deliverer.run_once` every ``tick`` in the live engine; tests call ``run_once`` with a
``FakeClock``'s time instead of sleeping.

What a run does, per claimed batch (one claim transaction, one settle transaction):

* rows are sent oldest first; channels run side by side, each channel's rows one at a time;
* ``ok`` -> ``delivered``; ``permanent`` (e.g. PagerDuty's 400) -> ``failed``, never retried;
* ``recoverable`` (429, 5xx, timeout, dropped connection) -> ``pending`` again after
  ``max(backoff(attempt), retry_after)``; after ``policy.max_attempts`` -> ``dead``. The channel
  is also *paused* (in memory) until ``max(backoff(consecutive channel failures), retry_after)``:
  the rest of its batch is handed back unsent and no request goes to it before then, so a 429
  is honoured and an outage costs one probe per pause, not one request per queued page.

Delivery guarantee, stated honestly: **at least once**, made **effectively once** by the receiver.
A page is committed before it is sent, so nothing is lost; a crash (``kill -9``) after a send but
before its batch is settled leaves the row ``sending``, and the restarted sender re-sends it
(:meth:`Outbox.recover`). So at most one batch (``policy.batch_size`` rows) can reach the receiver
twice. Every page of an incident carries the incident key as PagerDuty's ``dedup_key``, and
PagerDuty applies a repeated trigger to the alert already open for that key (a log entry, no new
alert) and drops an ack/resolve it already applied, so a repeat has no new effect. "Never sent
twice" therefore means: never two rows for one transition (the outbox's unique token) and never
a duplicate *effect*; a duplicate *request* after a crash is possible and harmless.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from alerter.clock import Clock
from alerter.incidents.outbox_tables import OutboxStatus
from alerter.notify.outbox import Outbox, OutboxEntry, Settlement
from alerter.notify.pager import Delivery, Outcome, Pager

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff and batching of the sender, in seconds and rows.

    The n-th retry waits ``min(cap, base * factor**(n-1))``, less up to ``jitter`` of it at random
    (so pages failed together do not retry together), and never less than the receiver's
    ``retry_after``. ``lease`` must exceed the longest send (pager timeouts x batch size).
    """

    base: float = 2.0
    factor: float = 2.0
    cap: float = 120.0
    jitter: float = 0.2
    max_attempts: int = 25
    batch_size: int = 20
    max_per_run: int = 500
    lease: float = 600.0

    def __post_init__(self) -> None:
        if self.base <= 0 or self.factor < 1 or self.cap < self.base or not 0 <= self.jitter < 1:
            raise ValueError(
                f"retry policy: need base > 0, factor >= 1, cap >= base, 0 <= jitter < 1: {self}"
            )
        if self.max_attempts < 1 or self.batch_size < 1 or self.max_per_run < 1 or self.lease <= 0:
            raise ValueError(f"retry policy: attempts, batch_size, max_per_run and lease must be > 0: {self}")

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        raw = min(self.cap, self.base * self.factor ** max(attempt - 1, 0))
        jittered = raw * (1.0 - self.jitter * rng.random())
        return max(jittered, retry_after or 0.0)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one :meth:`Deliverer.run_once` did.

    ``sent`` pager calls; of them ``delivered``, ``retrying`` (recoverable, will retry),
    ``failed`` (permanent), ``dead`` (out of attempts). ``deferred``: claimed rows handed back
    unsent because their channel paused. ``paused``: channel -> until when it is paused.
    """

    at: float
    sent: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0
    paused: Mapping[str, float] = field(default_factory=dict)


class Deliverer:
    """Delivers the outbox through ``pagers``; see the module doc.

    ``pagers``: channel -> Pager; a key ``"channel:target"`` (e.g. ``"email:alice"``) is looked
    up first for a page addressed to a person. A row whose channel has no pager is retried like
    a recoverable failure (configuration may come back) and shows in ``alerter outbox``.
    ``rng`` draws the jitter (pass a seeded ``random.Random`` for repeatable tests).
    """

    def __init__(
        self,
        outbox: Outbox,
        pagers: Mapping[str, Pager],
        clock: Clock,
        policy: RetryPolicy | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.outbox = outbox
        self.pagers = pagers
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self._rng = rng or random.Random()
        self._paused: dict[str, float] = {}
        self._channel_failures: dict[str, int] = {}

    def paused_until(self, channel: str) -> float | None:
        """Until when ``channel`` gets no request (None: not paused since its last success)."""
        return self._paused.get(channel)

    async def run_once(self, now: float | None = None) -> DeliveryReport:
        """Deliver every row due at ``now`` (default: the clock's time), up to ``max_per_run``.

        A run is one instant: claims, leases and next attempts are computed from ``now``.
        """
        now = self.clock.now() if now is None else now
        tally = _Tally()
        while tally.claimed < self.policy.max_per_run:
            paused = {c for c, until in self._paused.items() if until > now}
            limit = min(self.policy.batch_size, self.policy.max_per_run - tally.claimed)
            batch = self.outbox.claim(now, limit, lease=self.policy.lease, exclude_channels=paused)
            if not batch:
                break
            tally.claimed += len(batch)
            lanes: dict[str, list[OutboxEntry]] = {}
            for entry in batch:
                lanes.setdefault(entry.channel, []).append(entry)
            results = await asyncio.gather(*(self._lane(c, rows, now, tally) for c, rows in lanes.items()))
            self.outbox.settle([s for lane in results for s in lane])
        paused_now = {c: until for c, until in self._paused.items() if until > now}
        return tally.report(now, paused_now)

    async def _lane(
        self, channel: str, rows: list[OutboxEntry], now: float, tally: _Tally
    ) -> list[Settlement]:
        """Send one channel's share of a batch in order; stop at the first recoverable failure."""
        out: list[Settlement] = []
        for i, entry in enumerate(rows):
            delivery = await self._send(entry)
            tally.sent += 1
            out.append(self._settlement(entry, delivery, now, tally))
            if delivery.outcome is Outcome.RECOVERABLE:
                until = self._pause(channel, delivery, now)
                for rest in rows[i + 1 :]:
                    out.append(
                        Settlement(rest.id, OutboxStatus.PENDING, now, next_attempt_at=until, attempted=False)
                    )
                    tally.deferred += 1
                break
            self._paused.pop(channel, None)
            self._channel_failures.pop(channel, None)
        return out

    async def _send(self, entry: OutboxEntry) -> Delivery:
        if entry.request is None:
            return Delivery(Outcome.PERMANENT, entry.request_error or "stored request is not a page")
        pager = self._pager(entry.channel, entry.target)
        if pager is None:
            return Delivery(Outcome.RECOVERABLE, f"no pager configured for channel {entry.channel!r}")
        try:
            return await pager.send(entry.request)
        except Exception as exc:  # a Pager must not raise; if one does, the row is kept, not lost
            log.exception("outbox: pager for %r raised on page %s", entry.channel, entry.id)
            return Delivery(Outcome.RECOVERABLE, f"pager raised {type(exc).__name__}: {exc}")

    def _pager(self, channel: str, target: str | None) -> Pager | None:
        if target is not None and f"{channel}:{target}" in self.pagers:
            return self.pagers[f"{channel}:{target}"]
        return self.pagers.get(channel)

    def _settlement(self, entry: OutboxEntry, delivery: Delivery, now: float, tally: _Tally) -> Settlement:
        attempt = entry.attempts + 1
        what = f"{entry.channel}: {_action(entry)} {entry.incident_key} ({entry.transition})"
        if delivery.outcome is Outcome.OK:
            tally.delivered += 1
            return Settlement(entry.id, OutboxStatus.DELIVERED, now)
        if delivery.outcome is Outcome.PERMANENT:
            tally.failed += 1
            error = f"{what}: {delivery.detail}; rejected, not retried (attempt {attempt})"
            log.error("outbox: %s", error)
            return Settlement(entry.id, OutboxStatus.FAILED, now, error)
        if attempt >= self.policy.max_attempts:
            tally.dead += 1
            error = f"{what}: {delivery.detail}; giving up (attempt {attempt}/{self.policy.max_attempts})"
            log.error("outbox: %s", error)
            return Settlement(entry.id, OutboxStatus.DEAD, now, error)
        tally.retrying += 1
        delay = self.policy.delay(attempt, self._rng, delivery.retry_after)
        error = (
            f"{what}: {delivery.detail} (attempt {attempt}/{self.policy.max_attempts}; next in {delay:.0f}s)"
        )
        log.warning("outbox: %s", error)
        return Settlement(entry.id, OutboxStatus.PENDING, now, error, next_attempt_at=now + delay)

    def _pause(self, channel: str, delivery: Delivery, now: float) -> float:
        failures = self._channel_failures.get(channel, 0) + 1
        self._channel_failures[channel] = failures
        until = now + self.policy.delay(failures, self._rng, delivery.retry_after)
        self._paused[channel] = max(until, self._paused.get(channel, now))
        return self._paused[channel]


@dataclass(slots=True)
class _Tally:
    claimed: int = 0
    sent: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0

    def report(self, at: float, paused: Mapping[str, float]) -> DeliveryReport:
        return DeliveryReport(
            at, self.sent, self.delivered, self.retrying, self.failed, self.dead, self.deferred, dict(paused)
        )


def _action(entry: OutboxEntry) -> str:
    return entry.request.action.value if entry.request is not None else "page"


class Stop(Protocol):
    """When the live loop should end (``asyncio.Event`` and ``threading.Event`` both fit)."""

    def is_set(self) -> bool: ...


Sleep = Callable[[float], Awaitable[None]]


async def serve(
    deliverer: Deliverer, clock: Clock, stop: Stop, tick: float = 1.0, *, sleep: Sleep = asyncio.sleep
) -> int:
    """The live sender: take back rows a dead sender left in flight, then run every ``tick``.

    Runs until ``stop.is_set()``; returns how many runs failed. A failing run (the database
    away, say) is logged and retried next tick: nothing is lost, the rows stay in the outbox.
    """
    recovered = deliverer.outbox.recover(clock.now())
    if recovered:
        log.warning("outbox: %d page(s) were in flight when the last sender stopped; re-sending", recovered)
    failures = 0
    while not stop.is_set():
        try:
            await deliverer.run_once(clock.now())
        except Exception:  # the loop must survive a bad tick; the error is logged and counted
            failures += 1
            log.exception("outbox: delivery run failed (%d so far); retrying in %gs", failures, tick)
        await sleep(tick)
    return failures
