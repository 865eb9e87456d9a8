"""The engine's own measurements, written to InfluxDB every interval (the ``grafana/`` dashboards' data).

Place in the flow: beside :mod:`alerter.app`, watching every stage without being one. It is fed
by the engine and never feeds it back:

* as an ``EventSink`` (``collector(event)``): evaluation events, by state, and alert transitions;
* as a ``BatchListener`` (:meth:`SelfMetrics.observe_batch`): each committed pipeline batch's
  incident transitions, pages and suppressions;
* through :meth:`SelfMetrics.source`: a wrapper of the :class:`~alerter.source.MetricSource` that
  counts round trips and InfluxDB errors;
* by polling, when an interval closes: ``rules()`` (:meth:`RuleEngine.statuses`) and
  ``outbox()`` (queue depth and failed pages).

Everything observed is filed under the interval of ITS OWN time (an event's ``time``, a batch's
``at``), so a replay on virtual time writes exactly what live mode would have, point for point.
An interval ``[k*I, (k+1)*I)`` closes when time (the clock, or a later batch) reaches its end;
its points carry its START as timestamp (integer seconds: write with precision ``s``), so
Grafana's ``GROUP BY time(I)`` buckets line up with ours. Measurements (tags; fields):

========================  ===================================================================
``alerter_events``        state; ``count``, ``rate`` (events/s)
``alerter_alerts``        state (warning, critical); ``active`` (at the end), ``new`` (ok -> not ok)
``alerter_incidents``     ``opened``, ``reopened``, ``resolved``, ``open`` (at the end)
``alerter_volume``        ``events``, ``alerts`` (new), ``incidents`` (opened), ``pages``,
                          ``suppressed``: the noise funnel in one row, so ratios are one query
``alerter_pages``         person, channel, hours (business/off/sleep in the person's zone); ``count``
``alerter_suppressed``    reason; ``count``
``alerter_rule``          rule, group; ``duration_ms``, ``series``, ``firing``, ``evaluations``,
                          ``errors``, ``fired`` (new alerts)
``alerter_source``        ``queries``, ``errors`` (failed round trips), ``statement_errors``,
                          ``write_errors`` (failed self-metric writes)
``alerter_outbox``        ``depth``, ``failed`` (only when an ``outbox`` callable is given)
========================  ===================================================================

Who was paged: a :class:`~alerter.incidents.suppression.PagingDecision` names no person yet, so
``recipients(decision)`` says who (:func:`oncall_recipients`: the rotation's primary, with the
person's own timezone). A page nobody can be named for is written with person ``unrouted``,
channel ``none`` and hours in ``default_zone``. Later pages of an escalation (sub, final target,
renotifications) are reported by the escalation stage with :meth:`SelfMetrics.record_page`; when
it reports the first page too, pass ``batch_pages=False`` so no page is counted twice.

>>> # metrics = SelfMetrics(influx, clock, interval=60, rules=engine.statuses)
>>> # wiring = build_engine(metrics.source(influx), ..., sink=metrics, on_batch=metrics.observe_batch)
>>> # metrics = SelfMetrics(..., outbox=lambda: outbox_stats(outbox.counts()))
>>> # scheduler.every("selfmetrics", 60, metrics.tick_soon)   # live; replay: await metrics.tick()
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol, TypeVar
from zoneinfo import ZoneInfo

from alerter.clock import Clock, to_datetime
from alerter.config.oncall import OnCallSpec
from alerter.evaluate.cycle import RuleStatus
from alerter.incidents.lifecycle import Transition
from alerter.incidents.suppression import PagingDecision, Suppressed
from alerter.model import ATTR_FINGERPRINT, ATTR_RULE, Event, Severity
from alerter.pipeline import BatchResult
from alerter.route.rotation import who_is_on_call
from alerter.source import MetricSource, StatementResult
from alerter.source.lineprotocol import encode_point
from alerter.source.static import FieldValue, Point

log = logging.getLogger(__name__)

OK = Severity.OK.value
STATES = tuple(s.value for s in Severity)
ALERT_STATES = tuple(s for s in STATES if s != OK)
UNROUTED = "unrouted"
MAX_GAP_INTERVALS = 1440
"""After a longer silence (a stopped engine, a clock jump) only the latest intervals are written."""


class MetricWriter(Protocol):
    """Where the lines go: InfluxDB's ``/write`` (timestamps are integer seconds: precision ``s``).

    Raises on failure; the collector keeps the lines and tries again at the next interval. What
    it returns is ignored (``object``, so ``InfluxMetricSource.write``, which returns the lines the
    server refused, fits as it is; an adapter that logs or raises on refused lines is better).
    """

    async def write(self, lines: Sequence[str]) -> object: ...


_Status = TypeVar("_Status", bound=str)


class OutboxStats(NamedTuple):
    """The outbox at one instant: pages waiting to leave, and pages that failed for good."""

    depth: int
    failed: int


def outbox_stats(counts: Mapping[_Status, int]) -> OutboxStats:
    """:class:`OutboxStats` from rows per status (``Outbox.counts()``: pending, sending, failed, dead).

    >>> outbox_stats({"pending": 2, "sending": 1, "delivered": 40, "failed": 1, "dead": 1})
    OutboxStats(depth=3, failed=2)
    """
    waiting = sum(n for status, n in counts.items() if status in ("pending", "sending"))
    return OutboxStats(waiting, sum(n for status, n in counts.items() if status in ("failed", "dead")))


class Hours(StrEnum):
    """When a page interrupted its person (PagerDuty's interruption definitions).

    Business hours 08-18 Mon-Fri; sleep hours 22-08 every day; off hours the rest (weekday
    evenings 18-22, weekends 08-22). Always in the paged person's own timezone.
    """

    BUSINESS = "business"
    OFF = "off"
    SLEEP = "sleep"


def hours_of(at: float, zone: ZoneInfo) -> Hours:
    """Classify the instant ``at`` (POSIX seconds) in ``zone``.

    >>> hours_of(1_767_600_000.0, ZoneInfo("Europe/Berlin"))  # Monday 09:00 in Berlin
    <Hours.BUSINESS: 'business'>
    """
    local = datetime.fromtimestamp(at, tz=zone)
    if local.hour >= 22 or local.hour < 8:
        return Hours.SLEEP
    if local.weekday() < 5 and local.hour < 18:
        return Hours.BUSINESS
    return Hours.OFF


@dataclass(frozen=True, slots=True)
class PageRecipient:
    """One person (or channel) one page went to, on one channel; ``zone`` is an IANA name."""

    person: str
    channel: str
    zone: str


Recipients = Callable[[PagingDecision], Sequence[PageRecipient]]
"""Who a page decision went to (empty: nobody known, written as ``unrouted``)."""


def oncall_recipients(spec: OnCallSpec, channel: str = "pagerduty") -> Recipients:
    """Pages go to the rotation's primary at the page's time, in the primary's own timezone."""

    def recipients(decision: PagingDecision) -> Sequence[PageRecipient]:
        try:
            primary = who_is_on_call(spec, to_datetime(decision.at)).primary
        except ValueError:  # before the rotation starts
            return ()
        return (PageRecipient(primary.id, channel, primary.timezone),)

    return recipients


@dataclass(slots=True)
class _RuleSample:
    group: str = ""
    evaluations: int = 0
    errors: int = 0
    fired: int = 0
    status: RuleStatus | None = None


@dataclass(slots=True)
class _Interval:
    """What happened in one interval; gauges (``alerts``, ``open``) are set when it is left."""

    start: float
    events: Counter[str] = field(default_factory=Counter)
    new_alerts: Counter[str] = field(default_factory=Counter)
    transitions: Counter[Transition] = field(default_factory=Counter)
    pages: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    suppressed: Counter[str] = field(default_factory=Counter)
    rules: dict[str, _RuleSample] = field(default_factory=dict)
    source: Counter[str] = field(default_factory=Counter)
    alerts: Counter[str] | None = None
    open: int | None = None


class SelfMetrics:
    """Collects the engine's measurements per interval and writes them through ``writer``.

    ``rules``: the engine's rule statuses (``engine.statuses``); ``outbox``: the queue's stats,
    sampled when an interval closes; ``recipients``: see the module doc; ``batch_pages``: count the
    pages of batch decisions (False once the escalation stage reports every page, the first one
    included, with :meth:`record_page`); ``max_pending``: lines kept while InfluxDB refuses writes
    (the oldest are dropped beyond it).
    """

    def __init__(
        self,
        writer: MetricWriter,
        clock: Clock,
        *,
        interval: float = 60.0,
        rules: Callable[[], Sequence[RuleStatus]] = tuple,
        outbox: Callable[[], OutboxStats] | None = None,
        recipients: Recipients | None = None,
        batch_pages: bool = True,
        default_zone: str = "UTC",
        max_pending: int = 100_000,
    ) -> None:
        if not interval > 0:
            raise ValueError(f"selfmetrics: interval must be > 0, got {interval}")
        self._writer, self._clock, self.interval = writer, clock, float(interval)
        self._rules, self._outbox, self._recipients = rules, outbox, recipients
        self._batch_pages = batch_pages
        self._default_zone, self._max_pending = default_zone, max_pending
        self._intervals: dict[int, _Interval] = {}
        self._closed = self._index(clock.now())  # first interval still open
        self._current = self._closed  # interval of the latest observation (gauges follow it)
        self._alert_states: dict[str, str] = {}
        self._open_incidents: set[str] = set()
        self._seen_suppressions: set[tuple[str, str]] = set()
        self._last_stats: dict[str, tuple[int, int]] = {}
        self._pending: list[str] = []
        self._writing: asyncio.Task[int] | None = None
        self.dropped_lines = 0

    # -- observations ------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        """An ``EventSink``: count the event by state and follow its series' alert state."""
        t = self._clock.now() if event.time is None else float(event.time)
        bucket = self._bucket(t)
        state = event.state or OK
        bucket.events[state] += 1
        fp = event.attributes.get(ATTR_FINGERPRINT)
        if fp is None:
            return
        before = self._alert_states.get(fp, OK)
        if state == OK:
            self._alert_states.pop(fp, None)
            return
        self._alert_states[fp] = state
        if before == OK:
            bucket.new_alerts[state] += 1
            rule = event.attributes.get(ATTR_RULE, "")
            bucket.rules.setdefault(rule, _RuleSample()).fired += 1

    def observe_batch(self, result: BatchResult) -> None:
        """A ``BatchListener``: file one committed batch's transitions, pages and suppressions."""
        bucket = self._bucket(result.at)
        for applied in result.applied:
            step = applied.decision
            if step is None:
                continue
            bucket.transitions.update(step.transitions)
            if step.incident.is_open:
                self._open_incidents.add(step.incident.key)
            else:
                self._open_incidents.discard(step.incident.key)
        for s in result.suppressions:
            if (s.reason.value, s.fingerprint) not in self._seen_suppressions:  # not on every refresh
                self._seen_suppressions.add((s.reason.value, s.fingerprint))
                bucket.suppressed[s.reason.value] += 1
        for d in result.decisions:
            if isinstance(d.outcome, Suppressed):
                bucket.suppressed[d.outcome.value] += 1
            elif self._batch_pages:
                self._page(d)
        self.roll(result.at)

    def record_page(self, at: float, recipient: PageRecipient) -> None:
        """Count one page sent at ``at`` (escalation steps, renotifications)."""
        bucket = self._bucket(at)
        hours = hours_of(at, ZoneInfo(recipient.zone))
        bucket.pages[(recipient.person, recipient.channel, hours.value)] += 1

    def _page(self, d: PagingDecision) -> None:
        recipients = self._recipients(d) if self._recipients is not None else ()
        for r in recipients or (PageRecipient(UNROUTED, "none", self._default_zone),):
            self.record_page(d.at, r)

    def source(self, inner: MetricSource) -> MetricSource:
        """``inner``, counting its round trips, failures and rejected statements per interval."""
        return _CountingSource(inner, self)

    def count_source(self, now: float, key: str, n: int = 1) -> None:
        """Add ``n`` to the ``alerter_source`` field ``key`` of the interval of ``now``."""
        self._bucket(now).source[key] += n

    # -- intervals ---------------------------------------------------------------------------

    def roll(self, now: float | None = None) -> int:
        """Close every interval that ended by ``now`` (default: the clock); buffer their lines.

        Returns how many lines are waiting to be written.
        """
        now = self._clock.now() if now is None else now
        self._sample_rules()
        last = self._index(now) - 1  # the latest interval that has ended
        if last - self._closed >= MAX_GAP_INTERVALS:
            self._skip_to(last - MAX_GAP_INTERVALS + 1)
        while self._closed <= last:
            self._pending.extend(self._lines(self._close(self._closed)))
            self._closed += 1
        self._current = max(self._current, self._closed)
        self._trim()
        return len(self._pending)

    def collect(self, now: float | None = None) -> list[str]:
        """Close the intervals ended by ``now`` and hand over (and forget) every buffered line."""
        self.roll(now)
        lines, self._pending = self._pending, []
        return lines

    async def write_pending(self) -> int:
        """Write the buffered lines; return how many were written.

        A failed write is logged and counted (``alerter_source.write_errors``); its lines stay
        buffered for the next attempt. Cancellation propagates.
        """
        if not self._pending:
            return 0
        lines = self._pending
        self._pending = []
        try:
            await self._writer.write(lines)
        except Exception as exc:  # the metrics loop must survive an InfluxDB outage: keep the lines
            self._pending = lines + self._pending
            self._trim()
            self.count_source(self._clock.now(), "write_errors")
            log.warning(
                "selfmetrics: write of %d lines failed (%s); kept for the next interval", len(lines), exc
            )
            return 0
        return len(lines)

    async def tick(self) -> int:
        """Close the intervals ended by now and write every buffered line; return lines written."""
        self.roll()
        return await self.write_pending()

    def tick_soon(self) -> None:
        """:meth:`tick` in the background (for a scheduler's synchronous ``every`` job).

        Skipped while the previous write is still running: its lines stay buffered.
        """
        self.roll()
        if self._writing is None or self._writing.done():
            self._writing = asyncio.get_running_loop().create_task(self.write_pending())

    async def aclose(self) -> None:
        """Wait for a background write, then write what the ended intervals hold."""
        if self._writing is not None:
            await self._writing
        await self.tick()

    @property
    def pending(self) -> int:
        """Lines buffered and not yet written."""
        return len(self._pending)

    def _skip_to(self, k: int) -> None:
        for old in [i for i in self._intervals if i < k]:
            del self._intervals[old]
        self._closed = k

    def _index(self, t: float) -> int:
        return math.floor(t / self.interval)

    def _bucket(self, t: float) -> _Interval:
        k = max(self._index(t), self._closed)  # late observations join the oldest open interval
        if k > self._current:
            self._leave(self._current)
            gauges = self._intervals[self._current]
            for gap in range(max(self._current + 1, k - MAX_GAP_INTERVALS), k):  # unchanged since
                self._intervals[gap] = _Interval(gap * self.interval, alerts=gauges.alerts, open=gauges.open)
            self._current = k
        bucket = self._intervals.get(k)
        if bucket is None:
            bucket = self._intervals[k] = _Interval(k * self.interval)
        return bucket

    def _leave(self, k: int) -> None:
        """Freeze the gauges of interval ``k``: the state when time moved past it."""
        bucket = self._intervals.setdefault(k, _Interval(k * self.interval))
        if bucket.alerts is None:
            bucket.alerts = Counter(self._alert_states.values())
            bucket.open = len(self._open_incidents)

    def _close(self, k: int) -> _Interval:
        if k >= self._current or k not in self._intervals:
            self._leave(k)
        return self._intervals.pop(k)

    def _sample_rules(self) -> None:
        """File each rule's new evaluations under the interval of its last evaluation."""
        for status in self._rules():
            seen = self._last_stats.get(status.name, (0, 0))
            if status.evaluations < seen[0]:  # the rule was replaced: count from zero again
                seen = (0, 0)
            if status.evaluations == seen[0] or status.last_evaluation is None:
                continue
            self._last_stats[status.name] = (status.evaluations, status.failures)
            sample = self._bucket(status.last_evaluation).rules.setdefault(status.name, _RuleSample())
            sample.group, sample.status = status.group, status
            sample.evaluations += status.evaluations - seen[0]
            sample.errors += max(status.failures - seen[1], 0)

    def _trim(self) -> None:
        excess = len(self._pending) - self._max_pending
        if excess > 0:
            del self._pending[:excess]
            self.dropped_lines += excess

    # -- lines -------------------------------------------------------------------------------

    def _lines(self, b: _Interval) -> list[str]:
        points = [
            *self._event_points(b),
            self._point("alerter_incidents", {}, self._incident_fields(b), b.start),
            *self._page_points(b),
            *self._point_per(
                b.start, "alerter_suppressed", "reason", [r.value for r in Suppressed], b.suppressed
            ),
            *self._rule_points(b),
            self._point("alerter_source", {}, self._source_fields(b), b.start),
        ]
        stats = self._outbox_stats()
        if stats is not None:
            points.append(
                self._point("alerter_outbox", {}, {"depth": stats.depth, "failed": stats.failed}, b.start)
            )
        return [encode_point(p) for p in points]

    def _outbox_stats(self) -> OutboxStats | None:
        if self._outbox is None:
            return None
        try:
            return self._outbox()
        except Exception:  # a broken outbox query must not stop the engine whose batch closed this
            log.exception("selfmetrics: reading the outbox's depth failed; alerter_outbox skipped")
            return None

    def _event_points(self, b: _Interval) -> list[Point]:
        alerts = b.alerts or Counter()
        volume = {
            "events": sum(b.events.values()),
            "alerts": sum(b.new_alerts.values()),
            "incidents": b.transitions[Transition.OPENED],
            "pages": sum(b.pages.values()),
            "suppressed": sum(b.suppressed.values()),
        }
        return [
            *(
                self._point(
                    "alerter_events",
                    {"state": s},
                    {"count": b.events[s], "rate": b.events[s] / self.interval},
                    b.start,
                )
                for s in STATES
            ),
            *(
                self._point(
                    "alerter_alerts", {"state": s}, {"active": alerts[s], "new": b.new_alerts[s]}, b.start
                )
                for s in ALERT_STATES
            ),
            self._point("alerter_volume", {}, volume, b.start),
        ]

    @staticmethod
    def _incident_fields(b: _Interval) -> dict[str, FieldValue]:
        t = b.transitions
        return {
            "opened": t[Transition.OPENED],
            "reopened": t[Transition.REOPENED],
            "resolved": t[Transition.RESOLVED_AUTO] + t[Transition.RESOLVED_MANUAL],
            "open": b.open or 0,
        }

    def _page_points(self, b: _Interval) -> list[Point]:
        return [
            self._point(
                "alerter_pages", {"person": person, "channel": channel, "hours": hours}, {"count": n}, b.start
            )
            for (person, channel, hours), n in sorted(b.pages.items())
        ]

    def _point_per(
        self, t: float, name: str, tag: str, values: list[str], counts: Counter[str]
    ) -> list[Point]:
        return [self._point(name, {tag: v}, {"count": counts[v]}, t) for v in values]

    def _rule_points(self, b: _Interval) -> list[Point]:
        points = []
        for rule, s in sorted(b.rules.items()):
            fields: dict[str, FieldValue] = {
                "evaluations": s.evaluations,
                "errors": s.errors,
                "fired": s.fired,
            }
            if s.status is not None and s.status.last_duration is not None:
                fields |= {
                    "duration_ms": s.status.last_duration * 1000.0,
                    "series": s.status.series,
                    "firing": s.status.firing,
                }
            points.append(self._point("alerter_rule", {"rule": rule, "group": s.group}, fields, b.start))
        return points

    @staticmethod
    def _source_fields(b: _Interval) -> dict[str, FieldValue]:
        return {k: b.source[k] for k in ("queries", "errors", "statement_errors", "write_errors")}

    @staticmethod
    def _point(name: str, tags: dict[str, str], fields: Mapping[str, FieldValue], t: float) -> Point:
        return Point(name, tags, fields, t)


class _CountingSource:
    """A MetricSource that counts what the wrapped one does (one per :meth:`SelfMetrics.source`)."""

    def __init__(self, inner: MetricSource, metrics: SelfMetrics) -> None:
        self._inner, self._metrics = inner, metrics

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        self._metrics.count_source(now, "queries")
        try:
            results = await self._inner.query(statements, now=now)
        except Exception:  # counted, then the engine reports it as it always does
            self._metrics.count_source(now, "errors")
            raise
        rejected = sum(1 for r in results if r.error is not None)
        if rejected:
            self._metrics.count_source(now, "statement_errors", rejected)
        return results


__all__ = [
    "Hours",
    "MetricWriter",
    "OutboxStats",
    "PageRecipient",
    "Recipients",
    "SelfMetrics",
    "hours_of",
    "oncall_recipients",
    "outbox_stats",
]
