"""The paging acceptance harness: the whole engine through :func:`alerter.app.compose` on a
FakeClock, paging the fake PagerDuty over real HTTP, a Slack-format webhook receiver on loopback,
and a recording e-mail pager for the final step. Nothing sleeps: the harness moves virtual time.

Place in the flow: test-only. ``rules/`` as shipped (routing.yaml: PagerDuty for the Primary,
the Sub after 10m on PagerDuty + ops-slack, platform-leads by e-mail 10m later). Telegraf-like
samples come from :class:`Fleet` (every host reports ``cpu usage_user`` every 10 s at its current
level); each harness step emits the samples, runs the evaluations due (the engine's
:class:`~alerter.evaluate.virtual.VirtualScheduler`, with escalation ticks every 15 s as
``run_live`` schedules them) and one outbox delivery run, and stamps every request that reached
a receiver with the virtual time it was sent at::

    async with open_world(tmp_path, prod=["web-prod-01"]) as world:
        world.fleet.set("web-prod-01", 99.0, at=T0 + 5)  # from after the last sample out
        await world.run_until(T0 + 600)
        assert [p.action for p in world.delivered("pagerduty")] == ["trigger"]

:class:`Timeline` on top is the small language of Alertmanager's acceptance tests: at ``t`` do
something (samples, an ack, a fault), want a page to X between ``t1`` and ``t2``; every delivered
page must be wanted, every want met exactly once.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_right
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import SecretStr
from sqlmodel import col, select

from alerter.app import Engine, compose
from alerter.clock import Clock, FakeClock
from alerter.config.settings import Settings
from alerter.evaluate.timing import Timing
from alerter.evaluate.virtual import VirtualScheduler
from alerter.incidents.records import IncidentRecord, TimelineEntry
from alerter.incidents.tables import Incident
from alerter.notify.pager import Delivery, Outcome, Pager, PageRequest
from alerter.source.static import Point, StaticSource
from integrations.pagerduty import PagerDutyPager
from integrations.pagerduty.fake import FakePagerDuty, Fault
from integrations.webhook import WebhookPager

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
T0 = 1_767_862_800.0
"""Thursday 2026-01-08 09:00 UTC: week 0 of rules/oncall.yaml, Anna Primary, Ben Sub."""
ANNA = "Anna Becker (anna)"
BEN = "Ben Schulz (ben)"
ROUTING_KEY = "0123456789abcdef0123456789abcdef"
SAMPLE_EVERY = 10.0
HEALTHY, HOT = 20.0, 99.0  # host_cpu_high: critical above 95 for 2m, clear below 80
PAGER_TIMEOUT = 1.0
"""Each injected TIMEOUT fault costs this much real time. The fake answers a healthy request in
~15 ms; a healthy request timing out on a loaded machine would be re-sent (a duplicate request
the tests would count), so this stays well above that."""


def settings_for(db: Path, *, engine_name: str = "alerter", rules: Path = RULES) -> Settings:
    """The brief's settings: the shipped rules and config (or a copy in ``rules``), a SQLite
    file, links to alerter.test."""
    return Settings(
        rules=(str(rules),),
        config_dir=str(rules),
        database_url=f"sqlite:///{db}",
        engine_name=engine_name,
        public_url="http://alerter.test",
    )


# -- samples ---------------------------------------------------------------------------------


class Fleet:
    """Hosts reporting ``cpu usage_user`` every 10 s into a StaticSource, at a settable level.

    ``set(host, level, at)`` changes the level from ``at`` on (a step function per host), so a
    test says "web-prod-01 runs hot from T0+60" and the samples follow.
    """

    def __init__(
        self,
        hosts: Mapping[str, str],
        start: float,
        *,
        role: str = "web",
        plan: Iterable[tuple[str, float, float]] = (),
    ) -> None:
        """``plan``: ``(host, level, from)`` changes known in advance (a restarted process
        regenerates the same samples, also those before its start)."""
        self.source = StaticSource()
        self._tags = {h: {"host": h, "role": role, "env": env} for h, env in hosts.items()}
        self._levels: dict[str, list[tuple[float, float]]] = {h: [(float("-inf"), HEALTHY)] for h in hosts}
        self._emitted = float("-inf")
        for host, level, at in plan:
            self.set(host, level, at)
        self._emitted = start - 300.0  # five minutes of history before the start
        self.emit_until(start)

    def set(self, host: str, level: float, at: float) -> None:
        """From ``at`` on, ``host`` reports ``level`` (samples already emitted stay as they were)."""
        if at <= self._emitted:
            raise ValueError(f"fleet: samples up to {self._emitted} are out; cannot change {host} at {at}")
        changes = self._levels[host]
        changes.insert(bisect_right([t for t, _ in changes], at), (at, level))

    def level(self, host: str, t: float) -> float:
        changes = self._levels[host]
        return changes[bisect_right([c for c, _ in changes], t) - 1][1]

    def emit_until(self, t: float) -> None:
        """Add every sample due in ``(last emitted, t]``."""
        points: list[Point] = []
        s = self._emitted + SAMPLE_EVERY
        while s <= t:
            points += [
                Point("cpu", tags, {"usage_user": self.level(h, s)}, s) for h, tags in self._tags.items()
            ]
            self._emitted = s
            s += SAMPLE_EVERY
        self.source.add(points)


# -- receivers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seen:
    """One request that reached a receiver: when (virtual), which channel, what it said, and
    how the receiver answered (``status`` None: no answer, an injected timeout or drop)."""

    at: float
    channel: str
    action: str
    dedup_key: str
    responder: str | None
    status: int | None
    body: Mapping[str, Any]

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class SlackReceiver:
    """A Slack incoming-webhook endpoint on 127.0.0.1: records every POST body and answers
    ``200 ok``, or the next scripted ``(status, headers)`` of :attr:`script` (e.g. Slack's
    ``429`` with ``Retry-After``). ``statuses`` lists what each request got."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.statuses: list[int] = []
        self.script: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    status, headers = receiver.script.pop(0) if receiver.script else (200, {})
                    receiver.bodies.append(body)
                    receiver.statuses.append(status)
                answer = b"ok" if status == 200 else b"rate_limited"
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: tests read ``bodies``."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/services/T000/B000/hook"

    def __enter__(self) -> SlackReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class RecordingPager:
    """A Pager that keeps every page it is given, stamped with the clock (the e-mail channel)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.pages: list[tuple[float, PageRequest]] = []

    async def send(self, page: PageRequest) -> Delivery:
        self.pages.append((self._clock.now(), page))
        return Delivery(Outcome.OK, "recorded")


def _slack_seen(at: float, raw: bytes, status: int) -> Seen:
    """A Slack body back into (action, dedup_key, responder): the fallback text ends with
    ``(severity, dedup_key)``, the details section has a ``*responder*: ...`` line."""
    body = json.loads(raw)
    text: str = body["text"]
    action = {"Triggered": "trigger", "Acknowledged": "acknowledge", "Resolved": "resolve"}[
        text.split(":")[0]
    ]
    key = text.rsplit(", ", 1)[1].rstrip(")")
    responder = None
    for block in body["blocks"]:
        for line in block.get("text", {}).get("text", "").splitlines():
            if line.startswith("*responder*: "):
                responder = line.removeprefix("*responder*: ").replace("&lt;", "<").replace("&gt;", ">")
    return Seen(at, "ops-slack", action, key, responder, status, body)


def _pagerduty_seen(at: float, status: int | None, raw: bytes) -> Seen:
    body = json.loads(raw)
    details = body.get("payload", {}).get("custom_details", {})
    return Seen(
        at, "pagerduty", body["event_action"], body["dedup_key"], details.get("responder"), status, body
    )


# -- the world -------------------------------------------------------------------------------


@dataclass
class PagingWorld:
    """One composed engine on a FakeClock with its receivers; see the module doc."""

    db: Path
    clock: FakeClock
    fleet: Fleet
    fake: FakePagerDuty
    slack: SlackReceiver
    leads: RecordingPager
    pagers: Mapping[str, Pager]
    tick: float = 30.0
    rules: Path = RULES
    seen: list[Seen] = field(default_factory=list)
    before_delivery: list[Callable[[PagingWorld, float], None]] = field(default_factory=list)
    engine: Engine = field(init=False)
    scheduler: VirtualScheduler = field(init=False)
    _fake_seen: int = 0
    _slack_seen: int = 0
    _leads_seen: int = 0

    def __post_init__(self) -> None:
        self.restart()

    def restart(self) -> Engine:
        """Compose a new engine on the same database (a process restart without a kill):
        the old one is closed, the new one's scheduler starts at the clock's time."""
        if hasattr(self, "engine"):
            self.engine.close()
        self.engine = compose(
            settings_for(self.db, rules=self.rules), self.clock, self.fleet.source, self.pagers
        )
        self.scheduler = VirtualScheduler(self.engine.rules, self.clock, Timing(max_jitter=0))
        self.scheduler.every("escalation", 15.0, self.engine.escalate)
        self.engine.outbox.recover(self.clock.now())  # what the live sender does when it starts
        return self.engine

    async def run_until(self, t: float) -> None:
        """Step every ``tick`` up to ``t``: samples, due evaluations and escalations, one
        delivery run; every request sent in the step is stamped with the step's time."""
        while self.clock.now() < t:
            step = min(self.clock.now() + self.tick, t)
            self.fleet.emit_until(step)
            await self.scheduler.run_until(step)
            for hook in self.before_delivery:
                hook(self, step)
            await self.engine.deliverer.run_once(step)
            self._collect(step)

    def _collect(self, at: float) -> None:
        received = self.fake.received
        self.seen += [_pagerduty_seen(at, r.status, r.body) for r in received[self._fake_seen :]]
        self._fake_seen = len(received)
        answered = list(zip(self.slack.bodies, self.slack.statuses, strict=True))[self._slack_seen :]
        self._slack_seen += len(answered)
        self.seen += [_slack_seen(at, body, status) for body, status in answered]
        for _t, page in self.leads.pages[self._leads_seen :]:
            responder = page.custom_details.get("responder")
            self.seen.append(
                Seen(at, "platform-leads", page.action.value, page.dedup_key, responder, 200, {})
            )
        self._leads_seen = len(self.leads.pages)

    # -- people ----------------------------------------------------------------------------

    def acknowledge(self, key: str, who: str) -> None:
        """``who`` acknowledges incident ``key`` now (the API's and the web UI's path)."""
        now = self.clock.now()
        self.engine.store.run(lambda tx: self.engine.dispatcher.acknowledge(tx, key, who, now))

    # -- observations ----------------------------------------------------------------------

    def delivered(self, channel: str | None = None, action: str | None = None) -> list[Seen]:
        """Requests the receiver accepted, in order (PagerDuty: 202)."""
        return [
            s
            for s in self.seen
            if s.accepted
            and (channel is None or s.channel == channel)
            and (action is None or s.action == action)
        ]

    def requests(self, channel: str) -> list[Seen]:
        """Every request to ``channel``, answered or not, in order."""
        return [s for s in self.seen if s.channel == channel]

    def incidents(self) -> list[IncidentRecord]:
        with self.engine.store.transaction() as tx:
            keys = tx.session.exec(select(Incident.key).order_by(col(Incident.id))).all()
            records = [tx.incident(k) for k in keys]
        return [r for r in records if r is not None]

    def keys(self) -> dict[str, str]:
        """Host -> the key of the (one) incident about it. Raises LookupError if a host has several."""
        out: dict[str, str] = {}
        for record in self.incidents():
            for host in {a.host for a in record.alerts if a.host}:
                if out.setdefault(host, record.key) != record.key:
                    raise LookupError(f"several incidents about {host}: {out[host]}, {record.key}")
        return out

    def key_of(self, host: str) -> str:
        """The key of the (one) incident about ``host``."""
        return self.keys()[host]

    def timeline(self, key: str) -> list[TimelineEntry]:
        with self.engine.store.transaction() as tx:
            return tx.timeline(key)


@asynccontextmanager
async def open_world(
    tmp_path: Path,
    *,
    prod: Sequence[str] = (),
    stg: Sequence[str] = (),
    start: float = T0,
    tick: float = 30.0,
    rate_limit: int = 120,
    rules: Path = RULES,
) -> AsyncIterator[PagingWorld]:
    """A world with ``prod`` and ``stg`` hosts (healthy until told otherwise), at ``start``;
    ``rules``: the folder of rules and config (default: the shipped ``rules/``).

    On exit the fake must not have broken PagerDuty's response schemas (checked here)."""
    clock = FakeClock(start)
    hosts = {**dict.fromkeys(prod, "prod"), **dict.fromkeys(stg, "stg")}
    with (
        FakePagerDuty(clock=clock, rate_limit=rate_limit, hold_seconds=2 * PAGER_TIMEOUT) as fake,
        SlackReceiver() as slack,
    ):
        pd = PagerDutyPager(SecretStr(ROUTING_KEY), base_url=fake.url, timeout=PAGER_TIMEOUT)
        hook = WebhookPager(slack.url, slack=True, timeout=2.0)
        leads = RecordingPager(clock)
        pagers: dict[str, Pager] = {"pagerduty": pd, "ops-slack": hook, "platform-leads": leads}
        world = PagingWorld(
            tmp_path / "alerter.db", clock, Fleet(hosts, start), fake, slack, leads, pagers, tick, rules
        )
        try:
            yield world
        finally:
            world.engine.close()
            await pd.aclose()
            await hook.aclose()
        assert fake.violations == []


# -- PagerDuty outages -----------------------------------------------------------------------


@dataclass
class Outage:
    """PagerDuty down from ``start`` to ``end``: every request in between fails with the next
    fault of ``faults`` (503, dropped connection, timeout...), round robin.

    The fake's faults are per request, so before each delivery run that will send to PagerDuty
    (a PagerDuty row due and the channel not paused) exactly one fault is injected: the sender
    sends one request per run then pauses the channel (it stops a lane at the first failure).
    ``injected`` counts them; a fault injected but not used would leak past the outage, which
    :meth:`unused` shows.
    """

    start: float
    end: float
    faults: Sequence[Fault]
    injected: int = 0

    def __call__(self, world: PagingWorld, now: float) -> None:
        if not self.start <= now < self.end:
            return
        paused = world.engine.deliverer.paused_until("pagerduty")
        if paused is not None and paused > now:
            return
        if any(e.channel == "pagerduty" for e in world.engine.outbox.due(now, 1000)):
            world.fake.inject(self.faults[self.injected % len(self.faults)])
            self.injected += 1

    def unused(self, world: PagingWorld) -> int:
        return self.injected - sum(1 for r in world.fake.received if r.fault is not None)


# -- the timeline language -------------------------------------------------------------------


Action = Callable[[PagingWorld], None]


def hot(*hosts: str, level: float = HOT) -> Action:
    """The hosts' CPU runs at ``level`` from the action's time on."""

    def act(world: PagingWorld) -> None:
        for host in hosts:
            world.fleet.set(host, level, at=world.clock.now() + SAMPLE_EVERY / 2)

    return act


def cool(*hosts: str) -> Action:
    """The hosts' CPU is healthy again from the action's time on."""
    return hot(*hosts, level=HEALTHY)


def ack(host: str, who: str) -> Action:
    """``who`` acknowledges the incident about ``host``."""
    return lambda world: world.acknowledge(world.key_of(host), who)


@dataclass(frozen=True, slots=True)
class Want:
    """A page wanted on ``channel`` between ``start`` and ``end`` (inclusive), about ``host``'s
    incident; ``responder`` (if given) must be named in the page."""

    channel: str
    action: str
    host: str
    start: float
    end: float
    responder: str | None = None

    def matches(self, seen: Seen, key: str) -> bool:
        return (
            seen.channel == self.channel
            and seen.action == self.action
            and seen.dedup_key == key
            and (self.responder is None or seen.responder == self.responder)
        )

    def __str__(self) -> str:
        who = f" naming {self.responder}" if self.responder else ""
        return f"{self.action} to {self.channel} about {self.host}{who} in [{self.start - T0:+.0f}s, {self.end - T0:+.0f}s]"


class Timeline:
    """At ``t`` do things; want pages between ``t1`` and ``t2``; run; check (Alertmanager's
    acceptance tests). :meth:`check` returns every problem: a want met zero or several times
    inside its window, and every accepted page no want took (a duplicate, a page too early or
    too late, a page nobody expected)."""

    def __init__(self, world: PagingWorld) -> None:
        self.world = world
        self._actions: list[tuple[float, int, Action]] = []
        self.wants: list[Want] = []

    def at(self, t: float, *actions: Action) -> Timeline:
        self._actions += [(t, len(self._actions), a) for a in actions]
        return self

    def want(
        self,
        channel: str,
        action: str,
        host: str,
        *,
        between: tuple[float, float],
        responder: str | None = None,
    ) -> Timeline:
        self.wants.append(Want(channel, action, host, between[0], between[1], responder))
        return self

    async def run(self, until: float) -> None:
        for t, _, act in sorted(self._actions, key=lambda a: (a[0], a[1])):
            await self.world.run_until(t)
            act(self.world)
        await self.world.run_until(until)

    def check(self) -> list[str]:
        problems: list[str] = []
        delivered = self.world.delivered()
        keys = self.world.keys()
        used: set[int] = set()
        for want in self.wants:
            matching = [i for i, s in enumerate(delivered) if want.matches(s, keys[want.host])]
            hits = [i for i in matching if want.start <= delivered[i].at <= want.end and i not in used]
            used.update(hits)
            if len(hits) != 1:
                times = [f"{delivered[i].at - T0:+.0f}s" for i in matching]
                problems.append(f"wanted once, got {len(hits)} (all such pages: {times}): {want}")
        for i, s in enumerate(delivered):
            if i not in used:
                problems.append(
                    f"unwanted {s.action} to {s.channel} ({s.dedup_key}, {s.responder}) at {s.at - T0:+.0f}s"
                )
        return problems
