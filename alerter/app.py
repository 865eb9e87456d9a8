"""Composition root: settings + chosen integrations -> a running engine.

This module and :mod:`alerter.cli` are the only places that import ``integrations``; every stage
below gets its collaborators (source, sink, clock) passed in. Two ways to run the same engine:

* :func:`run_live`: APScheduler on the event loop, wall-clock ``now``, hot reload of the rules;
* :func:`warm_up`: the same :class:`~alerter.evaluate.cycle.RuleEngine` on a virtual clock over
  a past window, as fast as the source answers, so ``for:`` and no-data state are already right
  when live evaluation starts (and so the demo shows what fired in the last hour at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from alerter.clock import Clock, FakeClock, SystemClock
from alerter.config.load import load_rules
from alerter.config.settings import InfluxSettings, Settings
from alerter.evaluate.cycle import RuleEngine
from alerter.evaluate.reload import RuleReloader
from alerter.evaluate.scheduler import EvaluationScheduler
from alerter.evaluate.sink import CountingSink, EventSink, FanoutSink, PrintingSink
from alerter.evaluate.timing import Timing
from alerter.evaluate.virtual import VirtualScheduler
from alerter.source import MetricSource
from integrations.influxdb import InfluxMetricSource

log = logging.getLogger(__name__)

SinkFactory = Callable[[Clock], EventSink]


def influx_source(settings: InfluxSettings) -> InfluxMetricSource:
    """The InfluxDB source for ``settings`` (secrets stay SecretStr until the request)."""
    return InfluxMetricSource(
        settings.url,
        settings.database,
        username=settings.username,
        password=settings.password,
        token=settings.token,
        timeout=settings.timeout,
        max_concurrency=settings.max_concurrency,
    )


async def warm_up(
    settings: Settings, source: MetricSource, sink: SinkFactory, start: float, end: float
) -> dict[str, dict[str, Any]]:
    """Evaluate every rule over ``(start, end]`` on virtual time; return the per-rule states.

    Raises :class:`alerter.errors.ConfigError` if the rules do not load.
    """
    clock = FakeClock(start)
    engine = RuleEngine(source, sink(clock), clock, name=settings.engine_name)
    rules = load_rules(settings.rules)
    rules.raise_for_problems()
    engine.apply(rules.rules)
    await VirtualScheduler(engine, clock, _timing(settings)).run_until(end)
    return engine.saved_states()


@dataclass
class LiveEngine:
    """The parts of a running engine, for the CLI and the web UI to look at."""

    engine: RuleEngine
    scheduler: EvaluationScheduler
    reloader: RuleReloader


async def run_live(
    settings: Settings,
    source: MetricSource,
    sink: EventSink,
    *,
    clock: Clock | None = None,
    stop: asyncio.Event,
    saved_states: Mapping[str, Mapping[str, Any]] | None = None,
    started: Callable[[LiveEngine], None] | None = None,
) -> None:
    """Run the engine until ``stop`` is set. SIGHUP reloads the rules at once.

    Raises :class:`alerter.errors.ConfigError` if the rules are invalid at start (later invalid
    edits are rejected by the reloader and the old rules keep running).
    """
    clock = clock or SystemClock()
    engine = RuleEngine(source, sink, clock, name=settings.engine_name)
    reloader = RuleReloader(settings.rules, engine, clock)
    reloader.load_initial()
    if saved_states:
        engine.restore_states(saved_states)
    scheduler = EvaluationScheduler(engine, clock, _timing(settings))
    scheduler.every("reload", settings.reload_interval, reloader.poll)
    scheduler.start()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGHUP, reloader.reload)
    if started:
        started(LiveEngine(engine, scheduler, reloader))
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGHUP)
        await scheduler.aclose()


async def warm_then_run(
    settings: Settings,
    source: MetricSource,
    sinks: SinkFactory,
    *,
    warm_from: float | None,
    duration: float | None = None,
    on_live: Callable[[], None] | None = None,
) -> None:
    """Warm up over ``(warm_from, now]`` on virtual time (if given), then run live.

    ``duration`` (seconds) stops the live run; ``None`` runs until cancelled (Ctrl-C).
    ``on_live`` is called once live evaluation is about to start.
    """
    states = None
    if warm_from is not None:
        states = await warm_up(settings, source, sinks, warm_from, SystemClock().now())
    if on_live:
        on_live()
    stop = asyncio.Event()
    if duration is not None:
        asyncio.get_running_loop().call_later(duration, stop.set)
    await run_live(settings, source, sinks(SystemClock()), stop=stop, saved_states=states)


def printing_sink(out: TextIO, counts: CountingSink | None = None) -> SinkFactory:
    """A factory of sinks printing each state change (and counting, if ``counts`` is given)."""

    def make(clock: Clock) -> EventSink:
        printer = PrintingSink(clock, out, changes_only=True)
        return FanoutSink(printer, counts) if counts is not None else printer

    return make


def _timing(settings: Settings) -> Timing:
    return Timing(settings.jitter, seed=settings.engine_name)
