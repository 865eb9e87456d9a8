"""Composition root: settings + chosen integrations -> a running engine.

This module and :mod:`alerter.cli` are the only places that import ``integrations``; every stage
below gets its collaborators (source, store, pagers, clock) passed in. :func:`compose` wires the
whole flow once, for live mode, the demo and the acceptance tests alike::

    MetricSource -> RuleEngine (evaluate) -> Pipeline (streams/correlation -> incident store)
      -> Dispatcher (route + escalation -> outbox, same transaction) -> Deliverer -> Pagers

Two ways to drive it:

* :func:`run_live`: APScheduler on the event loop, wall-clock ``now``, hot reload of the rules,
  the outbox sender, escalation ticks, and the web UI if one is given;
* :func:`warm_up`: evaluation only, on a virtual clock over a past window, so ``for:`` and no-data
  state are already right when live evaluation starts (it pages nothing: the past is over).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from alerter.clock import Clock, FakeClock, SystemClock
from alerter.config.correlation import CorrelationPolicy, load_correlation
from alerter.config.load import load_rules
from alerter.config.maintenance import MaintenanceWindow, load_maintenance
from alerter.config.oncall import OnCallSpec, load_oncall
from alerter.config.routing import ChannelType, RoutingConfig, load_routing_config
from alerter.config.settings import InfluxSettings, Settings
from alerter.config.topology import Topology, load_topology
from alerter.config.web import WebSettings
from alerter.errors import ConfigError, Problem
from alerter.evaluate.cycle import RuleEngine
from alerter.evaluate.reload import RuleReloader
from alerter.evaluate.scheduler import EvaluationScheduler
from alerter.evaluate.sink import CountingSink, EventSink, FanoutSink, PrintingSink
from alerter.evaluate.timing import Timing
from alerter.evaluate.virtual import VirtualScheduler
from alerter.incidents.maintenance_store import MaintenanceStore
from alerter.incidents.records import Applied
from alerter.incidents.store import IncidentStore
from alerter.notify.delivery import Deliverer, serve
from alerter.notify.dispatch import Dispatcher
from alerter.notify.inbound import IncidentUpdate
from alerter.notify.outbox import Outbox
from alerter.notify.pager import Pager
from alerter.replay import EngineWiring, build_engine, restore_rule_states
from alerter.route.maintenance import RefreshingBook
from alerter.selfmetrics import MetricWriter, SelfMetrics, oncall_recipients, outbox_stats
from alerter.source import MetricSource
from alerter.web.app import create_app
from alerter.web.context import WebContext
from alerter.web.report_provider import StoreReportProvider
from alerter.web.server import WebServer
from alerter.web.webhooks import WebhookHandler, incident_store_sink
from integrations.influxdb import InfluxMetricSource
from integrations.pagerduty import PagerDutyPager
from integrations.pagerduty.webhooks import SeenWebhooks, handle_pagerduty_webhook
from integrations.smtp import SmtpPager
from integrations.webhook import WebhookPager

log = logging.getLogger(__name__)

SinkFactory = Callable[[Clock], EventSink]


def influx_source(settings: InfluxSettings, database: str | None = None) -> InfluxMetricSource:
    """The InfluxDB source for ``settings`` (secrets stay SecretStr until the request)."""
    return InfluxMetricSource(
        settings.url,
        database or settings.database,
        username=settings.username,
        password=settings.password,
        token=settings.token,
        timeout=settings.timeout,
        max_concurrency=settings.max_concurrency,
    )


@dataclass(frozen=True, slots=True)
class Policies:
    """The config beside the rules, loaded and checked together."""

    correlation: CorrelationPolicy
    topology: Topology | None
    routing: RoutingConfig
    maintenance: tuple[MaintenanceWindow, ...]


def load_policies(config_dir: Path | str) -> Policies:
    """Load correlation (required), topology, routing + on-call (required) and maintenance files.

    Raises :class:`ConfigError` with every problem found, located ``path:line:col``.
    """
    root = Path(config_dir)
    problems: list[Problem] = []
    correlation, found = load_correlation(root / "correlation.yaml")
    problems += found
    topology = None
    if (root / "topology.yaml").exists():
        topology, found = load_topology(root / "topology.yaml")
        problems += found
    routing, found = load_routing_config(root / "routing.yaml")
    problems += found
    windows: list[MaintenanceWindow] = []
    for path in sorted(root.glob("maintenance*.y*ml")):
        loaded, found = load_maintenance(path)
        windows += loaded
        problems += found
    if problems or correlation is None or routing is None:
        raise ConfigError(
            problems or [Problem(str(root), 1, 1, "correlation.yaml and routing.yaml are required")]
        )
    return Policies(correlation, topology, routing, tuple(windows))


def pagers_from(
    settings: Settings, routing: RoutingConfig, *, console: Pager | None = None
) -> dict[str, Pager]:
    """One Pager per routing channel, plus one per (e-mail channel, member) for personal pages.

    ``console`` (the demo) takes every channel. A channel whose outside system is not configured
    gets no pager: its pages wait in the outbox (``alerter outbox`` shows them), never lost.
    """
    channels = routing.policy.channels
    if console is not None:
        return {name: console for name in channels}
    pagers: dict[str, Pager] = {}
    for name, channel in channels.items():
        if channel.type is ChannelType.PAGERDUTY and settings.pagerduty.routing_key is not None:
            pagers[name] = PagerDutyPager(
                settings.pagerduty.routing_key, base_url=settings.pagerduty.events_url
            )
        elif channel.type is ChannelType.EMAIL and settings.smtp.host:
            pagers[name] = _smtp(settings, channel.to)
            for spec in routing.rotations.values():
                for member in spec.members:
                    pagers[f"{name}:{member.id}"] = _smtp(settings, (member.email,))
        elif channel.type is ChannelType.WEBHOOK and channel.url_env:
            url = os.environ.get(channel.url_env)
            if url:
                pagers[name] = WebhookPager(url, slack=channel.format == "slack")
    missing = sorted(set(channels) - set(pagers))
    if missing:
        log.warning(
            "no outside system configured for channel(s) %s: their pages wait in the outbox",
            ", ".join(missing),
        )
    return pagers


def _smtp(settings: Settings, recipients: tuple[str, ...]) -> SmtpPager:
    smtp = settings.smtp
    assert smtp.host is not None
    return SmtpPager(
        smtp.host,
        smtp.port,
        sender=smtp.sender,
        recipients=list(recipients),
        username=smtp.username,
        password=smtp.password,
        starttls=smtp.starttls,
    )


@dataclass
class Engine:
    """Every part of one composed engine (what the CLI, the web UI and tests look at)."""

    settings: Settings
    clock: Clock
    source: MetricSource
    store: IncidentStore
    maintenance: MaintenanceStore
    policies: Policies
    wiring: EngineWiring
    dispatcher: Dispatcher
    outbox: Outbox
    deliverer: Deliverer
    reloader: RuleReloader
    metrics: SelfMetrics | None = None

    @property
    def rules(self) -> RuleEngine:
        return self.wiring.engine

    def escalate(self) -> None:
        """Queue every escalation step due now (also done after every evaluation batch)."""
        now = self.clock.now()
        self.store.run(lambda tx: self.dispatcher.tick(tx, now))

    def close(self) -> None:
        self.store.close()


def compose(
    settings: Settings,
    clock: Clock,
    source: MetricSource,
    pagers: Mapping[str, Pager],
    *,
    sink: EventSink | None = None,
    policies: Policies | None = None,
    metrics_writer: MetricWriter | None = None,
) -> Engine:
    """Wire the whole engine on ``settings``; load the rules (raises ConfigError if invalid).

    Nothing runs yet: drive ``engine.rules`` with a scheduler (live or virtual) and
    ``engine.deliverer.run_once`` / :func:`serve` for the outbox.
    """
    policies = policies or load_policies(settings.config_dir)
    _ensure_sqlite_dir(settings.database_url)
    store = IncidentStore(settings.database_url)
    maintenance = MaintenanceStore(settings.database_url)
    book = RefreshingBook(lambda now: maintenance.windows(now=now), refresh=15.0, fixed=policies.maintenance)
    public = settings.public_url.rstrip("/")
    dispatcher = Dispatcher(
        policies.routing, source=settings.engine_name, incident_url=lambda key: f"{public}/incidents/{key}"
    )
    outbox = Outbox(store)
    metrics = None
    if metrics_writer is not None:
        specs = list(policies.routing.rotations.values())
        metrics = SelfMetrics(
            metrics_writer,
            clock,
            interval=60.0,
            rules=lambda: wiring.engine.statuses(),
            outbox=lambda: outbox_stats(outbox.counts()),
            recipients=oncall_recipients(specs[0]) if len(specs) == 1 else None,
        )
        source = metrics.source(source)
        sink = metrics if sink is None else FanoutSink(sink, metrics)
    wiring = build_engine(
        source,
        store,
        policies.correlation,
        clock,
        topology=policies.topology,
        suppressor=book.reason,
        sink=sink,
        deliver=dispatcher.deliver,
        name=settings.engine_name,
        on_batch=None if metrics is None else metrics.observe_batch,
    )
    reloader = RuleReloader(settings.rules, wiring.engine, clock)
    reloader.load_initial()
    restore_rule_states(wiring.engine, store)
    return Engine(
        settings,
        clock,
        source,
        store,
        maintenance,
        policies,
        wiring,
        dispatcher,
        outbox,
        Deliverer(outbox, pagers, clock),
        reloader,
        metrics,
    )


def freeze_long_lived() -> None:
    """Move everything alive now (rules, compiled templates, restored per-series state) out of
    the cyclic garbage collector's sight: it is long-lived, and rescanning it on every
    collection cost about half the evaluation time in ``bench/eval_cycle.py``."""
    gc.collect()
    gc.freeze()


def _ensure_sqlite_dir(url: str) -> None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != f"{prefix}:memory:":
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


async def warm_up(
    settings: Settings, source: MetricSource, sink: SinkFactory, start: float, end: float
) -> dict[str, dict[str, Any]]:
    """Evaluate every rule over ``(start, end]`` on virtual time; return the per-rule states.

    Evaluation only: incidents and pages start with live evaluation. Raises ConfigError if the
    rules do not load.
    """
    clock = FakeClock(start)
    engine = RuleEngine(source, sink(clock), clock, name=settings.engine_name)
    rules = load_rules(settings.rules)
    rules.raise_for_problems()
    engine.apply(rules.rules)
    await VirtualScheduler(engine, clock, _timing(settings)).run_until(end)
    return engine.saved_states()


WebRunner = Callable[[Engine, asyncio.Event], Awaitable[None]]


def oncall_loader(path: Path) -> Callable[[], OnCallSpec | None]:
    """Reads ``path`` on every call (so an edit shows at once); None if absent or broken."""

    def load() -> OnCallSpec | None:
        if not path.exists():
            return None
        spec, problems = load_oncall(path)
        return None if problems else spec

    return load


def windows_loader(path: Path) -> Callable[[], tuple[MaintenanceWindow, ...]]:
    """Reads the recurring windows of ``path`` on every call; none if absent or broken."""

    def load() -> tuple[MaintenanceWindow, ...]:
        if not path.exists():
            return ()
        windows, problems = load_maintenance(path)
        return () if problems else windows

    return load


def pagerduty_webhook_handler(
    settings: WebSettings,
    store: IncidentStore,
    clock: Clock,
    apply: Callable[[IncidentUpdate], object] | None = None,
) -> WebhookHandler | None:
    """``handle_pagerduty_webhook`` bound to the configured secrets, a redelivery memory and the
    store sink; None when no secret is configured (the route then answers 404)."""
    if not settings.pagerduty_webhook_secrets:
        return None
    return partial(
        handle_pagerduty_webhook,
        secrets=settings.pagerduty_webhook_secrets,
        seen=SeenWebhooks(clock),
        apply=apply if apply is not None else incident_store_sink(store),
    )


def web_context(engine: Engine) -> WebContext:
    """The web UI's view of a running engine: acks, resolves and PagerDuty webhooks go through
    the dispatcher, so they stop escalation and notify every channel that was paged."""
    store, dispatcher, clock = engine.store, engine.dispatcher, engine.clock
    config_dir = Path(engine.settings.config_dir)
    oncall = oncall_loader(config_dir / "oncall.yaml")

    def acknowledge(key: str, who: str, now: float, note: str | None) -> Applied:
        return store.run(lambda tx: dispatcher.acknowledge(tx, key, who, now, note))

    def resolve(key: str, who: str, now: float, note: str | None) -> Applied:
        return store.run(lambda tx: dispatcher.resolve(tx, key, who, now, note))

    def apply(update: IncidentUpdate) -> object:
        return store.run(lambda tx: dispatcher.apply_update(tx, update))

    return WebContext(
        incidents=store,
        maintenance=engine.maintenance,
        clock=clock,
        settings=engine.settings.web,
        oncall=oncall,
        rule_statuses=engine.rules.statuses,
        rule_problems=lambda: load_rules(engine.settings.rules).problems,
        configured_windows=lambda: engine.policies.maintenance,
        report=StoreReportProvider(store, oncall),
        acknowledge=acknowledge,
        resolve=resolve,
        pagerduty_webhook=pagerduty_webhook_handler(engine.settings.web, store, clock, apply),
    )


def web_runner(host: str, port: int, *, log_level: str = "warning") -> WebRunner:
    """Serve the web UI of the engine on ``host:port`` until the engine stops."""

    async def run(engine: Engine, stop: asyncio.Event) -> None:
        server = WebServer(create_app(web_context(engine)), host=host, port=port, log_level=log_level)
        task = asyncio.create_task(server.serve())
        await stop.wait()
        server.stop()
        await task

    return run


async def run_live(
    engine: Engine,
    *,
    stop: asyncio.Event,
    saved_states: Mapping[str, Mapping[str, Any]] | None = None,
    web: WebRunner | None = None,
) -> None:
    """Run ``engine`` until ``stop`` is set: evaluation on schedule, hot reload (SIGHUP: at once),
    escalation ticks, the outbox sender, and ``web`` (the UI) beside them."""
    if saved_states:
        engine.rules.restore_states(saved_states)
    settings, clock = engine.settings, engine.clock
    scheduler = EvaluationScheduler(engine.rules, clock, _timing(settings))
    scheduler.every("reload", settings.reload_interval, engine.reloader.poll)
    scheduler.every("escalation", 15.0, engine.escalate)
    scheduler.every("maintenance-expiry", 60.0, lambda: engine.maintenance.expire(clock.now()))
    if engine.metrics is not None:
        scheduler.every("selfmetrics", engine.metrics.interval, engine.metrics.tick_soon)
    scheduler.start()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGHUP, engine.reloader.reload)
    tasks = [asyncio.create_task(serve(engine.deliverer, clock, stop, settings.delivery_tick), name="outbox")]
    if web is not None:
        tasks.append(asyncio.create_task(web(engine, stop), name="web"))
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGHUP)
        await scheduler.aclose()
        await asyncio.gather(*tasks, return_exceptions=True)
        if engine.metrics is not None:
            await engine.metrics.aclose()


async def warm_then_run(
    settings: Settings,
    source: MetricSource,
    sinks: SinkFactory,
    pagers: Callable[[Policies], Mapping[str, Pager]],
    *,
    warm_from: float | None,
    duration: float | None = None,
    on_live: Callable[[Engine], None] | None = None,
    web: WebRunner | None = None,
) -> None:
    """Warm up over ``(warm_from, now]`` on virtual time (if given), then compose and run live.

    ``duration`` (seconds) stops the live run; ``None`` runs until cancelled (Ctrl-C).
    ``on_live`` is called with the engine once live evaluation is about to start.
    """
    policies = load_policies(settings.config_dir)
    states = None
    if warm_from is not None:
        states = await warm_up(settings, source, sinks, warm_from, SystemClock().now())
    clock = SystemClock()
    writer = None
    if settings.selfmetrics_database:
        writer = influx_source(settings.influx, settings.selfmetrics_database)
        await writer.create_database(settings.selfmetrics_database)
    engine = compose(
        settings, clock, source, pagers(policies), sink=sinks(clock), policies=policies, metrics_writer=writer
    )
    if states:
        engine.rules.restore_states(states)  # the warm-up's view is newer than what was persisted
    freeze_long_lived()  # a process-wide choice: made here, at the live entry point, not in compose()
    try:
        if on_live:
            on_live(engine)
        stop = asyncio.Event()
        if duration is not None:
            asyncio.get_running_loop().call_later(duration, stop.set)
        await run_live(engine, stop=stop, web=web)
    finally:
        engine.close()
        if writer is not None:
            await writer.aclose()


def printing_sink(out: TextIO, counts: CountingSink | None = None) -> SinkFactory:
    """A factory of sinks printing each state change (and counting, if ``counts`` is given)."""

    def make(clock: Clock) -> EventSink:
        printer = PrintingSink(clock, out, changes_only=True)
        return FanoutSink(printer, counts) if counts is not None else printer

    return make


def _timing(settings: Settings) -> Timing:
    return Timing(settings.jitter, seed=settings.engine_name)


__all__ = [
    "Engine",
    "Policies",
    "compose",
    "influx_source",
    "load_policies",
    "oncall_loader",
    "pagerduty_webhook_handler",
    "pagers_from",
    "printing_sink",
    "run_live",
    "warm_then_run",
    "warm_up",
    "web_context",
    "web_runner",
    "windows_loader",
]
